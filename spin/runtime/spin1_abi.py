"""Spin 1.x's canonical ABI (the wit-bindgen 0.2 era): values in a core module's memory.

Strings and lists are written into the guest's linear memory through its exported
`canonical_abi_realloc(old_ptr, old_size, align, new_size)`; the guest owns them afterwards, as
Spin's host did. Results come back as a pointer to a record laid out by the same ABI, and their
lists are handed back with `canonical_abi_free(ptr, size, align)` once read.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import maybe_raise_last_exn

from spin.runtime.http_types import SPIN_METHODS, HttpRequest, HttpResponse

REALLOC = "canonical_abi_realloc"
FREE = "canonical_abi_free"

#: (key ptr, key len, value ptr, value len): one `tuple<string, string>` list element.
PAIR = struct.Struct("<IIII")
#: The `response` record: status u16; option<headers> (disc, ptr, len); option<body> (same).
RESPONSE = struct.Struct("<H2xB3xIIB3xII")


class AbiError(Exception):
    """The guest broke the ABI (a pointer out of bounds, a malformed result)."""


class I32Function:
    """An exported function of i32 parameters and results, called straight through the C API:
    the binding's generic call looks the type up and converts every value on each call, which
    costs more than the call itself, and a request makes dozens of `canonical_abi_realloc` calls.
    """

    def __init__(self, store: wasmtime.Store | wasmtime.Caller, func: wasmtime.Func) -> None:
        ty = func.type(store)
        i32 = wasmtime.ValType.i32()
        if any(t != i32 for t in [*ty.params, *ty.results]) or len(ty.results) > 1:
            raise AbiError(f"unexpected signature {ty.params} -> {ty.results}")
        self._store = store
        self._params = (ffi.wasmtime_val_t * len(ty.params))()
        for slot in self._params:
            slot.kind = ffi.WASMTIME_I32
        self._results = (ffi.wasmtime_val_t * len(ty.results))()
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._arguments = (
            store._context(), ctypes.byref(func._func), self._params, len(self._params),
            self._results, len(self._results), ctypes.byref(self._trap),
        )

    def __call__(self, *args: int) -> int:
        for slot, value in zip(self._params, args, strict=True):
            slot.of.i32 = value if value < 0x80000000 else value - 0x100000000
        error = RAW_FUNC_CALL(*self._arguments)
        if error or self._trap:
            trap = self._trap
            self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
            self._arguments = (*self._arguments[:-1], ctypes.byref(self._trap))
            _raise_failure(error, trap)
        return self._results[0].of.i32 & 0xFFFFFFFF if self._results else 0


RAW_FUNC_CALL = ffi.dll.wasmtime_func_call


def _raise_failure(error: Any, trap: Any) -> None:
    """Raise what the binding would have: a host function's exception, else the trap/error."""
    failure: Exception = (
        wasmtime.WasmtimeError._from_ptr(error) if error else wasmtime.Trap._from_ptr(trap)
    )
    maybe_raise_last_exn()
    raise failure


class GuestMemory:
    """A Spin 1.x guest's memory and allocator, within one store (or one host call)."""

    def __init__(self, store: wasmtime.Store | wasmtime.Caller, exports: Any) -> None:
        memory = exports.get("memory")
        realloc = exports.get(REALLOC)
        if not isinstance(memory, wasmtime.Memory) or not isinstance(realloc, wasmtime.Func):
            raise AbiError(f"the module does not export `memory` and `{REALLOC}`")
        free = exports.get(FREE)
        self._store = store
        self._memory = memory
        self._realloc = I32Function(store, realloc)
        self._free = I32Function(store, free) if isinstance(free, wasmtime.Func) else None

    def _span(self, ptr: int, size: int) -> int:
        """The host address of guest bytes [ptr, ptr+size), bounds-checked."""
        if ptr + size > self._memory.data_len(self._store):
            raise AbiError(f"guest pointer {ptr:#x}+{size} is outside its memory")
        base = ctypes.addressof(self._memory.data_ptr(self._store).contents)
        return base + ptr

    @property
    def size(self) -> int:
        return self._memory.data_len(self._store)

    def read(self, ptr: int, size: int) -> bytes:
        return ctypes.string_at(self._span(ptr, size), size) if size else b""

    def write(self, ptr: int, data: bytes) -> None:
        if data:
            ctypes.memmove(self._span(ptr, len(data)), data, len(data))

    def alloc(self, size: int, align: int) -> int:
        return self._realloc(0, 0, align, size)

    def free(self, ptr: int, size: int, align: int) -> None:
        if self._free is not None and size:
            self._free(ptr, size, align)

    def put_bytes(self, data: bytes) -> tuple[int, int]:
        """Copy bytes (or a UTF-8 string) into fresh guest memory: (ptr, len)."""
        ptr = self.alloc(len(data), 1)
        self.write(ptr, data)
        return ptr, len(data)

    def put_pairs(self, pairs: list[tuple[str, str]]) -> tuple[int, int]:
        """A `list<tuple<string, string>>`: (ptr, len)."""
        entries = bytearray(PAIR.size * len(pairs))
        for index, (key, value) in enumerate(pairs):
            key_ptr, key_len = self.put_bytes(key.encode())
            value_ptr, value_len = self.put_bytes(value.encode())
            PAIR.pack_into(entries, index * PAIR.size, key_ptr, key_len, value_ptr, value_len)
        ptr = self.alloc(len(entries), 4)
        self.write(ptr, bytes(entries))
        return ptr, len(pairs)

    def take_pairs(self, ptr: int, count: int) -> list[tuple[str, str]]:
        """Read a `list<tuple<string, string>>` and free it, as the guest expects."""
        raw = self.read(ptr, PAIR.size * count)
        pairs = []
        for key_ptr, key_len, value_ptr, value_len in PAIR.iter_unpack(raw):
            key = self.take_string(key_ptr, key_len)
            pairs.append((key, self.take_string(value_ptr, value_len)))
        self.free(ptr, PAIR.size * count, 4)
        return pairs

    def take_string(self, ptr: int, size: int) -> str:
        return self.take_bytes(ptr, size).decode("utf-8", errors="replace")

    def take_bytes(self, ptr: int, size: int) -> bytes:
        data = self.read(ptr, size)
        self.free(ptr, size, 1)
        return data


def lower_request(memory: GuestMemory, request: HttpRequest) -> list[int]:
    """The ten i32 arguments of `handle-http-request` for `request`."""
    try:
        method = SPIN_METHODS.index(request.method.upper())
    except ValueError:
        raise AbiError(f"Spin guests cannot receive {request.method} requests") from None
    uri = memory.put_bytes(request.uri.encode())
    headers = memory.put_pairs(request.headers)
    params = memory.put_pairs(request.params)
    body = memory.put_bytes(request.body)
    return [method, *uri, *headers, *params, 1, *body]


def lift_response(memory: GuestMemory, ptr: int) -> HttpResponse:
    """Read the `response` record a guest returned (and free its lists)."""
    status, has_headers, headers_ptr, headers_len, has_body, body_ptr, body_len = (
        RESPONSE.unpack(memory.read(ptr, RESPONSE.size))
    )
    headers = memory.take_pairs(headers_ptr, headers_len) if has_headers else []
    body = memory.take_bytes(body_ptr, body_len) if has_body else b""
    return HttpResponse(status=status, headers=headers, body=body)


def lift_redis_result(memory: GuestMemory, ptr: int) -> int | None:
    """The `expected<unit, error>` of `handle-redis-message`: None on success, else the error."""
    is_err, error = memory.read(ptr, 2)
    return error if is_err else None
