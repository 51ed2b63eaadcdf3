"""WASI for one guest call: arguments, environment, stdin bytes, preopens, captured output.

Output goes to anonymous memory files (`memfd`): wasmtime writes them directly, with no Python
callback per write, and the runtime reads them back once the call is over and hands them to the
component's logs (or, for commands, returns stdout).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable

import wasmtime
from wasmtime import _ffi as ffi

from spin.runtime.wasi.files import Preopen


class CapturedOutput:
    """One output stream of one call, in an anonymous memory file."""

    def __init__(self, name: str) -> None:
        self.fd = os.memfd_create(name, os.MFD_CLOEXEC)

    @property
    def path(self) -> str:
        return f"/proc/self/fd/{self.fd}"

    def read(self) -> bytes:
        size = os.fstat(self.fd).st_size
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
