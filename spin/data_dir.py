"""Spin's data directory, where plugins and downloaded component sources are kept."""

from __future__ import annotations

import os
from pathlib import Path


def spin_data_dir() -> Path:
    """`SPIN_DATA_DIR`, else `$XDG_DATA_HOME/spin`, else `~/.local/share/spin`, as Spin finds
    it."""
    explicit = os.environ.get("SPIN_DATA_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "spin"
