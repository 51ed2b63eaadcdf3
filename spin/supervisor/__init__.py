"""The orchestrating supervisor: one executor child per trigger type (see supervise()).

Modules, top-down: `manager` (all children, signals, stop, reload, status), `child` (one trigger
type's executor across restarts), `restart_policy` (the policy's keys and defaults, restart
decisions), `process` (spawning and killing process trees), `orphan_guard` (no orphans when the
supervisor is SIGKILLed), `reaper` (SIGCHLD), `readiness` (sd_notify server side), `log`
(lifecycle lines and relayed output), `stats` (psutil), `settings` (app-wide settings).

Importing this package is cheap (no anyio, no click): the manifest layer derives the
`[supervisor.<type>]` vocabulary from `restart_policy.Policy`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from spin.supervisor.restart_policy import Policy
from spin.supervisor.settings import SupervisorSettings

if TYPE_CHECKING:
    from spin.up.launch import LaunchPlan

__all__ = ["Policy", "SupervisorSettings", "supervise"]


def supervise(
    plan: LaunchPlan,
    settings: SupervisorSettings,
    reload: Callable[[], LaunchPlan] | None = None,
) -> int:
    """Run one child per ExecutorLaunch (spin/up/launch.py) until stopped; return the exit code.

    `reload` (called on SIGHUP) re-reads the manifest and returns the new plan; it raises
    SpinError when the manifest is now invalid (the running executors are kept then).
    The executors are started before the event loop is set up, so they start while the
    async machinery is imported; signals are held until the loop listens for them.
    """
    import anyio

    from spin.supervisor.manager import HANDLED_SIGNALS, Manager
    from spin.supervisor.process import become_subreaper

    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    become_subreaper()
    manager = Manager(plan, settings, reload)
    try:
        manager.start_all()
        return anyio.run(manager.run)
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
        manager.close()
