"""A component's `files`, turned into the directories the guest gets as WASI preopens.

The locked app lists (host path, guest path) pairs: a directory mounted at a guest path, or a
single file (glob patterns are expanded to one entry per file). WASI can only preopen
directories, so single files are gathered into a staging directory (hard links where possible)
preopened at `/`; directories are preopened where they are. Without transient write the guest
sees everything read-only; with it, the guest gets a private copy it may change, and the
originals are never touched.

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
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spin.errors import SpinError
from spin.mount_confinement import check_mount

#: Name prefix of staging directories (after the component id) and of copies being made.
STAGING_MARK = "-files-"
PARTIAL_PREFIX = ".partial-"


def check_single_file(component_id: str, host: Path, guest: str) -> None:
    """SpinError unless `host`, to be mounted at `guest`, is a regular file (not a link)."""
    if host.is_symlink():
        raise SpinError(
            f"Component {component_id!r}: the file to mount at {guest!r}, {host}, is a symbolic "
            f"link to {os.readlink(host)}. Mount the file it points to instead (the manifest "
            "does so for the files it lists itself)."
        )
    if not host.is_file():
        raise SpinError(
            f"Component {component_id!r}: the file to mount at {guest!r}, {host}, is not a "
            "regular file. Fix the component's `files` in the manifest."
        )


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
        single_files: list[tuple[Path, PurePosixPath]] = []
        directories: list[tuple[Path, PurePosixPath]] = []
        for host, guest in files:
            guest_path = _guest_path(self.component_id, guest)
            if host.is_dir() and not host.is_symlink():
                check_mount(self.component_id, host)
                directories.append((host, guest_path))
            elif host.exists() or host.is_symlink():
                check_single_file(self.component_id, host, guest)
                single_files.append((host, guest_path))
            else:
                raise SpinError(
                    f"Component {self.component_id!r}: the file to mount at {guest!r}, {host}, "
                    "does not exist. Fix the component's `files` in the manifest."
                )
        for host, guest_path in directories:
            if writable:
                host = self._copy_tree(host, f"dir{len(self.preopens)}")
            self.preopens.append(Preopen(_real(host), str(guest_path), writable))
        if single_files:
            root = self._stage_files(single_files, copy=writable)
            self.preopens.insert(0, Preopen(_real(root), "/", writable))

    def _copy_tree(self, host: Path, name: str) -> Path:
        """A private copy of the directory `host` (links kept as links), made under a
        temporary name and renamed once complete."""
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

    def _stage_files(self, files: list[tuple[Path, PurePosixPath]], *, copy: bool) -> Path:
        staging = self._staging_dir()
        partial, root = staging / f"{PARTIAL_PREFIX}root", staging / "root"
        for host, guest_path in files:
            target = partial.joinpath(*guest_path.parts[1:])
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                _place(host, target, copy=copy)
            except OSError as err:
                raise SpinError(
                    f"Component {self.component_id!r}: cannot stage {host} for the guest at "
                    f"{guest_path}: {err.strerror}. Free space under {staging.parent}, or fix "
                    "the component's `files`."
                ) from None
        os.rename(partial, root)
        return root

    def _staging_dir(self) -> Path:
        """This component's staging directory, created (and locked) on first use."""
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
    if isinstance(err, shutil.Error):
        first = err.args[0][0] if err.args and err.args[0] else None
        return f"{first[0]}: {first[2]}" if first else str(err)
    return f"{err.filename}: {err.strerror}" if err.filename else str(err.strerror or err)


def _real(path: Path) -> Path:
    """`path` without links on the way (the transient directory may lie under one)."""
    return Path(os.path.realpath(path))


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
            os.link(host, target, follow_symlinks=False)
            return
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    shutil.copy2(host, target, follow_symlinks=False)
