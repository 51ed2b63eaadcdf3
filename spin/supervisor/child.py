"""One trigger type's executor under supervision: start, relay output, readiness, restart, stop.

A `Child` owns the executor process of one trigger type across restarts. The manager creates it,
may start its first process before the event loop runs (`start_process`), then runs `run()` as a
task. `stop()` and `kill_now()` are plain calls, safe at any time, also before `run()` starts.
"""

from __future__ import annotations

import math
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import anyio

from spin.supervisor.flag import Flag
from spin.supervisor.log import EventLog
from spin.supervisor.orphan_guard import OrphanGuard
from spin.supervisor.process import (
    TREE_TOKEN,
    ExitStatus,
    adopted_children,
    chunks,
    kill_marked,
    signal_group,
    spawn,
)
from spin.supervisor.readiness import NotifySocket
from spin.supervisor.reaper import Reaper
from spin.supervisor.restart_policy import Policy, RestartTracker
from spin.supervisor.stats import TreeSampler, TreeStats
from spin.up.launch import ExecutorLaunch

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

#: After the last process of a child ended, how long its output pipes may still drain.
OUTPUT_DRAIN_TIMEOUT = 1.0
#: The stderr lines of a run kept to repeat a start failure's cause at the very end.
STDERR_TAIL = 20

State = Literal["starting", "ready", "backoff", "stopping", "stopped", "ended", "failed"]


def shutdown_grace(shutdown_timeout: float) -> float:
    """SPIN_SHUTDOWN_GRACE for the executor: a little below our own kill deadline, so that a
    well-behaved executor gives up on work in flight before it is killed."""
    return max(0.0, shutdown_timeout - min(1.0, shutdown_timeout / 10))


@dataclass
class Services:
    """What every child shares with the manager."""

    log: EventLog
    reaper: Reaper
    guard: OrphanGuard
    private_dir: Path
    token: str  # the supervisor's tree token
    notify_grace: float  # see SupervisorSettings.notify_grace
    on_ready: Callable[[Child], None]
    on_fatal: Callable[[Child, int, str], None]  # exit code, reason
    on_start_failed: Callable[[Child, ExitStatus, list[bytes]], None]  # status, stderr tail


@dataclass
class Run:
    """One executor process of a child."""

    process: subprocess.Popen[bytes]
    token: str
    started_at: float = field(default_factory=time.monotonic)
    status: ExitStatus | None = None
    exited: Flag = field(default_factory=Flag)
    output_closed: Flag = field(default_factory=Flag)
    open_streams: int = 2
    stderr_tail: deque[bytes] = field(default_factory=lambda: deque(maxlen=STDERR_TAIL))

    @property
    def pid(self) -> int:
        return self.process.pid


