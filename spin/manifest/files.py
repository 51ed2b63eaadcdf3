"""A component's `files` and `exclude_files`: which host files the guest sees, and where.

- A string is a path or glob pattern relative to the app directory. Every matched file is
  mounted at `/<its path relative to the app directory>`; a directory mounts every file
  under it the same way.
- `{ source = "dir", destination = "/x" }` mounts a file or a whole directory at `/x`. With
  `exclude_files` set, a directory is mounted file by file so that exclusions can apply.
- `exclude_files` patterns are matched against paths relative to the app directory
  (`*` also matches `/`, as Spin's matcher does).

Every file must lie inside the app directory. The entries are also kept as written
(`FilesEntry`), for `spin up --direct-mounts`, which mounts directories in place.
"""

from __future__ import annotations

import fnmatch
import glob
from pathlib import Path, PurePosixPath
from typing import Any

from spin.manifest.checks import Checker, index_path, key_path
from spin.manifest.model import FileMount, FilesEntry

_GLOB_CHARS = frozenset("*?[")
_PLACEMENT_FIX = 'Write `{ source = "dir", destination = "/path/in/guest" }`.'


def file_mounts(
    check: Checker, app_dir: Path, raw_files: object, raw_excludes: object, field: str
) -> tuple[tuple[FileMount, ...], tuple[FilesEntry, ...], tuple[str, ...]]:
    """Expand `files` (at `field.files`) minus `exclude_files` into absolute file mounts; also
    the entries as written and the `exclude_files` patterns."""
    files_field = key_path(field, "files")
    excludes = check.strings(raw_excludes, key_path(field, "exclude_files"))
    entries = check.array(raw_files, files_field, 'Write it as `["static/**/*", ...]`.')
    mounts: list[FileMount] = []
    written: list[FilesEntry] = []
    for i, entry in enumerate(entries):
        entry_field = index_path(files_field, i)
        if isinstance(entry, str):
            check.path(entry, entry_field, base=app_dir)
            with check.filesystem(entry_field, entry):
                found = _pattern_mounts(check, app_dir, entry, entry_field)
            written.append(FilesEntry(entry_field, entry, app_dir / entry, _guest(entry)))
        elif isinstance(entry, dict):
            with check.filesystem(entry_field, str(entry.get("source", ""))):
                found = _placement_mounts(check, app_dir, entry, entry_field, bool(excludes))
            source, destination = entry["source"], entry["destination"]
            written.append(FilesEntry(entry_field, source, app_dir / source, _guest(destination)))
        else:
            check.wrong_type(
                entry_field, entry, "a path or glob pattern string, or a table", _PLACEMENT_FIX
            )
        mounts.extend(m for m in found if not _excluded(app_dir, m.source, excludes))
    return tuple(mounts), tuple(written), excludes


def _guest(path: str) -> str:
    return str(PurePosixPath("/") / path)


def _pattern_mounts(check: Checker, app_dir: Path, pattern: str, field: str) -> list[FileMount]:
    _check_relative(check, pattern, field)
    path = app_dir / pattern
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = _files_under(path)
    elif _GLOB_CHARS.isdisjoint(pattern):
        check.fail(
            field,
            f"{pattern!r} does not exist in {app_dir} and is not a glob pattern.",
            "Create it, fix the path (relative to the manifest's directory), or remove it.",
        )
    else:
        matches = glob.glob(pattern, root_dir=app_dir, recursive=True, include_hidden=True)
        files = sorted(app_dir / m for m in matches if (app_dir / m).is_file())
    return [_mount(check, app_dir, file, field) for file in files]


def _placement_mounts(
    check: Checker, app_dir: Path, entry: dict[str, Any], field: str, file_by_file: bool
) -> list[FileMount]:
    check.only_keys(entry, field, ("source", "destination"))
    source = check.path(
        check.required(entry, field, "source", _PLACEMENT_FIX),
        key_path(field, "source"),
        base=app_dir,
    )
    destination = check.path(
        check.required(entry, field, "destination", _PLACEMENT_FIX),
        key_path(field, "destination"),
        "Use a shorter guest path of ordinary file names, such as `/data`.",
    )
    _check_relative(check, source, key_path(field, "source"))
    path = (app_dir / source).resolve()
    if not path.exists():
        check.fail(
            key_path(field, "source"),
            f"{source!r} does not exist in {app_dir}.",
            "Create it or fix the path (relative to the manifest's directory).",
        )
    _inside(check, app_dir, path, key_path(field, "source"))
    if path.is_file() and _directory_like(destination):
        check.fail(
            key_path(field, "destination"),
            f"{destination!r} is not a valid destination file name for the file {source!r}.",
            f"Give the file's path in the guest, e.g. `destination = "
            f'"/{PurePosixPath(source).name}"`, or mount a directory there.',
        )
    guest_root = PurePosixPath(_guest(destination))
    if path.is_dir() and file_by_file:
        return [
            _placed_file(check, path, file, guest_root, key_path(field, "source"))
            for file in _files_under(path)
        ]
    return [FileMount(path, str(guest_root))]


def _placed_file(
    check: Checker, directory: Path, file: Path, guest_root: PurePosixPath, field: str
) -> FileMount:
    """One file of a directory mounted file by file: a link must stay inside the directory,
    as it must when the directory is mounted whole."""
    resolved = file.resolve()
    if not resolved.is_relative_to(directory):
        check.fail(
            field,
            f"{file} is a symbolic link to {resolved}, outside the mounted directory "
            f"{directory}: a guest may only see what the manifest mounts.",
            "Replace the link with a copy of its target, or mount the target explicitly.",
        )
    return FileMount(resolved, str(guest_root / file.relative_to(directory).as_posix()))


def _directory_like(guest_path: str) -> bool:
    """A guest path that names a directory (`/`, `data/`, `.`, `..`): a single file cannot be
    placed there, as Spin refuses when it copies the file."""
    return guest_path in ("", "/") or guest_path.endswith(("/", "."))


def _files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _mount(check: Checker, app_dir: Path, file: Path, field: str) -> FileMount:
    resolved = file.resolve()
    _inside(check, app_dir, resolved, field)
    relative = file.absolute().relative_to(app_dir)
    return FileMount(resolved, "/" + relative.as_posix())


def _check_relative(check: Checker, path: str, field: str) -> None:
    if PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
        check.fail(
            field,
            f"{path!r} points outside the application directory.",
            "Files must be given relative to the manifest's directory and lie inside it.",
        )


def _inside(check: Checker, app_dir: Path, path: Path, field: str) -> None:
    if not path.is_relative_to(app_dir.resolve()):
        check.fail(
            field,
            f"{path} is outside the application directory {app_dir} (through a symbolic link).",
            "Files must lie inside the manifest's directory.",
        )


def _excluded(app_dir: Path, source: Path, excludes: tuple[str, ...]) -> bool:
    if not excludes:
        return False
    relative = source.relative_to(app_dir.resolve()).as_posix()
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in excludes)
