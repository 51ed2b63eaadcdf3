"""Dying with the parent (Linux `PR_SET_PDEATHSIG`): the kernel SIGKILLs a process whose parent
is gone, so neither an executor nor a guest worker outlives the process that started it.

Note that the signal fires when the parent *thread* that forked the process ends: start such
children from a thread that lives as long as the parent (the main or the event-loop thread).
"""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent_pid: int) -> bool:
    """Ask for SIGKILL when the parent dies; False if it already died before we asked (the
    caller should exit at once then)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return os.getppid() == parent_pid
