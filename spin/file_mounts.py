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

A component's copy is made beside its final place and swapped in when complete; when it holds
the same files as the copy already there (same names, sizes, modification times and links), the
existing one is kept, so that a reload leaves untouched the directory a running executor uses.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spin.errors import SpinError
from spin.mount_confinement import check_mount, confined_guest_path

if TYPE_CHECKING:
    from spin.manifest.model import Component

#: Under a working directory, where Spin copies components' files (`<working dir>/assets`).
ASSETS_DIR_NAME = "assets"


def copied_mounts(component: Component, assets_dir: Path) -> list[dict[str, Any]]:
    """Copy the component's files into `assets_dir/<id>`; the lock's one mount of it at `/`."""
    if not component.files:
        return []
    assets_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{component.id}-", dir=assets_dir))
    try:
        for mount in component.files:
            _copy(component.id, mount.source, staging, mount.destination, assets_dir.resolve())
        final = _publish(staging, assets_dir / component.id)
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


def _copy(component_id: str, source: Path, staging: Path, guest: str, assets_dir: Path) -> None:
    """Copy a file, or a directory with its links as links, to `guest` under `staging`.

    Nothing under `assets_dir` is copied: with the working directory inside the app directory
    (`spin up --exec`'s `.spin/up`), `"**/*"` or a `"."` mount would otherwise copy earlier
    copies, and copy the copy being made into itself."""
    if source.resolve().is_relative_to(assets_dir):
        return
    target = staging.joinpath(*confined_guest_path(component_id, guest).parts[1:])

    def skip_assets(directory: str, names: list[str]) -> list[str]:
        here = assets_dir.name in names and Path(directory).resolve() == assets_dir.parent
        return [assets_dir.name] if here else []

    try:
        if source.is_dir():
            check_mount(component_id, source)
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True, ignore=skip_assets)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    except (OSError, shutil.Error) as err:
        raise SpinError(
            f"Component {component_id!r}: cannot copy {source} to {target} (the guest's "
            f"{guest}): {_reason(err)}. Give each of the component's `files` its own guest "
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
    return sorted(_entries(root))


def _entries(root: Path) -> Iterator[tuple[str, ...]]:
    for directory, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            info = os.lstat(path)
            if os.path.islink(path):
                yield (relative, "link", os.readlink(path))
            elif name in files:
                yield (relative, "file", str(info.st_size), str(info.st_mtime_ns))
            else:
                yield (relative, "dir")
