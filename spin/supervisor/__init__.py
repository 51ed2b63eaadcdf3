"""The orchestrating supervisor: one executor child per trigger type (see supervise()).

Modules, top-down: `handover` (`spin up` execs `python -m spin.supervisor`, a process that
imports only this package), `manager` (all children, signals, stop, reload, status), `planner`
(a reload's new plan, made by a short-lived process), `child` (one trigger type's executor
across restarts), `restart_policy` (the policy's keys and defaults, restart
decisions), `process` (spawning and killing process trees), `orphan_guard` (no orphans when the
supervisor is SIGKILLed), `reaper` (SIGCHLD), `readiness` (sd_notify server side), `log`
(lifecycle lines and relayed output), `stats` (psutil), `settings` (app-wide settings).

Importing this package is cheap (no anyio, no click): the manifest layer derives the
`[supervisor.<type>]` vocabulary from `restart_policy.Policy`.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from spin.supervisor.restart_policy import Policy
from spin.supervisor.settings import SupervisorSettings

if TYPE_CHECKING:
    from spin.supervisor.planner import Planner
    from spin.up.launch import LaunchPlan

__all__ = ["Policy", "SupervisorSettings", "supervise"]

#: Signals the supervisor handles; they are blocked from before the hand-over (handover.py)
#: until the event loop listens, so none is lost or acted on by default during start-up.
HANDLED_SIGNALS = frozenset(
    {signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGCHLD}
)


def supervise(
    plan: LaunchPlan,
    settings: SupervisorSettings,
    planner: Planner | None = None,
) -> int:
    """Run one child per ExecutorLaunch (spin/up/launch.py) until stopped; return the exit code.

    On SIGHUP, `planner` (planner.py) makes a new plan from the manifest as it is now; when it
    has none (the manifest is now invalid), the running executors are kept.
    The executors are started before the event loop is set up, so they start while the
    async machinery is imported; signals are held until the loop listens for them.
    """
    import anyio

    from spin.supervisor.manager import Manager
    from spin.supervisor.process import become_subreaper

    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    become_subreaper()
    manager = Manager(plan, settings, planner)
    try:
        manager.start_all()
        return anyio.run(manager.run)
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
        manager.close()
