"""wasi:filesystem: the component's mounted `files` as preopened directories.

Each preopen of the component's `MountedFiles` is a directory descriptor at its guest path,
read-only unless the runtime allows transient writes (then the mount is a private copy).
Every path a guest names is resolved with `resolve_beneath` from the descriptor it is relative
to: `..` above it, an absolute link or a link leading out answer `not-permitted`, so nothing
outside the mount is ever reached. What is not implemented here (links, setting times) answers
`unsupported`.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
from pathlib import Path
from typing import Any

from spin.mount_confinement import OutsideMount, resolve_beneath
from spin.runtime.wasi.p2.host import Err, Resource, WasiCall
from spin.runtime.wasi.p2.io import InputStream, OutputStream, failed
from spin.runtime.wasi.p2.registry import Interface

types = Interface("wasi:filesystem/types", error="unsupported")
preopens = Interface("wasi:filesystem/preopens")

ERRNO_CODES = {
    errno.ENOENT: "no-entry",
    errno.EACCES: "access",
    errno.EEXIST: "exist",
    errno.ENOTDIR: "not-directory",
    errno.EISDIR: "is-directory",
    errno.ENOTEMPTY: "not-empty",
    errno.ELOOP: "loop",
    errno.ENAMETOOLONG: "name-too-long",
    errno.EPERM: "not-permitted",
    errno.EROFS: "read-only",
    errno.EINVAL: "invalid",
    errno.EBADF: "bad-descriptor",
    errno.ENOSPC: "insufficient-space",
}
#: The most a single `read` returns.
MAX_READ = 1 << 20


def error_code(err: OSError) -> Err:
    return Err(ERRNO_CODES.get(err.errno or 0, "io"))


def descriptor_type(mode: int) -> str:
    if stat_module.S_ISDIR(mode):
        return "directory"
    if stat_module.S_ISREG(mode):
        return "regular-file"
    if stat_module.S_ISLNK(mode):
        return "symbolic-link"
    return "unknown"


class Descriptor(Resource):
    """A directory (its host path) or an open regular file (its fd)."""

    def __init__(self, path: Path, writable: bool, fd: int | None = None) -> None:
        self.path = path
        self.writable = writable
        self.fd = fd

    @property
    def is_dir(self) -> bool:
        return self.fd is None

    def resolve(self, path: str, *, follow: bool = True) -> Path:
        if not self.is_dir:
            raise Err("not-directory")
        try:
            return resolve_beneath(self.path, path, follow_last=follow)
        except OutsideMount:
            raise Err("not-permitted") from None

    def require_writable(self) -> None:
        if not self.writable:
            raise Err("read-only")

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@preopens.func("get-directories")
def get_directories(call: WasiCall) -> list[tuple[Descriptor, str]]:
    files = call.files
    if files is None:
        return []
    return [
        (Descriptor(Path(os.path.realpath(p.host_dir)), p.writable), p.guest_path)
        for p in files.preopens
    ]


def _stat_record(result: os.stat_result) -> dict[str, Any]:
    def time(ns: int) -> dict[str, int]:
        seconds, nanoseconds = divmod(ns, 1_000_000_000)
        return {"seconds": seconds, "nanoseconds": nanoseconds}

    return {
        "type": descriptor_type(result.st_mode),
        "link-count": result.st_nlink,
        "size": result.st_size,
        "data-access-timestamp": time(result.st_atime_ns),
        "data-modification-timestamp": time(result.st_mtime_ns),
        "status-change-timestamp": time(result.st_ctime_ns),
    }


def _stat(descriptor: Descriptor) -> os.stat_result:
    return os.fstat(descriptor.fd) if descriptor.fd is not None else os.stat(descriptor.path)


@types.func("[method]descriptor.get-type")
def get_type(call: WasiCall, descriptor: Descriptor) -> str:
    return "directory" if descriptor.is_dir else "regular-file"


@types.func("[method]descriptor.get-flags")
def get_flags(call: WasiCall, descriptor: Descriptor) -> set[str]:
    flags = {"read"}
    if descriptor.writable:
        flags |= {"mutate-directory"} if descriptor.is_dir else {"write"}
    return flags


@types.func("[method]descriptor.stat")
def stat(call: WasiCall, descriptor: Descriptor) -> dict[str, Any]:
    try:
        return _stat_record(_stat(descriptor))
    except OSError as err:
        raise error_code(err) from None


@types.func("[method]descriptor.stat-at")
def stat_at(call: WasiCall, descriptor: Descriptor, flags: set[str], path: str) -> dict[str, Any]:
    target = descriptor.resolve(path, follow="symlink-follow" in flags)
    try:
        return _stat_record(os.lstat(target))
    except OSError as err:
        raise error_code(err) from None


@types.func("[method]descriptor.open-at")
def open_at(
    call: WasiCall,
    descriptor: Descriptor,
    path_flags: set[str],
    path: str,
    open_flags: set[str],
    flags: set[str],
) -> Descriptor:
    target = descriptor.resolve(path, follow="symlink-follow" in path_flags)
    wants_write = bool({"write", "mutate-directory"} & flags) or bool(
        {"create", "truncate"} & open_flags
    )
    if wants_write:
        descriptor.require_writable()
    try:
        if os.path.isdir(target):
            if "create" in open_flags and "exclusive" in open_flags:
                raise Err("exist")
            if "write" in flags:
                raise Err("is-directory")
            return Descriptor(target, descriptor.writable)
        if "directory" in open_flags:
            if not target.exists():
                raise Err("no-entry")
            raise Err("not-directory")
        mode = os.O_RDWR if "write" in flags else os.O_RDONLY
        mode |= os.O_NOFOLLOW | os.O_CLOEXEC
        mode |= os.O_CREAT if "create" in open_flags else 0
        mode |= os.O_EXCL if "exclusive" in open_flags else 0
        mode |= os.O_TRUNC if "truncate" in open_flags else 0
        return Descriptor(target, descriptor.writable, os.open(target, mode, 0o644))
    except OSError as err:
        raise error_code(err) from None


def _file(descriptor: Descriptor) -> int:
    if descriptor.fd is None:
        raise Err("is-directory")
    return descriptor.fd


@types.func("[method]descriptor.read")
def read(call: WasiCall, descriptor: Descriptor, length: int, offset: int) -> tuple[bytes, bool]:
    wanted = min(length, MAX_READ)
    try:
        data = os.pread(_file(descriptor), wanted, offset)
    except OSError as err:
        raise error_code(err) from None
    return data, len(data) < wanted


@types.func("[method]descriptor.write")
def write(call: WasiCall, descriptor: Descriptor, buffer: bytes, offset: int) -> int:
    descriptor.require_writable()
    try:
        return os.pwrite(_file(descriptor), buffer, offset)
    except OSError as err:
        raise error_code(err) from None


class FileInput(InputStream):
    def __init__(self, fd: int, offset: int) -> None:
        self.fd = os.dup(fd)
        self.offset = offset

    def read_chunk(self, call: WasiCall, size: int) -> bytes | None:
        try:
            data = os.pread(self.fd, min(size, MAX_READ), self.offset)
        except OSError as err:
            raise failed(str(err)) from None
        self.offset += len(data)
        return data or None

    def close(self) -> None:
        os.close(self.fd)


class FileOutput(OutputStream):
    def __init__(self, fd: int, offset: int | None) -> None:
        self.fd = os.dup(fd)
        self.offset = offset  # None: append

    def send(self, call: WasiCall, data: bytes) -> None:
        try:
            if self.offset is None:
                os.lseek(self.fd, 0, os.SEEK_END)
                os.write(self.fd, data)
            else:
                self.offset += os.pwrite(self.fd, data, self.offset)
        except OSError as err:
            raise failed(str(err)) from None

    def close(self) -> None:
        os.close(self.fd)


@types.func("[method]descriptor.read-via-stream")
def read_via_stream(call: WasiCall, descriptor: Descriptor, offset: int) -> InputStream:
    return FileInput(_file(descriptor), offset)


@types.func("[method]descriptor.write-via-stream")
def write_via_stream(call: WasiCall, descriptor: Descriptor, offset: int) -> OutputStream:
    descriptor.require_writable()
    return FileOutput(_file(descriptor), offset)


@types.func("[method]descriptor.append-via-stream")
def append_via_stream(call: WasiCall, descriptor: Descriptor) -> OutputStream:
    descriptor.require_writable()
    return FileOutput(_file(descriptor), None)


class DirectoryEntries(Resource):
    def __init__(self, path: Path) -> None:
        self.entries = sorted(os.scandir(path), key=lambda entry: entry.name)

    def next(self) -> dict[str, str] | None:
        if not self.entries:
            return None
        entry = self.entries.pop(0)
        kind = descriptor_type(entry.stat(follow_symlinks=False).st_mode)
        return {"type": kind, "name": entry.name}


@types.func("[method]descriptor.read-directory")
def read_directory(call: WasiCall, descriptor: Descriptor) -> DirectoryEntries:
    if not descriptor.is_dir:
        raise Err("not-directory")
    try:
        return DirectoryEntries(descriptor.path)
    except OSError as err:
        raise error_code(err) from None


@types.func("[method]directory-entry-stream.read-directory-entry")
def read_directory_entry(call: WasiCall, entries: DirectoryEntries) -> dict[str, str] | None:
    return entries.next()


@types.func("[method]descriptor.readlink-at")
def readlink_at(call: WasiCall, descriptor: Descriptor, path: str) -> str:
    target = descriptor.resolve(path, follow=False)
    try:
        return os.readlink(target)
    except OSError as err:
        raise error_code(err) from None


def _mutation(operation: Any) -> Any:
    def mutate(call: WasiCall, descriptor: Descriptor, path: str) -> None:
        descriptor.require_writable()
        try:
            operation(descriptor.resolve(path, follow=False))
        except OSError as err:
            raise error_code(err) from None

    return mutate


types.func("[method]descriptor.create-directory-at")(_mutation(os.mkdir))
types.func("[method]descriptor.remove-directory-at")(_mutation(os.rmdir))
types.func("[method]descriptor.unlink-file-at")(_mutation(os.unlink))


@types.func("[method]descriptor.rename-at")
def rename_at(
    call: WasiCall, descriptor: Descriptor, old: str, new_descriptor: Descriptor, new: str
) -> None:
    descriptor.require_writable()
    new_descriptor.require_writable()
    try:
        os.rename(descriptor.resolve(old, follow=False), new_descriptor.resolve(new, follow=False))
    except OSError as err:
        raise error_code(err) from None


@types.func("[method]descriptor.is-same-object")
def is_same_object(call: WasiCall, descriptor: Descriptor, other: Descriptor) -> bool:
    mine, theirs = _stat(descriptor), _stat(other)
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _hash(result: os.stat_result) -> dict[str, int]:
    return {"lower": result.st_ino, "upper": result.st_dev}


@types.func("[method]descriptor.metadata-hash")
def metadata_hash(call: WasiCall, descriptor: Descriptor) -> dict[str, int]:
    return _hash(_stat(descriptor))


@types.func("[method]descriptor.metadata-hash-at")
def metadata_hash_at(
    call: WasiCall, descriptor: Descriptor, flags: set[str], path: str
) -> dict[str, int]:
    try:
        return _hash(os.lstat(descriptor.resolve(path, follow="symlink-follow" in flags)))
    except OSError as err:
        raise error_code(err) from None


@types.func("[method]descriptor.set-size")
def set_size(call: WasiCall, descriptor: Descriptor, size: int) -> None:
    descriptor.require_writable()
    try:
        os.ftruncate(_file(descriptor), size)
    except OSError as err:
        raise error_code(err) from None


def _nothing_to_do(call: WasiCall, descriptor: Descriptor, *args: Any) -> None:
    return None


for _name in ("sync-data", "sync", "advise"):
    types.func(f"[method]descriptor.{_name}")(_nothing_to_do)


@types.func("filesystem-error-code")
def filesystem_error_code(call: WasiCall, err: Any) -> str | None:
    return None


INTERFACES = (types, preopens)
