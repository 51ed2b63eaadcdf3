"""JSON handed to another process as an open file: the launch plan to the supervisor process
(handover.py), a reload's recipe to the planner (planner.py).

An anonymous in-memory file (`memfd`, Linux): writing it never blocks as a pipe would once its
64 KiB buffer is full, nothing is left on disk, and no `tempfile` is imported for it.
"""

from __future__ import annotations

import json
import os
from typing import Any


def json_file(data: Any) -> int:
    """A new file descriptor (close-on-exec; a child given it as stdin gets it anyway) of a
    file holding `data` as JSON, positioned at its start."""
    fd = os.memfd_create("spin-json")
    with open(fd, "wb", closefd=False) as file:
        file.write(json.dumps(data).encode())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
