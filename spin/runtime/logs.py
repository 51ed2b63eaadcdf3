"""Component stdout/stderr: appended to `<log dir>/<id>_stdout.txt` / `_stderr.txt`, and echoed
to the executor's console unless `--quiet` (or `--follow` names other components)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import BinaryIO


class ComponentLogs:
    """The two log files of one component (thread-safe). Each guest worker process has its own
    instance; appends to the same files interleave only at whole writes."""

    def __init__(self, log_dir: Path, component_id: str, *, echo: bool) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.component_id = component_id
        self.stdout_path = log_dir / f"{component_id}_stdout.txt"
        self.stderr_path = log_dir / f"{component_id}_stderr.txt"
        self.echo = echo
        self._lock = threading.Lock()
        self._files: dict[str, BinaryIO] = {}

    def write_stdout(self, data: bytes) -> None:
        self._write("stdout", self.stdout_path, data, sys.stdout)

    def write_stderr(self, data: bytes) -> None:
        self._write("stderr", self.stderr_path, data, sys.stderr)

    def _write(self, name: str, path: Path, data: bytes, console: object) -> None:
        if not data:
            return
        with self._lock:
            file = self._files.get(name)
            if file is None:
                file = self._files[name] = path.open("ab")
            file.write(data)
            file.flush()
            if self.echo:
                stream = getattr(console, "buffer", None)
                if stream is not None:
                    stream.write(data)
                    stream.flush()

    def close(self) -> None:
        with self._lock:
            for file in self._files.values():
                file.close()
            self._files.clear()
