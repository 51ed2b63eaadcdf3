"""A component's `files`, turned into the directories the guest gets as WASI preopens.

The locked app lists (host path, guest path) pairs: a directory mounted at a guest path, or a
single file (glob patterns are expanded to one entry per file). WASI can only preopen
directories, so single files are gathered into a staging directory (hard links where possible)
preopened at `/`; directories are preopened where they are. Without transient write the guest
sees everything read-only; with it, the guest gets a private copy it may change, and the
originals are never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spin.errors import SpinError


@dataclass(frozen=True)
class Preopen:
    host_dir: Path
    guest_path: str
    writable: bool


class MountedFiles:
    """The preopens of one component, and the staging directory behind them (if any)."""

    def __init__(
        self,
        component_id: str,
        files: list[tuple[Path, str]],
        *,
        writable: bool,
        work_dir: Path | None,
    ) -> None:
        self.preopens: list[Preopen] = []
        self._staging: Path | None = None
        if not files:
            return
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
        single_files: list[tuple[Path, PurePosixPath]] = []
        for host, guest in files:
            guest_path = _guest_path(component_id, guest)
            if host.is_dir():
                if writable:
                    copy = self._staging_dir(component_id, work_dir) / f"dir{len(self.preopens)}"
                    shutil.copytree(host, copy, symlinks=False)
                    host = copy
                self.preopens.append(Preopen(host, str(guest_path), writable))
            elif host.is_file():
                single_files.append((host, guest_path))
            else:
                raise SpinError(
                    f"Component {component_id!r}: the file to mount at {guest!r}, {host}, does "
                    "not exist. Fix the component's `files` in the manifest."
                )
        if single_files:
            root = self._staging_dir(component_id, work_dir) / "root"
            for host, guest_path in single_files:
                target = root.joinpath(*guest_path.parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                _place(host, target, copy=writable)
            self.preopens.insert(0, Preopen(root, "/", writable))

    def _staging_dir(self, component_id: str, work_dir: Path | None) -> Path:
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix=f"{component_id}-files-", dir=work_dir))
        return self._staging

    def close(self) -> None:
        """Remove the staging directory (transient writes are discarded, as in Spin)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None


def _guest_path(component_id: str, guest: str) -> PurePosixPath:
    path = PurePosixPath("/") / guest
    if ".." in path.parts:
        raise SpinError(
            f"Component {component_id!r}: the guest path {guest!r} in `files` leaves the "
            "guest's root. Use a path without `..`."
        )
    return path


def _place(host: Path, target: Path, *, copy: bool) -> None:
    """Put `host` at `target`: a private copy when the guest may write, else a hard link."""
    if not copy:
        try:
            os.link(host, target)
            return
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    shutil.copy2(host, target)
