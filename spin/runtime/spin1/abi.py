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
        store._context(),
        ctypes.byref(instance._instance),
        encoded,
        len(encoded),
        ctypes.byref(item),
    )
    return wrap_extern(item) if found else None


class I32Function:
    """An export of i32 parameters and results (see SIGNATURES), called straight through the C
    API: the binding's generic call looks the type up and converts every value on each call,
    which costs more than the call itself, and a request makes dozens of realloc calls.

    Every C argument is prepared once, as a ctypes object of its C type, and the function is
    called through a prototype-less handle (RAW_FUNC_CALL): ctypes then converts nothing,
    which makes a call about three times cheaper. The argument slots' unions are looked up
    once too (each `.of` access makes a new ctypes object); their `i32` field takes unsigned
    values as they are (ctypes keeps the low 32 bits).
    """

    def __init__(
        self, store: wasmtime.Store | wasmtime.Caller, func: wasmtime.Func, name: str
    ) -> None:
        param_count, result_count = SIGNATURES[name]
        self._params = (ffi.wasmtime_val_t * param_count)()
        for slot in self._params:
            slot.kind = ffi.WASMTIME_I32
        self._slots = [slot.of for slot in self._params]
        self._results = (ffi.wasmtime_val_t * result_count)()
        self._result = self._results[0].of if result_count else None
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._arguments = (
            store._context(),
            ctypes.byref(func._func),
            self._params,
            ctypes.c_size_t(param_count),
            self._results,
            ctypes.c_size_t(result_count),
            ctypes.byref(self._trap),
        )

    def __call__(self, *args: int) -> int:
        for slot, value in zip(self._slots, args, strict=True):
            slot.i32 = value
        error = RAW_FUNC_CALL(*self._arguments)
        if error or self._trap:
            trap = self._trap
            self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
            self._arguments = (*self._arguments[:-1], ctypes.byref(self._trap))
            _raise_failure(error, trap)
        return self._result.i32 & 0xFFFFFFFF if self._result is not None else 0


#: `wasmtime_func_call` through a handle of our own (the binding's handle keeps its argument
#: types): no argument types, so ctypes passes our ctypes objects as they are; the result is
#: the `wasmtime_error_t` pointer as an integer (None when the call succeeded).
RAW_FUNC_CALL = ffi.dll["wasmtime_func_call"]
RAW_FUNC_CALL.argtypes = None
RAW_FUNC_CALL.restype = ctypes.c_void_p


