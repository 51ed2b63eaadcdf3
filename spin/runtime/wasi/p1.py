"""WASI for one guest call: arguments, environment, stdin bytes, preopens, captured output.

Output goes to anonymous memory files (`memfd`): wasmtime writes them directly, with no Python
callback per write. While the call runs, the runtime drains them (`CapturedOutput.drain`, at
every deadline tick) into the component's logs and frees what it drained, so a call holds at
most one tick's worth of output in memory; commands' stdout is kept and returned instead.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterable

import wasmtime
from wasmtime import _ffi as ffi

from spin.runtime.wasi.files import Preopen

#: fallocate(2) flags: free a range of a file's memory without changing its size.
FALLOC_FL_KEEP_SIZE = 1
FALLOC_FL_PUNCH_HOLE = 2
#: How much output is read from a memory file at a time.
DRAIN_CHUNK = 1024 * 1024

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


class CapturedOutput:
    """One output stream of one call, in an anonymous memory file wasmtime writes."""

    def __init__(self, name: str) -> None:
        self.fd = os.memfd_create(name, os.MFD_CLOEXEC)
        #: bytes handed on by `drain` so far (their memory is freed)
        self.drained = 0

    @property
    def path(self) -> str:
        return f"/proc/self/fd/{self.fd}"

    def size(self) -> int:
        """Bytes the guest has written so far."""
        return os.fstat(self.fd).st_size

    def drain(self, upto: int, sink: Callable[[bytes], None]) -> None:
        """Hand the bytes from `drained` up to offset `upto` to `sink`, then free them."""
        offset = self.drained
        while offset < upto:
            chunk = os.pread(self.fd, min(DRAIN_CHUNK, upto - offset), offset)
            if not chunk:
                break
            sink(chunk)
            offset += len(chunk)
        if offset > self.drained:
            # The memory file keeps its size (wasmtime writes on at its own offset); only the
            # pages already handed on are given back.
            _libc.fallocate(self.fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, offset)
            self.drained = offset

    def read(self, limit: int | None = None) -> bytes:
        """Everything written (at most `limit` bytes), for output that is kept, not drained."""
        size = self.size() if limit is None else min(self.size(), limit)
        return os.pread(self.fd, size, 0) if size else b""

    def close(self) -> None:
        os.close(self.fd)


def wasi_config(
    *,
    argv: list[str],
    env: Iterable[tuple[str, str]],
    preopens: Iterable[Preopen],
    stdout: CapturedOutput,
    stderr: CapturedOutput,
    stdin: bytes | None = None,
) -> wasmtime.WasiConfig:
    config = wasmtime.WasiConfig()
    config.argv = argv
    config.env = [[key, value] for key, value in env]
    for preopen in preopens:
        config.preopen_dir(str(preopen.host_dir), preopen.guest_path, preopen.writable)
    config.stdout_file = stdout.path
    config.stderr_file = stderr.path
    if stdin:
        _set_stdin_bytes(config, stdin)
    return config


def _set_stdin_bytes(config: wasmtime.WasiConfig, data: bytes) -> None:
    """Give the guest `data` as stdin; the binding has no property for it, the C API does."""
    vec = ffi.wasm_byte_vec_t()
    buffer = (ffi.wasm_byte_t * len(data)).from_buffer_copy(data)
    ffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), buffer)
    ffi.wasi_config_set_stdin_bytes(config.ptr(), ctypes.byref(vec))
