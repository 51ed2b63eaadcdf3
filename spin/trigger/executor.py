"""The base class of every trigger executor, and the command-line program built from it.

An executor subclasses `TriggerExecutor`, names its `trigger_type`, adds its own click options
(with the frozen dataclass of their values) and the dataclasses of its trigger configuration,
and implements `run()`. `executor_command()` turns it into a click command with the common
options, launch metadata, app loading, typed options and configs, logging, the signal-driven
run loop and exit codes.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, NoReturn

import anyio
import anyio.abc
import click

from spin.console_log import configure_logging
from spin.errors import SpinError, exit_on_error
from spin.proctitle import set_title
from spin.runtime.config import RuntimeOptions
from spin.trigger.app_loader import AppLocation, load_app_from_env
from spin.trigger.config import app_trigger_config, trigger_configs
from spin.trigger.context import TriggerContext
from spin.trigger.health import serve_probes
from spin.trigger.metadata import METADATA_OPTIONS
from spin.trigger.options import COMMON_OPTIONS, CommonOptions, options_from_click, take

log = logging.getLogger("spin.trigger")

DEFAULT_GRACE_PERIOD = 10.0


class TriggerExecutor(ABC):
    """One trigger type's executor. Instantiated once per process, with its context."""

    trigger_type: ClassVar[str]
    #: Extra click options of this executor, besides the common ones (and `RUNTIME_OPTIONS`).
    options: ClassVar[Sequence[click.Option]] = ()
    #: The frozen dataclass of those options' values (`context.executor_options`).
    options_class: ClassVar[type[Any] | None] = None
    #: The dataclass of one `[[trigger.<type>]]` table (`context.trigger_configs`).
    trigger_config: ClassVar[type[Any] | None] = None
    #: The dataclass of `[application.trigger.<type>]` (`context.app_config`).
    app_config: ClassVar[type[Any] | None] = None
    #: One line for `--help`.
    summary: ClassVar[str] = ""

    def __init__(self, context: TriggerContext) -> None:
        self.context = context

    @abstractmethod
    async def run(self) -> int | None:
        """Serve the app's triggers until `context.stopping` is set, then drain and return.

        Call `context.notify_ready()` once serving. Return an exit code (None means 0); raise
        `SpinError` for a failure the user can fix.
        """


def grace_period_from_env() -> float:
    """The drain time after SIGTERM; `spin up` sets SPIN_SHUTDOWN_GRACE below its own timeout."""
    value = os.environ.get("SPIN_SHUTDOWN_GRACE", "")
    try:
        return float(value) if value else DEFAULT_GRACE_PERIOD
    except ValueError:
        raise SpinError(f"SPIN_SHUTDOWN_GRACE={value!r} is not a number of seconds.") from None


async def _run_until_stopped(executor: TriggerExecutor) -> int:
    """Run the executor; the first SIGINT/SIGTERM starts a graceful stop, a second one cancels."""
    context = executor.context
    exit_code = 0
    async with anyio.create_task_group() as group:

        async def cancel_after_grace() -> None:
            await anyio.sleep(context.grace_period)
            log.warning(
                "work still in flight after the %.1fs grace period: stopping now",
                context.grace_period,
            )
            group.cancel_scope.cancel()

        async def watch_signals(*, task_status: anyio.abc.TaskStatus[None]) -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGQUIT) as sigs:
                task_status.started()
                async for signum in sigs:
                    name = signal.Signals(signum).name
                    if context.stopping.is_set():
                        log.info("%s again: stopping now", name)
                        group.cancel_scope.cancel()
                        return
                    log.info("%s received: draining (grace %.1fs)", name, context.grace_period)
                    context.notify_stopping()
                    context.stopping.set()
                    group.start_soon(cancel_after_grace)

        await group.start(watch_signals)  # handlers in place before the executor can be ready
        if context.options.health_listen:
            await group.start(serve_probes, context.health, context.options.health_listen)
        exit_code = await executor.run() or 0
        group.cancel_scope.cancel()
    return exit_code


def _sole_exception(group: BaseExceptionGroup) -> BaseException:
    """Task groups wrap what `run()` raises; one error (say a SpinError) is reported as itself."""
    leaves: list[BaseException] = []

    def collect(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                collect(inner)
        else:
            leaves.append(error)

    collect(group)
    return leaves[0] if len(leaves) == 1 else group


def build_context(
    executor_class: type[TriggerExecutor],
    common: CommonOptions,
    params: dict[str, Any],
    location: AppLocation,
) -> TriggerContext:
    """The executor's context: its options typed, its trigger configuration read and checked."""
    runtime = options_from_click(RuntimeOptions, take(params, RuntimeOptions))
    options_class = executor_class.options_class
    if params and options_class is None:
        raise TypeError(f"{executor_class.__name__} declares options but no options_class")
    app = location.app
    trigger_type = os.environ.get("SPIN_TRIGGER_TYPE") or executor_class.trigger_type
    config_class, app_class = executor_class.trigger_config, executor_class.app_config
    return TriggerContext(
        trigger_type=trigger_type,
        app=app,
        app_dir=location.app_dir,
        working_dir=location.working_dir,
        options=common,
        grace_period=grace_period_from_env(),
        runtime_options=runtime,
        executor_options=options_from_click(options_class, params) if options_class else None,
        trigger_configs=trigger_configs(app, trigger_type, config_class) if config_class else [],
        app_config=app_trigger_config(app, trigger_type, app_class) if app_class else None,
    )


def run_executor(executor_class: type[TriggerExecutor], params: dict[str, Any]) -> NoReturn:
    """Load the app, build the context and run the executor to its exit code."""
    configure_logging()
    with exit_on_error():
        common = options_from_click(CommonOptions, take(params, CommonOptions))
        context = build_context(executor_class, common, params, load_app_from_env())
        set_title(f"spin {context.trigger_type} executor")
        try:
            context.prepare_host_services()
            executor = executor_class(context)
            code = anyio.run(_run_until_stopped, executor)
        except BaseExceptionGroup as group:
            raise _sole_exception(group) from None
        finally:
            context.close()
        sys.exit(code)
    raise AssertionError("unreachable")


def executor_command(
    executor_class: type[TriggerExecutor], name: str | None = None
) -> click.Command:
    """The click command of an executor: `spin trigger <type>` or `spin-trigger-<type>`."""

    def callback(**params: Any) -> None:
        run_executor(executor_class, params)

    return click.Command(
        name or f"spin-trigger-{executor_class.trigger_type}",
        callback=callback,
        params=[*COMMON_OPTIONS, *executor_class.options, *METADATA_OPTIONS],
        help=executor_class.summary or f"Run the app's {executor_class.trigger_type} triggers.",
        context_settings={"show_default": True},
    )


def main(executor_class: type[TriggerExecutor]) -> NoReturn:
    """Console-script entry point of an external executor: `main(MyTrigger)`."""
    executor_command(executor_class).main()
    sys.exit(0)
