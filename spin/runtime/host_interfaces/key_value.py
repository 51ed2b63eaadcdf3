"""Key-value for components: `fermyon:spin/key-value@2.0.0`, `spin:key-value/key-value@3.0.0`
and `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2`, on the app's stores
(`services.key_value`, opened with the component's `key_value_stores`).

The Spin interfaces have no increment (an SDK's get-then-set can lose updates, under Spin too);
`wasi:keyvalue/atomics.increment` is atomic: the store adds in one transaction, on Spin's 8-byte
little-endian counter. `cas` remembers the value it saw, and `swap` sets the new one only if
the key still holds it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from spin.runtime.host_interfaces import spin_host, unavailable
from spin.runtime.services.key_value import KeyValueError, Store
from spin.runtime.wasi.p2.host import Err, Resource, WasiCall
from spin.runtime.wasi.p2.registry import Interface

fermyon = Interface("fermyon:spin/key-value", error=unavailable("other"))
spin3 = Interface("spin:key-value/key-value", error=unavailable("other"))
store_api = Interface("wasi:keyvalue/store", error=unavailable("other"))
atomics = Interface("wasi:keyvalue/atomics", error=unavailable("other"))
batch = Interface("wasi:keyvalue/batch", error=unavailable("other"))

#: The cases every key-value error variant has without a payload.
SPIN_CASES = ("store-table-full", "no-such-store", "access-denied")
WASI_CASES = ("no-such-store", "access-denied")


class StoreHandle(Resource):
    """A guest's `store` / `bucket`."""

    def __init__(self, store: Store) -> None:
        self.store = store


class Cas(Resource):
    """A `cas`: the key and the value it held when the guest asked."""

    def __init__(self, store: Store, key: str, seen: bytes | None) -> None:
        self.store = store
        self.key = key
        self.seen = seen


def error_value(err: KeyValueError, cases: tuple[str, ...]) -> Variant:
    return Variant(err.kind) if err.kind in cases else Variant("other", err.message)


def errors(cases: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A host function whose KeyValueError becomes the interface's error value."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any) -> Any:
            try:
                return fn(*args)
            except KeyValueError as err:
                raise Err(error_value(err, cases)) from None

        return call

    return wrap


def open_store(call: WasiCall, label: str) -> StoreHandle:
    host = spin_host(call)
    try:
        return StoreHandle(host.services.key_value.open(label, host.key_value_stores))
    except KeyValueError as err:
        if err.kind == "access-denied":
            host.log_denied("key-value store", label, "key_value_stores")
        raise


# -- fermyon:spin/key-value@2.0.0, spin:key-value/key-value@3.0.0 ---------------------------


def _spin_functions() -> dict[str, Callable[..., Any]]:
    return {
        "[static]store.open": open_store,
        "[method]store.get": lambda call, h, key: h.store.get(key),
        "[method]store.set": lambda call, h, key, value: h.store.set(key, bytes(value)),
        "[method]store.delete": lambda call, h, key: h.store.delete(key),
        "[method]store.exists": lambda call, h, key: h.store.exists(key),
        "[method]store.get-keys": lambda call, h: h.store.keys(),
    }


for _interface in (fermyon, spin3):
    for _name, _fn in _spin_functions().items():
        _interface.func(_name)(errors(SPIN_CASES)(_fn))


# -- wasi:keyvalue@0.2.0-draft2 ------------------------------------------------------------

wasi_errors = errors(WASI_CASES)

store_api.func("open")(wasi_errors(open_store))
for _name, _fn in {
    "[method]bucket.get": lambda call, h, key: h.store.get(key),
    "[method]bucket.set": lambda call, h, key, value: h.store.set(key, bytes(value)),
    "[method]bucket.delete": lambda call, h, key: h.store.delete(key),
    "[method]bucket.exists": lambda call, h, key: h.store.exists(key),
    # Spin answers every key at once and no cursor.
    "[method]bucket.list-keys": lambda call, h, cursor: {"keys": h.store.keys(), "cursor": None},
}.items():
    store_api.func(_name)(wasi_errors(_fn))


@atomics.func("increment")
@wasi_errors
def increment(call: WasiCall, bucket: StoreHandle, key: str, delta: int) -> int:
    return bucket.store.increment(key, delta)


@atomics.func("[static]cas.new")
@wasi_errors
def cas_new(call: WasiCall, bucket: StoreHandle, key: str) -> Cas:
    return Cas(bucket.store, key, bucket.store.get(key))


@atomics.func("[method]cas.current")
@wasi_errors
def cas_current(call: WasiCall, cas: Cas) -> bytes | None:
    return cas.seen


@atomics.func("swap")
def swap(call: WasiCall, cas: Cas, value: bytes) -> None:
    try:
        swapped = cas.store.swap(cas.key, cas.seen, bytes(value))
    except KeyValueError as err:
        raise Err(Variant("store-error", error_value(err, WASI_CASES))) from None
    if not swapped:
        cas.seen = cas.store.get(cas.key)
        raise Err(Variant("cas-failed", cas))


@batch.func("get-many")
@wasi_errors
def get_many(call: WasiCall, bucket: StoreHandle, keys: list[str]) -> list[Any]:
    return bucket.store.get_many(keys)


@batch.func("set-many")
@wasi_errors
def set_many(call: WasiCall, bucket: StoreHandle, items: list[tuple[str, bytes]]) -> None:
    bucket.store.set_many((key, bytes(value)) for key, value in items)


@batch.func("delete-many")
@wasi_errors
def delete_many(call: WasiCall, bucket: StoreHandle, keys: list[str]) -> None:
    bucket.store.delete_many(keys)


INTERFACES = (fermyon, spin3, store_api, atomics, batch)