class Child:
    def __init__(
        self,
        launch: ExecutorLaunch,
        policy: Policy,
        services: Services,
        generation: int,
        *,
        fail_fast: bool = False,
        replaces: Child | None = None,
    ) -> None:
        """`fail_fast`: a failed exit before the first readiness ends the app (`_supervise`);
        an exit 0 is a finished job, not a failure, and follows the policy."""
        self.launch = launch
        self.trigger_type = launch.trigger_type
        self.policy = policy
        self.tracker = RestartTracker(policy)
        self.state: State = "starting"
        self.ready = False
        self.was_ready = False  # ready at least once: from then on the restart policy applies
        self.fail_fast = fail_fast
        #: The running executor this one replaces (a reload): it serves until this one is
        #: ready, and may share its listening address meanwhile (SPIN_REPLACES_EXECUTOR).
        self.replaces = replaces
        self.finished = Flag()
        self.ready_or_finished = Flag()
        self._services = services
        self._log = services.log
        self._name = f"{self.trigger_type}-{generation}"
        self.notify = NotifySocket(services.private_dir / f"{self._name}.sock")
        self._spawns = 0
        self._run: Run | None = None
        self._stop_requested = Flag()
        self._stop_requested_at = 0.0
        self._sampler: TreeSampler | None = None

    # --- control, callable at any time -------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._run.pid if self._run and self._run.status is None else None

    @property
    def last_pid(self) -> int | None:
        return self._run.pid if self._run else None

    @property
    def stopping(self) -> bool:
        return self._stop_requested.is_set()

    def stop(self) -> None:
        """Graceful stop: SIGTERM to the executor's process group, SIGKILL after the timeout."""
        if self.stopping:
            return
        self._stop_requested_at = time.monotonic()
        self._stop_requested.set()
        pid = self.pid
        if pid is not None:
            self.state = "stopping"
            self._log.event(
                "stopping",
                self.trigger_type,
                pid,
                signal="SIGTERM",
                timeout=self.policy.shutdown_timeout,
            )
            signal_group(pid, signal.SIGTERM)

    def kill_now(self) -> None:
        self.stop()
        pid = self.pid
        if pid is not None and signal_group(pid, signal.SIGKILL):
            self._log.event(
                "killed", self.trigger_type, pid, level="warn", reason="stop requested again"
            )

    def uptime(self) -> float:
        return time.monotonic() - self._run.started_at if self.pid is not None and self._run else 0

    def sample(self) -> TreeStats | None:
        pid = self.pid
        if pid is None:
            return None
        if self._sampler is None or self._sampler.pid != pid:
            self._sampler = TreeSampler(pid)
        return self._sampler.sample()

    # --- starting ------------------------------------------------------------------------------

    def start_process(self) -> bool:
        """Start the executor (no await: usable before the event loop runs). False on failure."""
        self._spawns += 1
        token = f"{self._services.token}/{self._name}/{self._spawns}/"
        env = {
            **self.launch.env,
            "NOTIFY_SOCKET": str(self.notify.path),
            "SPIN_SHUTDOWN_GRACE": f"{shutdown_grace(self.policy.shutdown_timeout):g}",
            TREE_TOKEN: token,
        }
        if self.replaces is not None and self.replaces.pid is not None:
            env["SPIN_REPLACES_EXECUTOR"] = str(self.replaces.pid)
        self.notify.pending()  # forget what a previous process sent
        self.ready = False
        try:
            process = spawn(self.launch.argv, env)
        except OSError as err:
            self._log.event(
                "spawn-failed",
                self.trigger_type,
                level="error",
                argv=" ".join(self.launch.argv),
                reason=str(err),
            )
            self.state = "failed"
            return False
        run = Run(process, token)
        self._run = run
        self.state = "starting"
        self._services.guard.watch(run.pid)
        self._services.reaper.watch(run.pid, lambda status: self._exited(run, status))
        self._log.event(
            "starting",
            self.trigger_type,
            run.pid,
            attempt=self.tracker.attempt,
            executor=self.launch.description or self.launch.argv[0],
        )
        return True

    def _exited(self, run: Run, status: ExitStatus) -> None:
        run.status = status
        run.process.returncode = status.exit_code  # so that Popen never waits for it itself
        run.exited.set()

    # --- the supervision loop ------------------------------------------------------------------

    async def run(self) -> None:
        """Supervise until stopped, ended by the restart policy, or given up."""
        try:
            async with anyio.create_task_group() as group:
                await self._supervise(group)
                if self._run is not None:
                    with anyio.move_on_after(OUTPUT_DRAIN_TIMEOUT):
                        await self._run.output_closed.wait()
                group.cancel_scope.cancel()
        finally:
            self.notify.close()
            self.finished.set()
            self.ready_or_finished.set()

    async def _supervise(self, group: TaskGroup) -> None:
        if self._run is None and not self.stopping and not self.start_process():
            self._services.on_fatal(self, 1, "the executor could not be started")
            return
        while self._run is not None:
            run = self._run
            group.start_soon(self._relay, run, "stdout")
            group.start_soon(self._relay, run, "stderr")
            status = await self._wait_exit(run)
            ran_for = time.monotonic() - run.started_at
            self._log.event(
                "exited",
                self.trigger_type,
                run.pid,
                level="info" if not status.failed or self.stopping else "warn",
                **status.describe(),
                uptime=round(ran_for, 3),
            )
            self._clean_up_after(run)
            if self.stopping:
                self.state = "stopped"
                self._log.event("stopped", self.trigger_type, run.pid)
                return
            if not self.was_ready and any(m.get("READY") == "1" for m in self.notify.pending()):
                self._become_ready(run, assumed=False)  # it notified, then exited at once
            if self.fail_fast and not self.was_ready and status.failed:
                # A start failure (a config error, a port in use, a service down): restarting
                # would only repeat it and scroll its cause away, so the app stops now.
                with anyio.move_on_after(OUTPUT_DRAIN_TIMEOUT):
                    await run.output_closed.wait()
                self.state = "failed"
                self._services.on_start_failed(self, status, list(run.stderr_tail))
                return
            decision = self.tracker.after_exit(status, ran_for, time.monotonic())
            if decision.action == "end":
                self.state = "ended"
                self._log.event("ended", self.trigger_type, run.pid, reason=decision.reason)
                return
            if decision.action in ("give-up", "terminate"):
                self.state = "failed"
                self._services.on_fatal(self, decision.exit_code, decision.reason)
                return
            self.state = "backoff"
            self._log.event(
                "restarting",
                self.trigger_type,
                run.pid,
                attempt=decision.attempt,
                delay=round(decision.delay, 3),
            )
            with anyio.move_on_after(decision.delay):
                await self._stop_requested.wait()
            if self.stopping:
                self.state = "stopped"
                self._log.event("stopped", self.trigger_type, run.pid)
                return
            if not self.start_process():
                self._services.on_fatal(self, 1, "the executor could not be started")
                return

    async def _wait_exit(self, run: Run) -> ExitStatus:
        """Wait for the process to exit, watching readiness and enforcing the stop timeout."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._watch_readiness, run)
            group.start_soon(self._enforce_stop_timeout, run)
            await run.exited.wait()
            group.cancel_scope.cancel()
        assert run.status is not None
        return run.status

    async def _enforce_stop_timeout(self, run: Run) -> None:
        await self._stop_requested.wait()
        deadline = self._stop_requested_at + self.policy.shutdown_timeout
        await anyio.sleep(max(0.0, deadline - time.monotonic()))
        if run.status is None and signal_group(run.pid, signal.SIGKILL):
            self._log.event(
                "killed",
                self.trigger_type,
                run.pid,
                level="warn",
                reason=f"still running {self.policy.shutdown_timeout:g}s after SIGTERM",
            )

    async def _watch_readiness(self, run: Run) -> None:
        grace = math.inf if self.launch.notifies else self._services.notify_grace
        with anyio.move_on_after(grace) as scope:
            while True:
                states = await self.notify.receive()
                scope.deadline = math.inf  # it speaks sd_notify: wait for READY=1 as long as needed
                if states.get("READY") == "1" and not self.ready:
                    self._become_ready(run, assumed=False)
        if not self.ready:
            self._become_ready(run, assumed=True)
            # It may still notify later; keep listening so that READY=1 is logged when it comes.
            while (states := await self.notify.receive()).get("READY") != "1":
                pass
            self._log.event("ready", self.trigger_type, run.pid, notified=True)

    def _become_ready(self, run: Run, *, assumed: bool) -> None:
        self.ready = self.was_ready = True
        if self.state == "starting":
            self.state = "ready"
        fields: dict[str, object] = {"notified": not assumed}
        if assumed:
            fields["reason"] = (
                f"no READY=1 within {self._services.notify_grace:g}s and no sd_notify in "
                "its launch metadata: taken as not supporting sd_notify"
            )
        self._log.event(
            "ready",
            self.trigger_type,
            run.pid,
            uptime=round(time.monotonic() - run.started_at, 3),
            **fields,
        )
        self.ready_or_finished.set()
        self._services.on_ready(self)

    async def _relay(self, run: Run, stream: Literal["stdout", "stderr"]) -> None:
        """Relay the executor's output line by line, prefixed with the trigger type."""
        pipe = run.process.stdout if stream == "stdout" else run.process.stderr
        assert pipe is not None
        fd = pipe.fileno()
        pending = b""
        try:
            async for chunk in chunks(fd):
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    self._log.output(self.trigger_type, run.pid, stream, line)
                    if stream == "stderr":
                        run.stderr_tail.append(line)
        finally:
            if pending:
                self._log.output(self.trigger_type, run.pid, stream, pending)
            pipe.close()
            run.open_streams -= 1
            if run.open_streams == 0:
                run.output_closed.set()

    def _clean_up_after(self, run: Run) -> None:
        """Kill what the executor left behind: its process group, and escaped descendants
        already re-parented to us (the rest is swept when the supervisor stops)."""
        signal_group(run.pid, signal.SIGKILL)
        self._services.guard.forget(run.pid)
        exclude = [self._services.guard.pid]
        for pid in kill_marked(run.token, adopted_children(exclude)):
            self._log.event(
                "killed", self.trigger_type, pid, level="warn", reason="left behind by its executor"
            )
