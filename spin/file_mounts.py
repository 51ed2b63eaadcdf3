"""A component's `files` as the locked app mounts them: directories only, as Spin's executors
read them (their file mounter refuses anything else: "only supports directory mounts").

Two ways, as in Spin 3 (its loader's `FilesMountStrategy`):

- Copy (Spin's default): every file the component's `files` select (globs, directories,
  `{ source, destination }` entries, minus `exclude_files`) is copied into
  `<assets dir>/<component id>/<guest path>`, and the lock mounts that one directory at `/`.
  Edits to the app's files are not seen until the app is locked again (`spin up`, or a reload).
- Direct (`spin up --direct-mounts`): each entry must name a directory, which is mounted where it
  is, so the guest sees edits as they happen. A file, a glob or `exclude_files` cannot be
  mounted that way and is refused, as Spin refuses it.

A directory copied whole keeps its symbolic links as links, after the same confinement check the
executor applies to a mounted directory (`check_mount`: relative links to something inside it
only), so a link out of it stops `spin up` before anything starts. Files a glob selects are
copied with their content (the manifest loader has already checked that they lie inside the app
directory).

When the copy already there holds what a new copy would (same names, sizes, modification times
and links, read from the sources), nothing is copied: a reload of an app whose files did not
change leaves the directory running executors use alone, and costs a walk of the sources
(2,000 files of 4 KB: 0.2-0.3 s, a first copy 0.5-2.2 s on the loaded 2-core machine). Otherwise
the copy is made beside its place and swapped in when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from spin.errors import SpinError
from spin.mount_confinement import check_mount, confined_guest_path

if TYPE_CHECKING:
    from spin.manifest.model import Component

#: Under a working directory, where Spin copies components' files (`<working dir>/assets`).
ASSETS_DIR_NAME = "assets"


def copied_mounts(component: Component, assets_dir: Path) -> list[dict[str, Any]]:
    """Copy the component's files into `assets_dir/<id>`; the lock's one mount of it at `/`.

    Nothing under `assets_dir` is copied: with the working directory inside the app directory
    (`spin up --exec`'s `.spin/up`), `"**/*"` or a `"."` mount would otherwise copy earlier
    copies, and copy the copy being made into itself."""
    if not component.files:
        return []
    assets_dir.mkdir(parents=True, exist_ok=True)
    assets = assets_dir.resolve()
    mounts = [
        (m.source, confined_guest_path(component.id, m.destination).relative_to("/"))
        for m in component.files
        if not m.source.resolve().is_relative_to(assets)
    ]
    for source, _ in mounts:
        if source.is_dir():
            check_mount(component.id, source)
    final = assets_dir / component.id
    if not (final.is_dir() and _listing(final) == _expected_listing(mounts, assets)):
        staging = Path(tempfile.mkdtemp(prefix=f".{component.id}-", dir=assets_dir))
        try:
            for source, relative in mounts:
                _copy(component.id, source, staging, relative, assets)
            final = _publish(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return [{"source": final.resolve().as_uri(), "path": "/"}]


def direct_mounts(component: Component, manifest: Path) -> list[dict[str, Any]]:
    """The lock's mounts of the component's `files` directories where they are."""
    if component.exclude_files:
        raise SpinError(
            f"{manifest}: component {component.id!r} has `exclude_files`, which "
            "--direct-mounts cannot apply: it mounts whole directories (Spin refuses it too). "
            "Run without --direct-mounts (the files are then copied), or remove the "
            "component's `exclude_files`."
        )
    mounts = []
    app_dir = manifest.parent.resolve()
    for entry in component.files_as_written:
        if not entry.host.is_dir():
            raise SpinError(
                f"{manifest}: {entry.field} ({entry.written!r}) is not a directory, and "
                "--direct-mounts mounts only directories (as Spin does). Mount the directory "
                "that holds it, or run without --direct-mounts (the files are then copied)."
            )
        host = entry.host.resolve()
        if not host.is_relative_to(app_dir):  # an empty directory the loader found no file in
            raise SpinError(
                f"{manifest}: {entry.field} ({entry.written!r}) is a link to {host}, outside "
                f"the application directory {app_dir}, and a guest may only see the app's "
                "files. Mount a directory inside the application directory."
            )
        mounts.append({"source": host.as_uri(), "path": entry.destination})
    return mounts


def _copy(
    component_id: str, source: Path, staging: Path, relative: PurePosixPath, assets: Path
) -> None:
    """Copy a file, or a directory with its links as links (but not `assets`), to the guest
    path `/<relative>` in `staging`."""
    target = staging / relative

    def skip_assets(directory: str, names: list[str]) -> list[str]:
        here = assets.name in names and Path(directory).resolve() == assets.parent
        return [assets.name] if here else []

    try:
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True, ignore=skip_assets)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    except (OSError, shutil.Error) as err:
        raise SpinError(
            f"Component {component_id!r}: cannot copy {source} to {target} (the guest's "
            f"/{relative}): {_reason(err)}. Give each of the component's `files` its own guest "
            f"path, or free space under {staging.parent}."
        ) from None


def _reason(err: OSError | shutil.Error) -> str:
    if isinstance(err, shutil.Error):  # copytree's list of (source, target, reason)
        return "; ".join(str(problem[2]) for problem in err.args[0][:3])
    return err.strerror or str(err)


def _publish(staging: Path, final: Path) -> Path:
    """Make `staging` the copy at `final`, unless `final` already holds the same files."""
    for _ in range(3):  # another process (an executor locking the app itself) may race us
        if final.is_dir() and _listing(final) == _listing(staging):
            return final
        retired = Path(tempfile.mkdtemp(prefix=f".{final.name}-old-", dir=final.parent))
        try:
            if final.exists():
                os.rename(final, retired / final.name)
            os.rename(staging, final)
            return final
        except OSError:
            continue
        finally:
            shutil.rmtree(retired, ignore_errors=True)
    raise SpinError(
        f"Cannot replace the copy of the app's files at {final}: it keeps changing. Stop the "
        "other `spin up` that uses the same working directory (--tmp), or use another one."
    )


def _listing(root: Path) -> list[tuple[str, ...]]:
    """What a copy holds: (path, "file", size, mtime) / (path, "link", target) / (path, "dir")."""
    return sorted((path, *info) for path, info in _entries(root))


def _expected_listing(
    mounts: list[tuple[Path, PurePosixPath]], assets: Path
) -> list[tuple[str, ...]]:
    """The listing a copy of `mounts` would have (copies keep sizes and modification times),
    read from the sources without copying them: a reload of an unchanged app copies nothing."""
    entries: dict[str, tuple[str, ...]] = {}
    for source, relative in mounts:
        entries.update((str(parent), ("dir",)) for parent in relative.parents if parent.name)
        if source.is_dir():
            if relative.name:
                entries[str(relative)] = ("dir",)
            entries.update(
                (os.path.normpath(os.path.join(relative, path)), info)
                for path, info in _entries(source, skip=assets)
            )
        else:
            stat = os.stat(source)
            entries[str(relative)] = ("file", str(stat.st_size), str(stat.st_mtime_ns))
    return sorted((path, *info) for path, info in entries.items())


def _entries(root: Path, skip: Path | None = None) -> Iterator[tuple[str, tuple[str, ...]]]:
    for directory, dirs, files in os.walk(root):
        if skip is not None and skip.name in dirs and Path(directory).resolve() == skip.parent:
            dirs.remove(skip.name)
        for name in (*dirs, *files):
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            if os.path.islink(path):
                yield relative, ("link", os.readlink(path))
            elif name in files:
                info = os.lstat(path)
                yield relative, ("file", str(info.st_size), str(info.st_mtime_ns))
            else:
                yield relative, ("dir",)
