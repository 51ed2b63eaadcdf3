"""The cron trigger executor: each `[[trigger.cron]]` runs its component on the ticks of its
cron expression, calling the plugin's export `handle-cron-event` with `metadata.timestamp`, the
tick's time in whole seconds since the epoch.

Every trigger has its own anyio task that keeps the wall clock. A tick starts the guest in the
runtime's worker pool (a fresh instance per run) and does not wait for it. Two rules differ from
the plugin, which starts every tick's run whatever is still going and fires when its scheduler
loop notices a due tick: a tick that comes while the previous run is still going is **skipped**
(logged), never run beside it; and ticks missed while the executor was held up (suspended,
overloaded) are counted in one warning, not replayed in a burst: one run follows, for the
latest tick due. On SIGTERM the ticks stop and
runs in flight finish.
"""

from __future__ import annotations

import logging
import time

import anyio
from anyio.abc import TaskStatus

from spin.trigger import ConfiguredTrigger, TriggerExecutor, require_export, run_guest
from spin.trigger.wasm import RUNTIME_OPTIONS, PooledGuest
from spin_trigger_cron.schedule import TRIGGER_TYPE, CronClock, CronConfig

log = logging.getLogger("spin_trigger_cron")

EXPORT = "handle-cron-event"
WORLD = "fermyon:spin-cron/spin-cron@2.0.0"
SIGNATURE = "func(metadata: metadata) -> result<_, error>"


class Cron:
    """One `[[trigger.cron]]` and the guest it runs."""

    def __init__(self, trigger: ConfiguredTrigger[CronConfig], guest: PooledGuest) -> None:
        self.clock = CronClock(trigger.config.cron_expression)
        self.guest = guest
        self.running = False
        self.label = f"cron {trigger.id!r} (component {trigger.config.component!r})"

    async def fire(self, timestamp: int) -> None:
        """Run the guest once for the tick at `timestamp`; a failure is logged."""
        self.running = True
        try:
            call = self.guest.handle_export(EXPORT, {"metadata": {"timestamp": timestamp}})
            await run_guest(call, label=self.label, done=f"ran for tick {timestamp}", log=log)
        finally:
            self.running = False

    async def keep_time(
        self, stopping: anyio.Event, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Fire on every tick until `stopping` is set, then wait for the run in flight."""
        async with anyio.create_task_group() as runs:
            task_status.started()
            tick = self.clock.next_after(time.time())
            while True:
                # Against the wall clock each time round: the wait runs on the monotonic one.
                while (delay := tick - time.time()) > 0 and not stopping.is_set():
                    with anyio.move_on_after(delay):
                        await stopping.wait()
                if stopping.is_set():
                    return
                due, missed, tick = self.clock.catch_up(tick, time.time())
                if missed:
                    log.warning(
                        "%s: %d tick(s) missed while the executor was held up; not replayed",
                        self.label,
                        missed,
                    )
                if self.running:
                    log.info("%s: tick skipped, the previous run is still going", self.label)
                else:
                    self.running = True  # claimed now, so the next tick cannot start another
                    runs.start_soon(self.fire, int(due))


class CronTrigger(TriggerExecutor):
    trigger_type = TRIGGER_TYPE
    summary = "Run the app's cron components on the ticks of their cron expressions (UTC)."
    options = RUNTIME_OPTIONS
    trigger_config = CronConfig

    async def run(self) -> None:
        triggers: list[ConfiguredTrigger[CronConfig]] = self.context.trigger_configs
        # Every component is loaded before the first tick: errors stop us at start. Runs are a
        # second apart at least: none is kept warm, and a worker that runs often enough simply
        # never goes idle for long.
        async with self.context.open_guest_pool(
            (t.config.component for t in triggers), warm_workers=0
        ) as pool:
            for trigger in triggers:  # the plugin's world exports it at the top level
                guest = pool.guests[trigger.config.component]
                require_export(
                    guest, EXPORT, world=WORLD, signature=SIGNATURE, sdk="spin-trigger-cron"
                )
            crons = [Cron(t, pool.guests[t.config.component]) for t in triggers]
            async with anyio.create_task_group() as group:
                for cron in crons:
                    await group.start(cron.keep_time, self.context.stopping)
                    log.info("%s: on %r (UTC)", cron.label, cron.clock.expression)
                self.context.notify_ready()
                await self.context.stopping.wait()
                log.info("stopping: no new ticks, waiting for runs in flight")
