"""The orchestration: all children of an app, signals, stop, reload, status, exit code."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING

import anyio

from spin.errors import SpinError
from spin.notify import notify
from spin.supervisor import HANDLED_SIGNALS
from spin.supervisor.child import Child, Services
from spin.supervisor.log import EventLog
from spin.supervisor.orphan_guard import OrphanGuard
from spin.supervisor.planner import Planner
from spin.supervisor.private_dir import remove_private_dir
from spin.supervisor.process import ExitStatus, adopted_children
from spin.supervisor.reaper import Reaper
from spin.supervisor.settings import SupervisorSettings
from spin.up.launch import ExecutorLaunch, LaunchPlan

if TYPE_CHECKING:
    from anyio import CancelScope
    from anyio.abc import TaskGroup, TaskStatus

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGQUIT})

#: The message of Spin's classic behaviour (`--restart never`).
TERMINATING = "A trigger exited unexpectedly. Terminating."


class Manager:
    def __init__(
        self,
        plan: LaunchPlan,
        settings: SupervisorSettings,
        planner: Planner | None = None,
    ) -> None:
        self.settings = settings
        self.log = EventLog(settings.log_format)
        self.exit_code = 0
        self.stopping = False
        self._plan = plan
        self._planner = planner
        self._planning: CancelScope | None = None  # a reload's planning, cancelled by stop()
        self._reloading = False
        self._reload_again = False
        self._announced_ready = False
        self._children: dict[str, Child] = {}  # the current child of each trigger type
        self._live: list[Child] = []  # every child whose run() has not finished (reloads)
        self._generation = 0
        self._group: TaskGroup | None = None
        guard = OrphanGuard.start()
        self._services = Services(
            log=self.log,
            reaper=Reaper(),
            guard=guard,
            private_dir=guard.private_dir,
            token=guard.token,
            notify_grace=settings.notify_grace,
            on_ready=self._child_ready,
            on_fatal=self._child_failed,
            on_start_failed=self._child_start_failed,
        )
        #: The executor whose start failure stopped the app, and its last stderr lines.
        self._start_failure: tuple[str, list[bytes]] | None = None

    # --- start-up ------------------------------------------------------------------------------

    def start_all(self) -> None:
        """Start every executor at once (plain fork/exec, before the event loop is imported)."""
        self.log.event("starting", executors=len(self._plan.executors))
        for launch in self._plan.executors:
            child = self._new_child(launch, self._plan, fail_fast=True)
            self._children[launch.trigger_type] = child
            if not child.start_process():
                self._child_failed(child, 1, "the executor could not be started")
                return

    def _new_child(
        self,
        launch: ExecutorLaunch,
        plan: LaunchPlan,
        *,
        fail_fast: bool = False,
        replaces: Child | None = None,
    ) -> Child:
        self._generation += 1
        policy = self.settings.policy_for(launch.trigger_type, plan.policies)
        child = Child(
            launch, policy, self._services, self._generation, fail_fast=fail_fast, replaces=replaces
        )
        self._live.append(child)
        return child

    async def run(self) -> int:
        """Supervise until every child has finished; return the exit code."""
        async with anyio.create_task_group() as outer:
            await outer.start(self._handle_signals)
            if self.settings.stats_interval:
                outer.start_soon(self._log_stats_periodically, self.settings.stats_interval)
            async with anyio.create_task_group() as self._group:
                for child in list(self._live):
                    self._group.start_soon(self._run_child, child)
            outer.cancel_scope.cancel()
        return self.exit_code

    async def _run_child(self, child: Child) -> None:
        try:
            await child.run()
        finally:
            self._live.remove(child)

    def close(self) -> None:
        """After the loop: kill strays, end the guard, remove the private directory."""
        self._kill_strays()
        self._services.guard.close()
        remove_private_dir(self._services.private_dir)
        self.log.event("stopped", code=self.exit_code)
        if self._start_failure is not None:
            self._repeat_start_failure(*self._start_failure)

    def _repeat_start_failure(self, trigger_type: str, stderr_tail: list[bytes]) -> None:
        """The failed executor's own error, last on the terminal: what the operator must fix."""
        cause = [line.decode(errors="replace") for line in stderr_tail if line.strip()]
        lines = [f"The {trigger_type} executor failed to start:"]
        lines += [f"  {line}" for line in cause] or ["  (it printed nothing on stderr)"]
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()

    def _kill_strays(self) -> None:
        """Every executor is gone: anything still our child is something one left behind (we
        are a subreaper, so orphans of the tree come to us). Kill until none is left."""
        guard = self._services.guard.pid
        while strays := adopted_children(exclude=[guard]):
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.log.event("killed", pid=pid, level="warn", reason="left behind at stop")
            for pid in strays:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    # --- signals -------------------------------------------------------------------------------

    async def _handle_signals(self, *, task_status: TaskStatus[None]) -> None:
        with anyio.open_signal_receiver(*HANDLED_SIGNALS) as signals:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED_SIGNALS)
            task_status.started()
            self._services.reaper.reap()
            async for signum in signals:
                if signum == signal.SIGCHLD:
                    self._services.reaper.reap()
                elif signum in STOP_SIGNALS:
                    name = signal.Signals(signum).name
                    if self.stopping:
                        self.log.event("killing", level="warn", reason=f"{name} again")
                        for child in self._live:
                            child.kill_now()
                    else:
                        self.stop(f"{name} received")
                elif signum == signal.SIGHUP:
                    self._request_reload()
                elif signum == signal.SIGUSR1:
                    self._log_status()

    def stop(self, reason: str, exit_code: int = 0) -> None:
        """Stop every child (in parallel); the supervisor exits when they are gone."""
        if self.stopping:
            return
        self.stopping = True
        self.exit_code = exit_code
        self.log.event("stopping", reason=reason)
        notify("STOPPING=1")
        if self._planning is not None:
            self._planning.cancel()
        for child in list(self._live):
            child.stop()

    # --- children's reports --------------------------------------------------------------------

    def _child_ready(self, child: Child) -> None:
        if self._announced_ready or not all(c.ready for c in self._children.values()):
            return
        self._announced_ready = True
        self.log.event("ready", executors=len(self._children))
        notify("READY=1")

    def _child_failed(self, child: Child, exit_code: int, reason: str) -> None:
        if self.stopping:
            return
        extra = {"message": TERMINATING} if child.policy.restart == "never" else {}
        self.log.event(
            "giving-up",
            child.trigger_type,
            child.last_pid,
            level="error",
            code=exit_code,
            reason=reason,
            **extra,
        )
        self.stop(f"the {child.trigger_type} executor failed", exit_code)

    def _child_start_failed(
        self, child: Child, status: ExitStatus, stderr_tail: list[bytes]
    ) -> None:
        if self.stopping:
            return
        self.log.event(
            "start-failed",
            child.trigger_type,
            child.last_pid,
            level="error",
            **status.describe(),
            reason="exited before it was ready: not restarted",
        )
        self._start_failure = (child.trigger_type, stderr_tail)
        self.stop(f"the {child.trigger_type} executor failed to start", 1)

    # --- SIGUSR1 and --stats-interval ----------------------------------------------------------

    def _log_status(self) -> None:
        self.log.event("status", executors=len(self._live), stopping=self.stopping)
        for child in self._live:
            stats = child.sample()
            self.log.event(
                "status",
                child.trigger_type,
                child.pid,
                state=child.state,
                uptime=round(child.uptime(), 3),
                restarts=child.tracker.restarts,
                **(stats.fields() if stats else {}),
            )

    async def _log_stats_periodically(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            for child in self._live:
                stats = child.sample()
                if stats is not None:
                    self.log.event("stats", child.trigger_type, child.pid, **stats.fields())

    # --- SIGHUP --------------------------------------------------------------------------------

    def _request_reload(self) -> None:
        if self._planner is None:
            self.log.event(
                "reload-unavailable",
                level="warn",
                reason="this supervisor was started without a way to reload",
            )
            return
        if self.stopping or self._group is None:
            return
        if self._reloading:
            self._reload_again = True
            return
        self._reloading = True
        self._group.start_soon(self._reload_until_current)

    async def _reload_until_current(self) -> None:
        try:
            again = True
            while again and not self.stopping:
                self._reload_again = False
                self.log.event("reloading")
                plan = await self._plan_again()
                if plan is not None:
                    await self._apply(plan)
                again = self._reload_again
        finally:
            self._reloading = False

    async def _plan_again(self) -> LaunchPlan | None:
        """The planner's new plan; None when it has none (logged) or stop() cancelled it."""
        assert self._planner is not None
        with anyio.CancelScope() as self._planning:
            try:
                return await self._planner.plan(self._services.reaper)
            except SpinError as err:
                self.log.event("reload-failed", level="error", reason=str(err))
        return None

    async def _apply(self, plan: LaunchPlan) -> None:
        """Replace the executors one type at a time; remove and add types as the plan says."""
        wanted = {launch.trigger_type: launch for launch in plan.executors}
        for trigger_type in [t for t in self._children if t not in wanted]:
            old = self._children.pop(trigger_type)
            self.log.event("removing", trigger_type, old.pid)
            old.stop()
            await old.finished.wait()
        for trigger_type, launch in wanted.items():
            if self.stopping:
                return
            old = self._children.get(trigger_type)
            if old is not None and old.finished.is_set():
                old = None
            policy = self.settings.policy_for(trigger_type, plan.policies)
            if old is not None and old.launch == launch and old.policy == policy:
                self.log.event("unchanged", trigger_type, old.pid)
                continue
            # The new executor starts beside the old one, which serves until the new one is
            # ready (an HTTP executor binds the same address: SPIN_REPLACES_EXECUTOR).
            new = self._new_child(launch, plan, replaces=old)
            self._children[trigger_type] = new
            if not new.start_process():
                self._child_failed(new, 1, "the executor could not be started")
            assert self._group is not None
            self._group.start_soon(self._run_child, new)
            if old is not None:
                await new.ready_or_finished.wait()
                old.stop()
                await old.finished.wait()
        self._plan = plan
        self.log.event("reloaded", executors=len(wanted))
