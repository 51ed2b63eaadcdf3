"""`spin-trigger-timer`: an external Spin trigger executor that runs components on a schedule.

It is built only on the public shared trigger library (`spin.trigger`, `spin.trigger.wasm`),
as any third-party trigger would be; docs/writing-a-trigger.md walks through it.
"""

from spin_trigger_timer.executor import TimerTrigger

__all__ = ["TimerTrigger"]
