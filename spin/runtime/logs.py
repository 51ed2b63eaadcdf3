"""Component stdout/stderr: appended to `<log dir>/<id>_stdout.txt` / `_stderr.txt`, and echoed
to the executor's console unless `--quiet` (or `--follow` names other components).

Each file is bounded: once a write would take it past `max_bytes` (32 MiB, or
`SPIN_COMPONENT_LOG_MAX_MB`; 0 for no bound) it is renamed to `<name>.1`, replacing the previous
`.1`, and a new file is started; so a component's logs take at most four times `max_bytes` on
disk. Several worker processes append to the same files: the one that rotates holds an `flock`
on the file, and the others notice the rename (the path names another file) and reopen.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from spin.runtime.config import MEBIBYTE

DEFAULT_LOG_MAX_MB = 32.0
LOG_MAX_ENV = "SPIN_COMPONENT_LOG_MAX_MB"


def default_max_bytes() -> int | None:
    """`SPIN_COMPONENT_LOG_MAX_MB` (0: unbounded), else 32 MiB; a bad value is the default."""
    try:
        megabytes = float(os.environ.get(LOG_MAX_ENV, DEFAULT_LOG_MAX_MB))
    except ValueError:
        megabytes = DEFAULT_LOG_MAX_MB
    return int(megabytes * MEBIBYTE) if megabytes > 0 else None


class ComponentLogs:
    """The two log files of one component (thread-safe). Each guest worker process has its own
    instance; appends to the same files interleave only at whole writes."""

    def __init__(
        self, log_dir: Path | None, component_id: str, *, echo: bool, max_bytes: int | None = -1
    ) -> None:
        """`log_dir` None: no files (`-L ""`), the console only."""
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = log_dir
        self.component_id = component_id
        self.stdout_path = log_dir / f"{component_id}_stdout.txt" if log_dir else None
        self.stderr_path = log_dir / f"{component_id}_stderr.txt" if log_dir else None
        self.echo = echo
        self.max_bytes = default_max_bytes() if max_bytes == -1 else max_bytes
        self._lock = threading.Lock()
        self._files: dict[Path, BinaryIO] = {}

    def write_stdout(self, data: bytes) -> None:
        self._write(self.stdout_path, data, sys.stdout)

    def write_stderr(self, data: bytes) -> None:
        self._write(self.stderr_path, data, sys.stderr)

    def _write(self, path: Path | None, data: bytes, console: object) -> None:
        if not data:
            return
        with self._lock:
            if path is not None:
                self._append(path, data)
            if self.echo:
                stream = getattr(console, "buffer", None)
                if stream is not None:
                    stream.write(data)
                    stream.flush()

    def _append(self, path: Path, data: bytes) -> None:
        file = self._file(path)
        size = os.fstat(file.fileno()).st_size
        if self.max_bytes is not None and size + len(data) > self.max_bytes:
            file = self._rotate(path, file)
        file.write(data)
        file.flush()

    def _file(self, path: Path) -> BinaryIO:
        """The open file at `path`, reopened if another process rotated it away."""
        file = self._files.get(path)
        if file is not None and self.max_bytes is not None and not _is_at(file, path):
            file.close()
            file = None
        if file is None:
            file = self._files[path] = path.open("ab")
        return file

    def _rotate(self, path: Path, file: BinaryIO) -> BinaryIO:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            # Unless another process rotated it while we waited for the lock.
            if _is_at(file, path) and os.fstat(file.fileno()).st_size > 0:
                os.replace(path, path.with_name(path.name + ".1"))
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)
        file.close()
        file = self._files[path] = path.open("ab")
        return file

    def close(self) -> None:
        with self._lock:
            for file in self._files.values():
                file.close()
            self._files.clear()


def _is_at(file: BinaryIO, path: Path) -> bool:
    """Whether `path` still names the open `file`."""
    try:
        at_path = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(file.fileno())
    return (at_path.st_dev, at_path.st_ino) == (mine.st_dev, mine.st_ino)
