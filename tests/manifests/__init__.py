"""Manifest fixtures: committed app directories, copied into a test's temp dir before use.

Wasm files are git-ignored, so `copy_app` creates every `*.wasm` a fixture's manifest names as
a minimal (empty) module: the loader only checks that sources exist.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent
EMPTY_MODULE = b"\0asm\x01\0\0\0"


def copy_app(name: str, dest: Path) -> Path:
    """Copy fixture app `name` to `dest` and return the path of its `spin.toml`."""
    shutil.copytree(FIXTURES / name, dest, dirs_exist_ok=True)
    manifest = dest / "spin.toml"
    for source in re.findall(r'source = "([^"]+\.wasm)"', manifest.read_text()):
        (dest / source).parent.mkdir(parents=True, exist_ok=True)
        (dest / source).write_bytes(EMPTY_MODULE)
    return manifest
