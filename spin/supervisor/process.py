"""Starting and ending one executor process tree (Linux).

Every executor runs in its own session, hence its own process group, so a signal to the group
reaches the executor and every descendant that stayed in it. The executor also gets
PR_SET_PDEATHSIG=SIGKILL: if the supervisor dies, the kernel kills it (the orphan guard, see
`orphan_guard.py`, takes care of its descendants). The supervisor is a child subreaper, so
descendants that escape into a session of their own are re-parented to it when their parent
dies; `adopted_children` finds them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import IO

import anyio

from spin.parent_death import die_with_parent

PR_SET_CHILD_SUBREAPER = 36

#: The environment variable that marks every process of an executor tree with the token of its
#: supervisor and executor, so that escaped descendants can be found (see `orphan_guard.py`).
TREE_TOKEN = "SPIN_SUPERVISOR_TREE"

_libc = ctypes.CDLL(None, use_errno=True)


def become_subreaper() -> None:
    """Orphaned descendants of our children are re-parented to us, not to init."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _prepare_child(supervisor_pid: int) -> None:
    """Runs in the forked child before exec: clean signal mask, die with the supervisor."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    if not die_with_parent(supervisor_pid):
        os._exit(1)


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended: an exit code, or the signal that killed it."""

    code: int | None = None
    signal: int | None = None

    @classmethod
    def from_wait_status(cls, status: int) -> ExitStatus:
        if os.WIFSIGNALED(status):
            return cls(signal=os.WTERMSIG(status))
        return cls(code=os.waitstatus_to_exitcode(status))

    @property
    def failed(self) -> bool:
        return self.code != 0

    @property
    def exit_code(self) -> int:
        """As a shell reports it: the code, or 128 + the signal number."""
        return self.code if self.code is not None else 128 + (self.signal or 0)

    def describe(self) -> dict[str, object]:
        if self.signal is not None:
            return {"signal": signal.Signals(self.signal).name}
        return {"code": self.code}


def spawn(
    argv: list[str],
    env: dict[str, str],
    *,
    stdin: int | IO[bytes] = subprocess.DEVNULL,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start a process (an executor, a reload's planner) in a new session with piped stdout and,
    unless inherited (`stderr=None`), stderr; the read ends are non-blocking (see `chunks`).

    The caller reaps it (see `reaper.py`); Popen's own wait methods are never used.
    """
    supervisor_pid = os.getpid()
    process = subprocess.Popen(
        argv,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=lambda: _prepare_child(supervisor_pid),
    )
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            os.set_blocking(stream.fileno(), False)
    return process


async def chunks(fd: int) -> AsyncIterator[bytes]:
    """What a non-blocking pipe delivers, as it comes, until end-of-file."""
    while True:
        await anyio.wait_readable(fd)
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if not chunk:
            return
        yield chunk


def signal_group(pgid: int, signum: int) -> bool:
    """Send a signal to a process group; False if no process is left in it."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


def adopted_children(exclude: Iterable[int] = ()) -> list[int]:
    """Our direct children (executors and adopted orphans), minus `exclude`."""
    pids: set[int] = set()
    pid = os.getpid()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as file:
                pids.update(int(p) for p in file.read().split())
        except OSError:
            continue
    return sorted(pids - set(exclude))


def tree_token_of(pid: int) -> str | None:
    """The TREE_TOKEN value in a process's environment, if readable and present."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as file:
            environ = file.read()
    except OSError:
        return None
    prefix = TREE_TOKEN.encode() + b"="
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode(errors="replace")
    return None


def kill_marked(token_prefix: str, pids: Iterable[int]) -> list[int]:
    """SIGKILL those of `pids` whose tree token starts with `token_prefix`; return them."""
    killed = []
    for pid in pids:
        token = tree_token_of(pid)
        if token is not None and token.startswith(token_prefix):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            killed.append(pid)
    return killed
