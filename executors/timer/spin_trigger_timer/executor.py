"""The timer trigger executor: each `[[trigger.timer]]` runs its component on a fixed beat.

Every schedule has its own anyio task that keeps time. A tick starts the guest in the runtime's
worker pool (a fresh instance per run, in a worker process) and does not wait for it, so the
beat stays regular; a tick that comes while the previous run is still going is skipped, never
doubled up. The first run is at start-up. On SIGTERM the beat stops and runs in flight finish.
"""

from __future__ import annotations

import logging
import math

import anyio
from anyio.abc import TaskStatus

from spin.trigger import SelfTestOptions, SpinError, TriggerExecutor, run_guest, self_test_option
from spin.trigger.wasm import RUNTIME_OPTIONS, PooledGuest
from spin_trigger_timer.schedule import (
    TRIGGER_TYPE,
    Schedule,
    TimerAppConfig,
    TimerConfig,
    load_schedules,
)

log = logging.getLogger("spin_trigger_timer")

EXPORT = "handle-timer-request"


class Timer:
    """One schedule and the guest it runs."""

    def __init__(self, schedule: Schedule, guest: PooledGuest) -> None:
        self.schedule = schedule
        self.guest = guest
        self.running = False
        self.label = f"timer {schedule.trigger_id!r} (component {schedule.component_id!r})"

    async def fire(self) -> bool:
        """Run the guest once; False (and an error in the log) if it failed."""
        self.running = True
        log.debug("%s: run starting", self.label)
        try:
            return await run_guest(self.guest.handle_timer(), label=self.label, done="ran", log=log)
        finally:
            self.running = False

    async def keep_time(
        self, stopping: anyio.Event, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Fire on every tick until `stopping` is set, then wait for the run in flight."""
        interval = self.schedule.interval
        async with anyio.create_task_group() as runs:
            task_status.started()
            next_tick = anyio.current_time()
            while not stopping.is_set():
                if self.running:
                    log.info("%s: tick skipped, the previous run is still going", self.label)
                else:
                    self.running = True  # claimed now, so the next tick cannot start another
                    runs.start_soon(self.fire)
                next_tick += interval
                late = anyio.current_time() - next_tick
                if late > 0:  # the process was held up (suspended, overloaded): skip, not burst
                    missed = math.ceil(late / interval)
                    next_tick += missed * interval
                    log.warning(
                        "%s: %d tick(s) missed, the executor fell behind", self.label, missed
                    )
                with anyio.move_on_after(next_tick - anyio.current_time()):
                    await stopping.wait()


def check_timer_export(schedule: Schedule, guest: PooledGuest) -> None:
    """A core module must export the handler; a component may export it from an interface
    (the runtime finds it there), so components are checked on their first run."""
    if guest.kind != "component" and EXPORT not in guest.exports:
        raise SpinError(
            f"Component {guest.id!r} (timer trigger {schedule.trigger_id!r}) does not export "
            f"`{EXPORT}`. A timer component exports `{EXPORT}: func()`, or is a core module "
            f"exporting a `{EXPORT}` function without parameters."
        )


class TimerTrigger(TriggerExecutor):
    trigger_type = TRIGGER_TYPE
    summary = "Run the app's timer components, each every `interval_secs / speedup` seconds."
    options = (*RUNTIME_OPTIONS, self_test_option("Run each timer component once, then exit."))
    options_class = SelfTestOptions
    trigger_config = TimerConfig
    app_config = TimerAppConfig

    async def run(self) -> int | None:
        schedules = load_schedules(self.context.trigger_configs, self.context.app_config)
        # Every scheduled component is loaded before the first tick: errors stop us at start.
        # A timer's runs are seconds apart at least: none is kept warm, and a worker that runs
        # often enough simply never goes idle for long.
        async with self.context.open_guest_pool(
            (s.component_id for s in schedules), warm_workers=0
        ) as pool:
            for schedule in schedules:
                check_timer_export(schedule, pool.guests[schedule.component_id])
            timers = [Timer(s, pool.guests[s.component_id]) for s in schedules]
            if self.context.executor_options.test:
                return await self._run_each_once(timers)
            await self._run_until_stopped(timers)
            return None

    async def _run_each_once(self, timers: list[Timer]) -> int:
        """`--test`: each component once, in manifest order; exit 1 if any failed."""
        done: set[str] = set()
        failed = 0
        for timer in timers:
            if timer.schedule.component_id in done:
                continue
            done.add(timer.schedule.component_id)
            failed += not await timer.fire()
        return 1 if failed else 0

    async def _run_until_stopped(self, timers: list[Timer]) -> None:
        stopping = self.context.stopping
        async with anyio.create_task_group() as group:
            for timer in timers:
                await group.start(timer.keep_time, stopping)
                log.info("%s: every %gs", timer.label, timer.schedule.interval)
            self.context.notify_ready()
            await stopping.wait()
            log.info("stopping: no new ticks, waiting for runs in flight")
