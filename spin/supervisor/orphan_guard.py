"""The orphan guard: no executor process outlives a supervisor that was SIGKILLed.

PR_SET_PDEATHSIG only covers the executor itself, not what it started. So the supervisor starts
one small guard process first, with the supervisor's tree token and private directory. The
supervisor holds the write end of a pipe to it and tells it each executor's process group
(`+PGID` / `-PGID` lines). When the pipe reaches end-of-file without a `done` line, the
supervisor died: the guard SIGKILLs every group it knows, then every process still marked with
the supervisor's tree token (descendants that escaped into a session of their own), removes the
supervisor's private directory and exits. It costs one process for the whole supervisor, sleeps
in a blocking read, and needs nothing from the executors.

The guard is a POSIX shell script (orphan_guard.sh; it needs `grep -z`, as GNU and BusyBox grep
have), shown in `ps` as `spin up: orphan guard <script>`. It was a fork of the supervisor, and
each page the supervisor changed after the fork became the guard's own copy: `make
bench-footprint` measured it at 14.7 MB RSS, 8.9 MB PSS (6.9 MB PSS forked as early as
possible); as a shell, 1.7 MB RSS, 0.2 MB PSS.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from spin.supervisor.private_dir import make_private_dir

#: What `ps` shows (argv[0]; the shell itself only reads its script's path from argv[1]).
TITLE = "spin up: orphan guard"
SCRIPT = Path(__file__).with_name("orphan_guard.sh")


class OrphanGuard:
    """The supervisor's end of the guard process."""

    def __init__(self, pid: int, pipe: int, token: str, private_dir: Path) -> None:
        self.pid = pid
        self._pipe = pipe
        #: The supervisor's tree token: every executor's is `<token>/...` (process.TREE_TOKEN).
        self.token = token
        #: The supervisor's private directory (private_dir.py), removed by the guard if need be.
        self.private_dir = private_dir

    @classmethod
    def start(cls) -> OrphanGuard:
        """Make the supervisor's tree token and private directory, and start the guard in a
        process group of its own (a signal to the supervisor's group spares it)."""
        token = f"{os.getpid()}-{os.urandom(6).hex()}"
        private_dir = make_private_dir(token)
        read_end, write_end = os.pipe()
        env = {**os.environ, "SPIN_GUARD_TOKEN": token + "/", "SPIN_GUARD_DIR": str(private_dir)}
        try:
            pid = os.posix_spawn(
                "/bin/sh",
                [TITLE, str(SCRIPT)],
                env,
                file_actions=[(os.POSIX_SPAWN_DUP2, read_end, 0)],
                setpgroup=0,
                setsigmask=(),
            )
        finally:
            os.close(read_end)
        return cls(pid, write_end, token, private_dir)

    def watch(self, pgid: int) -> None:
        self._send(f"+{pgid}")

    def forget(self, pgid: int) -> None:
        self._send(f"-{pgid}")

    def close(self) -> None:
        """A clean exit: everything is stopped already, the guard just ends."""
        self._send("done")
        os.close(self._pipe)

    def _send(self, line: str) -> None:
        with contextlib.suppress(OSError):  # the guard is gone: nothing to tell it
            os.write(self._pipe, line.encode() + b"\n")
