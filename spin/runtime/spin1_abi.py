"""Spin 1.x's canonical ABI (the wit-bindgen 0.2 era): values in a core module's memory.

Strings and lists are written into the guest's linear memory through its exported
`canonical_abi_realloc(old_ptr, old_size, align, new_size)`; the guest owns them afterwards, as
Spin's host did. Results come back as a pointer to a record laid out by the same ABI, and their
lists are handed back with `canonical_abi_free(ptr, size, align)` once read.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._extern import wrap_extern
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


#: (parameter count, result count) of the exports we call; all of them take and return i32.
SIGNATURES: dict[str, tuple[int, int]] = {
    "handle-http-request": (10, 1),
    "handle-redis-message": (2, 1),
    "handle-timer-request": (0, 0),
    REALLOC: (4, 1),
    FREE: (3, 0),
}


def signature_problems(module: wasmtime.Module) -> list[str]:
    """Exports whose signature is not the one Spin's 1.x ABI gives them (checked at load)."""
    i32 = wasmtime.ValType.i32()
    problems = []
    for export in module.exports:
        expected = SIGNATURES.get(export.name)
        ty = export.type
        if expected is None or not isinstance(ty, wasmtime.FuncType):
            continue
        if (len(ty.params), len(ty.results)) != expected or any(
            t != i32 for t in [*ty.params, *ty.results]
        ):
            problems.append(
                f"`{export.name}` should take {expected[0]} i32 and return {expected[1]}"
            )
    return problems


def export_named(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> Any:
    """One export of an instance, without enumerating them all as `Instance.exports` does."""
    item = ffi.wasmtime_extern_t()
    encoded = name.encode()
    found = ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance._instance), encoded, len(encoded),
        ctypes.byref(item),
    )
    return wrap_extern(item) if found else None


class I32Function:
    """An export of i32 parameters and results (see SIGNATURES), called straight through the C
    API: the binding's generic call looks the type up and converts every value on each call,
    which costs more than the call itself, and a request makes dozens of realloc calls.
    """

    def __init__(
        self, store: wasmtime.Store | wasmtime.Caller, func: wasmtime.Func, name: str
    ) -> None:
        param_count, result_count = SIGNATURES[name]
        self._params = (ffi.wasmtime_val_t * param_count)()
        for slot in self._params:
            slot.kind = ffi.WASMTIME_I32
        self._results = (ffi.wasmtime_val_t * result_count)()
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._arguments = (
            store._context(), ctypes.byref(func._func), self._params, param_count,
            self._results, result_count, ctypes.byref(self._trap),
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

    def __init__(
        self, store: wasmtime.Store | wasmtime.Caller, lookup: Callable[[str], Any]
    ) -> None:
        """`lookup` finds an export by name (`export_named`, or a host call's `Caller.get`)."""
        memory = lookup("memory")
        realloc = lookup(REALLOC)
        if not isinstance(memory, wasmtime.Memory) or not isinstance(realloc, wasmtime.Func):
            raise AbiError(f"the module does not export `memory` and `{REALLOC}`")
        free = lookup(FREE)
        self._store = store
        self._memory = memory
        self._realloc = I32Function(store, realloc, REALLOC)
        self._free = I32Function(store, free, FREE) if isinstance(free, wasmtime.Func) else None

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