def _raise_failure(error: int | None, trap: Any) -> None:
    """Raise what the binding would have: a host function's exception, else the trap/error."""
    failure: Exception = (
        wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
        if error
        else wasmtime.Trap._from_ptr(trap)
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
        self.write_all([(ptr, data)])

    def write_all(self, pieces: list[tuple[int, bytes]]) -> None:
        """Copy each (ptr, data) into guest memory: one lookup of the memory's address and size
        for all of them (each lookup is two calls into the C API)."""
        end = max((ptr + len(data) for ptr, data in pieces), default=0)
        base = self._span(0, end)
        memmove = ctypes.memmove
        for ptr, data in pieces:
            if not isinstance(data, bytes):  # a body as read off the socket: not copied first
                view = memoryview((ctypes.c_ubyte * len(data)).from_address(base + ptr))
                view.cast("B")[:] = data
            elif data:
                memmove(base + ptr, data, len(data))

    def alloc(self, size: int, align: int) -> int:
        return self._realloc(0, 0, align, size)

    def free(self, ptr: int, size: int, align: int) -> None:
        if self._free is not None and size:
            self._free(ptr, size, align)

    def put_bytes(self, data: bytes) -> tuple[int, int]:
        """Copy bytes (or a UTF-8 string) into fresh guest memory: (ptr, len)."""
        values = Lowering(self)
        placed = values.bytes(data)
        values.finish()
        return placed

    def take_pairs(self, ptr: int, count: int) -> list[tuple[str, str]]:
        """Read a `list<tuple<string, string>>` and free it, as the guest expects."""
        raw = self.read(ptr, PAIR.size * count)
        pairs = []
        for key_ptr, key_len, value_ptr, value_len in PAIR.iter_unpack(raw):
            key = self.take_string(key_ptr, key_len)
            pairs.append((key, self.take_string(value_ptr, value_len)))
        self.free(ptr, PAIR.size * count, 4)
        return pairs

    def read_pairs(self, ptr: int, count: int) -> list[tuple[str, str]]:
        """Read a `list<tuple<string, string>>` the guest keeps (an argument it passed us)."""
        raw = self.read(ptr, PAIR.size * count)
        return [
            (self.read_string(key_ptr, key_len), self.read_string(value_ptr, value_len))
            for key_ptr, key_len, value_ptr, value_len in PAIR.iter_unpack(raw)
        ]

    def read_string(self, ptr: int, size: int) -> str:
        return self.read(ptr, size).decode("utf-8", errors="replace")

    def take_string(self, ptr: int, size: int) -> str:
        return self.take_bytes(ptr, size).decode("utf-8", errors="replace")

    def take_bytes(self, ptr: int, size: int) -> bytes:
        data = self.read(ptr, size)
        self.free(ptr, size, 1)
        return data


class Lowering:
    """Values handed to the guest, each in its own block from `canonical_abi_realloc` (the
    guest frees them one by one), allocated as they come and copied in by `finish` in one
    pass. The allocations happen in the order Spin's host made them."""

    def __init__(self, memory: GuestMemory) -> None:
        self.memory = memory
        self.pieces: list[tuple[int, bytes]] = []

    def bytes(self, data: bytes) -> tuple[int, int]:
        """Bytes (or a UTF-8 string): (ptr, len)."""
        ptr = self.memory.alloc(len(data), 1)
        self.pieces.append((ptr, data))
        return ptr, len(data)

    def pairs(self, pairs: list[tuple[str, str]]) -> tuple[int, int]:
        """A `list<tuple<string, string>>`: (ptr, len)."""
        entries = bytearray(PAIR.size * len(pairs))
        for index, (key, value) in enumerate(pairs):
            PAIR.pack_into(
                entries, index * PAIR.size, *self.bytes(key.encode()), *self.bytes(value.encode())
            )
        ptr = self.memory.alloc(len(entries), 4)
        self.pieces.append((ptr, bytes(entries)))
        return ptr, len(pairs)

    def finish(self) -> None:
        """Copy every value in; their pointers are valid from here on."""
        self.memory.write_all(self.pieces)
        self.pieces = []


def lower_request(memory: GuestMemory, request: HttpRequest) -> list[int]:
    """The ten i32 arguments of `handle-http-request` for `request`."""
    try:
        method = SPIN_METHODS.index(request.method.upper())
    except ValueError:
        raise AbiError(f"Spin guests cannot receive {request.method} requests") from None
    values = Lowering(memory)
    uri = values.bytes(request.uri.encode())
    headers = values.pairs(request.headers)
    params = values.pairs(request.params)
    body = values.bytes(request.body)
    values.finish()
    return [method, *uri, *headers, *params, 1, *body]


def lift_response(memory: GuestMemory, ptr: int) -> HttpResponse:
    """Read the `response` record a guest returned (and free its lists)."""
    status, has_headers, headers_ptr, headers_len, has_body, body_ptr, body_len = RESPONSE.unpack(
        memory.read(ptr, RESPONSE.size)
    )
    headers = memory.take_pairs(headers_ptr, headers_len) if has_headers else []
    body = memory.take_bytes(body_ptr, body_len) if has_body else b""
    return HttpResponse(status=status, headers=headers, body=body)


def lift_redis_result(memory: GuestMemory, ptr: int) -> int | None:
    """The `expected<unit, error>` of `handle-redis-message`: None on success, else the error."""
    is_err, error = memory.read(ptr, 2)
    return error if is_err else None
