"""Reaping every child of the supervisor when SIGCHLD arrives.

One place calls waitpid: executors are dispatched to their callback at once (no polling
interval), and adopted orphans (we are a child subreaper, maybe PID 1 in a container) are reaped
so that no zombie is left.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from spin.supervisor.process import ExitStatus

ExitCallback = Callable[[ExitStatus], None]


class Reaper:
    def __init__(self) -> None:
        self._callbacks: dict[int, ExitCallback] = {}

    def watch(self, pid: int, on_exit: ExitCallback) -> None:
        self._callbacks[pid] = on_exit

    def reap(self) -> None:
        """Collect every exited child; call the callbacks of those being watched."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            callback = self._callbacks.pop(pid, None)
            if callback is not None:
                callback(ExitStatus.from_wait_status(status))
