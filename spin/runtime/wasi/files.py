"""A component's `files`, turned into the directories the guest gets as WASI preopens.

The locked app lists (host directory, guest path) pairs, and each directory is preopened at its
guest path. Only directories are mounted, as Spin's executors mount them: `spin up` copies a
component's single files and globs into one directory of the working directory
(`spin.file_mounts`). Without transient write the guest sees the directories read-only; with
it, the guest gets a private copy it may change, and the directories are never touched.

Confinement: a guest sees what the manifest mounts and nothing else. Before anything is
preopened or copied, every mounted tree is checked (`spin.mount_confinement.check_mount`), and
copies keep links as links, so a copy holds exactly what the original held.

Private copies live under the runtime's transient directory, one staging directory per loaded
component, locked (`flock`) by the process that uses it. Copies are made under a temporary name
and renamed when complete; a failed load removes its staging directory, and every load first
removes the staging directories no live process holds (left by a crash or a kill).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from spin.errors import SpinError
from spin.mount_confinement import check_mount, confined_guest_path

if TYPE_CHECKING:
    # Only private copies (transient write) use shutil and tempfile, which import bz2, lzma
    # and random: 0.5 MB of every guest worker's heap, so they are imported where used.
    import shutil

#: Name prefix of staging directories (after the component id) and of copies being made.
STAGING_MARK = "-files-"
PARTIAL_PREFIX = ".partial-"


@dataclass(frozen=True)
class Preopen:
    host_dir: Path
    guest_path: str
    writable: bool


class MountedFiles:
    """The preopens of one component, and the private copies behind them (transient write)."""

    def __init__(
        self,
        component_id: str,
        files: list[tuple[Path, str]],
        *,
        writable: bool,
        work_dir: Path | None,
    ) -> None:
        self.component_id = component_id
        self.preopens: list[Preopen] = []
        self._staging: Path | None = None
        self._lock_fd: int | None = None
        self._work_dir = work_dir
        if not files:
            return
        try:
            self._mount(files, writable)
        except BaseException:
            self.close()
            raise

    def _mount(self, files: list[tuple[Path, str]], writable: bool) -> None:
        for host, guest in files:
            guest_path = confined_guest_path(self.component_id, guest)
            if host.is_symlink() or not host.is_dir():
                what = f"a link to {os.readlink(host)}" if host.is_symlink() else "no directory"
                raise SpinError(
                    f"Component {self.component_id!r}: the locked app mounts {host} at "
                    f"{guest!r}, which is {what}. Only directories are mounted, as Spin's "
                    "executors mount them: lock the app again with `spin up`, which copies a "
                    "component's files into one directory, or fix its `files`."
                )
            check_mount(self.component_id, host)
            if writable:
                host = self._copy_tree(host, f"dir{len(self.preopens)}")
            self.preopens.append(Preopen(_real(host), str(guest_path), writable))

    def _copy_tree(self, host: Path, name: str) -> Path:
        """A private copy of the directory `host` (links kept as links), made under a
        temporary name and renamed once complete."""
        import shutil

        staging = self._staging_dir()
        partial, final = staging / f"{PARTIAL_PREFIX}{name}", staging / name
        try:
            shutil.copytree(host, partial, symlinks=True)
        except (OSError, shutil.Error) as err:
            raise SpinError(
                f"Component {self.component_id!r}: cannot make the private copy of {host} that "
                f"--allow-transient-write gives the guest: {_copy_problem(err)}. Free space "
                f"under {staging.parent}, or run without --allow-transient-write."
            ) from None
        os.rename(partial, final)
        return final

    def _staging_dir(self) -> Path:
        """This component's staging directory, created (and locked) on first use."""
        import tempfile

        if self._staging is None:
            work_dir = self._work_dir
            if work_dir is not None:
                work_dir.mkdir(parents=True, exist_ok=True)
            with _sweep_lock(work_dir):
                if work_dir is not None:
                    sweep_stale_copies(work_dir)
                staging = Path(
                    tempfile.mkdtemp(prefix=f"{self.component_id}{STAGING_MARK}", dir=work_dir)
                )
                self._lock_fd = _lock_dir(staging)
                self._staging = staging
        return self._staging

    def close(self) -> None:
        """Remove the staging directory (transient writes are discarded, as in Spin)."""
        if self._staging is not None:
            import shutil

            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


@contextlib.contextmanager
def _sweep_lock(work_dir: Path | None) -> Iterator[None]:
    """A lock on the transient directory itself, held while sweeping and while creating a
    staging directory, so that a sweep never sees a staging directory before its lock."""
    if work_dir is None:
        yield
        return
    fd = os.open(work_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _lock_dir(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def sweep_stale_copies(work_dir: Path) -> list[Path]:
    """Remove the staging directories under `work_dir` that no live process holds; the
    removed paths. The caller holds the sweep lock."""
    import shutil

    removed = []
    for entry in work_dir.iterdir():
        if STAGING_MARK not in entry.name or not entry.is_dir() or entry.is_symlink():
            continue
        try:
            fd = _lock_dir(entry)
        except OSError:
            continue  # held by a running guest worker (or gone already)
        try:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        finally:
            os.close(fd)
    return removed


def _copy_problem(err: OSError | shutil.Error) -> str:
    import shutil

    if isinstance(err, shutil.Error):
        first = err.args[0][0] if err.args and err.args[0] else None
        return f"{first[0]}: {first[2]}" if first else str(err)
    return f"{err.filename}: {err.strerror}" if err.filename else str(err.strerror or err)


def _real(path: Path) -> Path:
    """`path` without links on the way (the transient directory may lie under one)."""
    return Path(os.path.realpath(path))
