"""Spin 1.x's `key-value` interface for modules built by Spin's 1.x SDKs.

Every function but `close` takes, last, the address of its `expected<T, error>` result: a
discriminant byte at 0 and the payload at 4 (the error variant carries a string, so its
alignment is 4): a store handle (u32), a `list<u8>` or `list<string>` (ptr, len), a bool, or
the error's case byte with, for `io`, its message (ptr, len) at 8.

A store handle names a label the component was allowed to open: handles are the position of
the label in the component's `key_value_stores` (plus one), so they need no table per call,
and a handle the guest makes up is `invalid-store`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import wasmtime

from spin.runtime.services.key_value import KeyValueError, KeyValueStores, Store
from spin.runtime.spin1.abi import GuestMemory, Lowering

#: The error variant's cases, in the order of Spin 1.x's `key-value.wit`.
ERROR_CASES = {
    "store-table-full": 0,
    "no-such-store": 1,
    "access-denied": 2,
    "invalid-store": 3,
    "no-such-key": 4,
}
IO_ERROR = 5

HostFunction = Callable[..., None]


class _Failed(Exception):
    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.message = message


def key_value_functions(stores: KeyValueStores, allowed: Sequence[str]) -> dict[str, HostFunction]:
    """The host functions of `key-value`, by import name, for one component."""
    allowed = list(allowed)

    def store_for(handle: int) -> Store:
        if not 1 <= handle <= len(allowed):
            raise _Failed("invalid-store")
        return stores.open(allowed[handle - 1], allowed)

    def open_store(memory: GuestMemory, name_ptr: int, name_len: int) -> bytes:
        label = memory.read_string(name_ptr, name_len)
        stores.open(label, allowed)  # permission and existence, as Spin checks them on open
        return struct.pack("<I", allowed.index(label) + 1)

    def get(memory: GuestMemory, handle: int, key_ptr: int, key_len: int) -> bytes:
        value = store_for(handle).get(memory.read_string(key_ptr, key_len))
        if value is None:
            raise _Failed("no-such-key")
        values = Lowering(memory)
        placed = values.bytes(value)
        values.finish()
        return struct.pack("<II", *placed)

    def set_value(memory: GuestMemory, handle: int, kp: int, kl: int, vp: int, vl: int) -> bytes:
        store_for(handle).set(memory.read_string(kp, kl), memory.read(vp, vl))
        return b""

    def delete(memory: GuestMemory, handle: int, key_ptr: int, key_len: int) -> bytes:
        store_for(handle).delete(memory.read_string(key_ptr, key_len))
        return b""

    def exists(memory: GuestMemory, handle: int, key_ptr: int, key_len: int) -> bytes:
        return bytes([store_for(handle).exists(memory.read_string(key_ptr, key_len))])

    def get_keys(memory: GuestMemory, handle: int) -> bytes:
        keys = store_for(handle).keys()
        values = Lowering(memory)
        entries = b"".join(struct.pack("<II", *values.bytes(key.encode())) for key in keys)
        array = values.memory.alloc(len(entries), 4) if entries else 0
        values.pieces.append((array, entries))
        values.finish()
        return struct.pack("<II", array, len(keys))

    functions = {
        "open": open_store,
        "get": get,
        "set": set_value,
        "delete": delete,
        "exists": exists,
        "get-keys": get_keys,
    }
    handlers: dict[str, HostFunction] = {name: _expected(f) for name, f in functions.items()}
    handlers["close"] = lambda caller, handle: None
    return handlers


def _expected(function: Callable[..., bytes]) -> HostFunction:
    """Run `function(memory, *args)` and write `ok(payload)` or `err(error)` at the result."""

    def call(caller: wasmtime.Caller, *args: int) -> None:
        memory = GuestMemory(caller, caller.get)
        ret = args[-1]
        try:
            payload = function(memory, *args[:-1])
        except (KeyValueError, _Failed) as err:
            if err.kind in ERROR_CASES:
                memory.write(ret, struct.pack("<B3xB", 1, ERROR_CASES[err.kind]))
            else:
                message = memory.put_bytes((err.message or err.kind).encode())
                memory.write(ret, struct.pack("<B3xB3xII", 1, IO_ERROR, *message))
            return
        memory.write(ret, b"\0\0\0\0" + payload)

    return call
