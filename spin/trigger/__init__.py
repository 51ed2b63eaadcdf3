"""The shared trigger library: what every executor, internal or external, is built on.

An external trigger is a small program::

    from spin.trigger import TriggerExecutor, main

    class TimerTrigger(TriggerExecutor):
        trigger_type = "timer"

        async def run(self) -> None:
            self.context.notify_ready()
            await self.context.stopping.wait()

    if __name__ == "__main__":
        main(TimerTrigger)

See docs/writing-a-trigger.md.
"""

from spin.errors import SpinError
from spin.locked import LockedApp, LockedComponent, LockedTrigger
from spin.runtime.logs import ComponentLogs
from spin.trigger.config import ConfiguredTrigger, Setting, manifest_name, positive
from spin.trigger.context import TriggerContext
from spin.trigger.executor import TriggerExecutor, executor_command, main
from spin.trigger.guest_runs import require_export, run_guest
from spin.trigger.metadata import launch_metadata
from spin.trigger.options import CommonOptions, SelfTestOptions, self_test_option
from spin.variables import render

__all__ = [
    "CommonOptions",
    "ComponentLogs",
    "ConfiguredTrigger",
    "LockedApp",
    "LockedComponent",
    "LockedTrigger",
    "SelfTestOptions",
    "Setting",
    "SpinError",
    "TriggerContext",
    "TriggerExecutor",
    "executor_command",
    "launch_metadata",
    "main",
    "manifest_name",
    "positive",
    "render",
    "require_export",
    "run_guest",
    "self_test_option",
]
