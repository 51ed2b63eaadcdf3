"""The supervisor's private directory: the executors' NOTIFY_SOCKETs (readiness.py), nothing else.

Made and removed with `os` alone: `tempfile` and `shutil` (with the compression modules shutil
imports) would stay in the supervisor's memory for its whole life for these two calls.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def make_private_dir(token: str) -> Path:
    """A new directory only we can use, named after the supervisor's unique tree token."""
    path = Path(os.environ.get("TMPDIR") or "/tmp") / f"spin-up-{token}"
    path.mkdir(mode=0o700)
    return path


def remove_private_dir(path: Path) -> None:
    """Remove it and the sockets in it (it holds no subdirectory); it may be gone already."""
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
        os.rmdir(path)
