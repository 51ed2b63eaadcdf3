"""Confinement of a mounted directory: a guest sees what the manifest mounts and nothing else.

`check_mount` walks a directory before it is mounted or copied: a symbolic link must be relative
and lead, step by step, to an existing file or directory inside the mounted directory; anything
else (a link out of it, an absolute link, a dangling link, a device or pipe) refuses the app's
start, naming the component, the directory, the link, its target and the fix. `resolve_beneath`
applies the same rule to one path at call time, for hosts that resolve guest paths themselves
(the WASI 0.2 host). Used by `spin up` when it copies a component's files and by the executor
when it mounts them; stdlib only, so that `spin up` loads no runtime for it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from spin.errors import SpinError

#: Symbolic links followed for one path before giving up, as Linux does (ELOOP).
MAX_SYMLINK_HOPS = 40

_FIX_LINK = (
    "Replace the link with a copy of what it points to, make it a relative link to a file inside "
    "the mounted directory, or mount its target explicitly in the component's `files`."
)


class OutsideMount(Exception):
    """A path that leaves its mounted directory (`..` above it, or through a symbolic link)."""

    def __init__(self, path: str, link: str | None, target: str | None, why: str) -> None:
        self.path, self.link, self.target = path, link, target
        super().__init__(why)


def resolve_beneath(root: Path, relative: str | PurePosixPath, *, follow_last: bool = True) -> Path:
    """The host path that `relative` (a guest path inside the preopen `root`) names.

    Symbolic links are followed the way the kernel follows them, but the walk may never leave
    `root`: `..` above it or an absolute link raises OutsideMount, as does a chain of more
    than MAX_SYMLINK_HOPS links. With `follow_last` False a link in the last position is not
    followed (for lstat, unlink, readlink). The path need not exist.

    `root` itself must be a real directory path (as preopens and the results of this function
    are), not one that passes through a link: a directory opened without following its last
    link must not become a new root somewhere else.
    """
    base = Path(os.path.realpath(root))
    if base != Path(os.path.abspath(root)):
        raise OutsideMount(str(relative), str(root), str(base), "the directory is a link")
    pending = _reversed_parts(str(relative))
    current: list[str] = []
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not current:
                raise OutsideMount(str(relative), None, None, "`..` leads above the mount")
            current.pop()
            continue
        candidate = base.joinpath(*current, part)
        if (pending or follow_last) and candidate.is_symlink():
            hops += 1
            target = os.readlink(candidate)
            link = "/".join([*current, part])
            if hops > MAX_SYMLINK_HOPS:
                raise OutsideMount(str(relative), link, target, "too many levels of links")
            if os.path.isabs(target):
                raise OutsideMount(str(relative), link, target, "the link is absolute")
            pending.extend(_reversed_parts(target))
            continue
        current.append(part)
    return base.joinpath(*current)


def _reversed_parts(path: str) -> list[str]:
    return list(reversed(path.lstrip("/").split("/")))


def check_mount(component_id: str, host_dir: Path) -> None:
    """SpinError unless every entry under `host_dir` is a file, a directory, or a relative
    link to an existing file or directory inside it (see the module's docstring)."""
    root = Path(os.path.realpath(host_dir))
    for entry in _walk(component_id, root):
        mode = os.lstat(entry).st_mode
        if stat.S_ISLNK(mode):
            _check_link(component_id, root, entry)
        elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise SpinError(
                f"Component {component_id!r}: the mounted directory {host_dir} contains "
                f"{entry}, which is neither a file nor a directory (a device, pipe or socket). "
                "Only files and directories can be mounted: remove it from the directory."
            )


def _walk(component_id: str, root: Path) -> Iterator[Path]:
    def unreadable(err: OSError) -> None:
        raise SpinError(
            f"Component {component_id!r}: cannot read the mounted directory {err.filename}: "
            f"{err.strerror}. Fix its permissions or the component's `files`."
        )

    for directory, dirs, files in os.walk(root, onerror=unreadable):
        for name in (*dirs, *files):
            yield Path(directory, name)


def _check_link(component_id: str, root: Path, link: Path) -> None:
    target = os.readlink(link)
    relative = link.relative_to(root)
    where = f"Component {component_id!r}: the mounted directory {root} contains a symbolic link"
    try:
        resolved = resolve_beneath(root, relative.as_posix())
    except OutsideMount as err:
        hop = f" (through {err.link} -> {err.target})" if err.link != relative.as_posix() else ""
        raise SpinError(
            f"{where} {relative} -> {target} that leads outside it{hop}: {err}. A guest may "
            f"only see what the manifest mounts. {_FIX_LINK}"
        ) from None
    if not resolved.is_relative_to(root) or not os.path.lexists(resolved):
        raise SpinError(
            f"{where} {relative} -> {target} whose target does not exist (a dangling link). "
            "Remove the link or create its target inside the mounted directory."
        )
    if not (resolved.is_file() or resolved.is_dir()):
        raise SpinError(
            f"{where} {relative} -> {target} that leads to neither a file nor a directory. "
            "Remove the link."
        )


def confined_guest_path(component_id: str, guest: str) -> PurePosixPath:
    """`guest` as an absolute guest path; SpinError if it climbs out of the guest's root."""
    path = PurePosixPath("/") / guest
    if ".." in path.parts:
        raise SpinError(
            f"Component {component_id!r}: the guest path {guest!r} in `files` leaves the "
            "guest's root. Use a path without `..`."
        )
    return path
