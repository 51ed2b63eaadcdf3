"""The host side of Spin 1.x's imports, so that modules built by Spin's 1.x SDKs instantiate.

`spin-config::get-config` answers from the component's configuration,
`wasi-outbound-http::request` makes the request (`outbound_http`), `key-value` reads and
writes the app's stores (`key_value`) and `outbound-redis` reaches Redis servers the component
is allowed (`outbound_redis`). The 1.x interfaces this runtime does not offer (`sqlite`,
`outbound-pg`, `outbound-mysql`) answer their own error value with a message saying so, as the
component interfaces do. Any other import traps when called, with a message naming it.

Functions with a compound result take, in this ABI, a last i32 parameter: the address where the
result goes (`expected<T, E>`: a discriminant byte at 0, the payload at T's/E's alignment).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

import wasmtime

from spin.errors import SpinError
from spin.runtime.config_values import ComponentConfig, UnknownKey
from spin.runtime.errors import UNAVAILABLE, HostTrap, host_failures
from spin.runtime.spin1.abi import GuestMemory

if TYPE_CHECKING:
    from spin.runtime.guest_setup import GuestSetup
    from spin.runtime.host_interfaces import SpinHost

log = logging.getLogger("spin.runtime")

WASI_MODULE = "wasi_snapshot_preview1"

#: get-config's error variant: provider(string), invalid-key(string), ...
CONFIG_PROVIDER_ERROR = 0
CONFIG_INVALID_KEY = 1


def define_spin1_imports(
    linker: wasmtime.Linker, module: wasmtime.Module, setup: GuestSetup
) -> SpinHost | None:
    """Define every non-WASI function import of `module` on `linker`; returns the `SpinHost`
    its outbound-redis calls go through (for the guest to close), None if it imports none."""
    config = setup.config
    interfaces = Spin1Interfaces(setup)
    for item in module.imports:
        if item.module == WASI_MODULE:
            continue
        name = f"{item.module}::{item.name}"
        if not isinstance(item.type, wasmtime.FuncType):
            raise SpinError(
                f"Component {config.component_id!r} imports {name}, which is not a function: "
                "this runtime cannot provide it. Rebuild the component with a Spin SDK."
            )
        handler = _handler_for(item.module, item.name or "", setup, interfaces) or _trap(name)
        linker.define_func(
            item.module, item.name or "", item.type, _guarded(name, handler), access_caller=True
        )
    return interfaces.host


HostFunction = Callable[..., object]

#: The 1.x functions not offered: (module, name) -> (what, the error payload's offset in the
#: `expected<T, E>` result, the case carrying a message: pg/mysql `other-error`, sqlite `io`).
UNAVAILABLE_FUNCTIONS = {
    ("outbound-pg", "query"): ("PostgreSQL", 4, 5),
    ("outbound-pg", "execute"): ("PostgreSQL", 8, 5),  # expected<u64, pg-error>
    ("outbound-mysql", "query"): ("MySQL", 4, 5),
    ("outbound-mysql", "execute"): ("MySQL", 4, 5),
    ("sqlite", "open"): ("SQLite for Spin 1.x modules", 4, 4),
    ("sqlite", "execute"): ("SQLite for Spin 1.x modules", 4, 4),
}


class Spin1Interfaces:
    """The host functions of `key-value` and `outbound-redis`, each interface's made (and its
    code imported) when a module first imports from it: a module that imports neither loads
    neither the stores nor the component host's Redis client, which brings the WASI 0.2 host
    and the component binding with it (`make bench-footprint`: 3.8 MB of a guest worker's
    private memory, for a module that only writes to stdout)."""

    def __init__(self, setup: GuestSetup) -> None:
        self._setup = setup
        self._tables: dict[str, dict[str, HostFunction]] = {}
        self.host: SpinHost | None = None

    def function(self, module: str, name: str) -> HostFunction | None:
        if module not in self._tables:
            self._tables[module] = self._table(module)
        return self._tables[module].get(name)

    def _table(self, module: str) -> dict[str, HostFunction]:
        if module == "key-value":
            from spin.runtime.spin1.key_value import key_value_functions

            setup = self._setup
            return key_value_functions(setup.services.key_value, setup.component.key_value_stores)
        from spin.runtime.host_interfaces import SpinHost
        from spin.runtime.spin1.outbound_redis import redis_functions

        self.host = SpinHost.for_setup(self._setup)
        return redis_functions(self.host)


#: The 1.x interfaces `Spin1Interfaces` makes.
INTERFACES = ("key-value", "outbound-redis")


def _handler_for(
    module: str, name: str, setup: GuestSetup, interfaces: Spin1Interfaces
) -> HostFunction | None:
    if module == "spin-config" and name == "get-config":
        return _get_config(setup.config)
    if module in INTERFACES:
        return interfaces.function(module, name)
    if module == "wasi-outbound-http" and name == "request":
        from spin.runtime.spin1.outbound_http import request_handler

        return request_handler(setup.outbound)
    if (module, name) in UNAVAILABLE_FUNCTIONS:
        return _unavailable(f"{module}::{name}", *UNAVAILABLE_FUNCTIONS[module, name])
    if (module, name) == ("sqlite", "close"):
        return lambda caller, connection: None
    return None


def _get_config(config: ComponentConfig) -> HostFunction:
    def get_config(caller: wasmtime.Caller, key_ptr: int, key_len: int, ret: int) -> None:
        memory = GuestMemory(caller, caller.get)
        key = memory.read(key_ptr, key_len).decode("utf-8", errors="replace")
        try:
            value = config.get(key)
        except UnknownKey:
            _write_error_string(memory, ret, CONFIG_INVALID_KEY, f"unknown config key {key!r}")
            return
        except SpinError as err:
            _write_error_string(memory, ret, CONFIG_PROVIDER_ERROR, str(err))
            return
        ptr, size = memory.put_bytes(value.encode())
        memory.write(ret, struct.pack("<B3xII", 0, ptr, size))

    return get_config


def _write_error_string(
    memory: GuestMemory, ret: int, case: int, message: str, offset: int = 4
) -> None:
    """Write `err(case(message))` for an error variant whose cases carry a string, its
    payload at `offset` (the alignment of the result's largest case)."""
    ptr, size = memory.put_bytes(message.encode())
    memory.write(ret, b"\1")
    memory.write(ret + offset, struct.pack("<B3xII", case, ptr, size))


def _unavailable(name: str, what: str, offset: int, case: int) -> HostFunction:
    message = f"{what} ({name}) is {UNAVAILABLE}"

    def unavailable(caller: wasmtime.Caller, *args: int) -> None:
        _write_error_string(GuestMemory(caller, caller.get), args[-1], case, message, offset)

    return unavailable


def _trap(name: str) -> HostFunction:
    def not_provided(caller: wasmtime.Caller, *args: object) -> None:
        raise HostTrap(f"the host function {name} is {UNAVAILABLE}")

    return not_provided


def _guarded(name: str, handler: HostFunction) -> HostFunction:
    """Record why a host function failed, for the call's GuestError, and trap the guest."""

    def call(caller: wasmtime.Caller, *args: object) -> object:
        try:
            return handler(caller, *args)
        except HostTrap as err:
            host_failures.reason = str(err)
            raise
        except Exception as err:
            host_failures.reason = f"the host function {name} failed: {err}"
            raise

    return call
