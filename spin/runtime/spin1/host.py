"""The host side of Spin 1.x's imports, so that modules built by Spin's 1.x SDKs instantiate.

`spin-config::get-config` answers from the component's configuration,
`wasi-outbound-http::request` makes the request (`outbound_http`) and `key-value` reads and
writes the app's stores (`key_value`). `outbound-redis` is not provided by this runtime yet: its
functions return the interface's error value, so a guest sees a failed call, as under a Spin
whose runtime configuration denies it. Any other import traps when called, with a message
naming it.

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
from spin.runtime.spin1.key_value import key_value_functions
from spin.runtime.spin1.outbound_http import request_handler

if TYPE_CHECKING:
    from spin.runtime.guest_setup import GuestSetup

log = logging.getLogger("spin.runtime")

WASI_MODULE = "wasi_snapshot_preview1"

#: get-config's error variant: provider(string), invalid-key(string), ...
CONFIG_PROVIDER_ERROR = 0
CONFIG_INVALID_KEY = 1

#: outbound-redis's `error::error`.
REDIS_ERROR = 1

#: Offset of the payload in each unavailable function's `expected<T, error>` result, which is
#: the alignment of its largest case (u8 enums: 1; lists, strings, records: 4; s64: 8).
REDIS_PAYLOAD_OFFSET = {
    "publish": 1,
    "set": 1,
    "get": 4,
    "smembers": 4,
    "execute": 4,
    "incr": 8,
    "del": 8,
    "sadd": 8,
    "srem": 8,
}


def define_spin1_imports(
    linker: wasmtime.Linker, module: wasmtime.Module, setup: GuestSetup
) -> None:
    """Define every non-WASI function import of `module` on `linker`."""
    config = setup.config
    key_value = key_value_functions(setup.services.key_value, setup.component.key_value_stores)
    for item in module.imports:
        if item.module == WASI_MODULE:
            continue
        name = f"{item.module}::{item.name}"
        if not isinstance(item.type, wasmtime.FuncType):
            raise SpinError(
                f"Component {config.component_id!r} imports {name}, which is not a function: "
                "this runtime cannot provide it. Rebuild the component with a Spin SDK."
            )
        handler = _handler_for(item.module, item.name or "", setup, key_value) or _trap(name)
        linker.define_func(
            item.module, item.name or "", item.type, _guarded(name, handler), access_caller=True
        )


HostFunction = Callable[..., object]


def _handler_for(
    module: str, name: str, setup: GuestSetup, key_value: dict[str, HostFunction]
) -> HostFunction | None:
    if module == "spin-config" and name == "get-config":
        return _get_config(setup.config)
    if module == "key-value":
        return key_value.get(name)
    if module == "outbound-redis" and name in REDIS_PAYLOAD_OFFSET:
        return _enum_error(REDIS_PAYLOAD_OFFSET[name], REDIS_ERROR)
    if module == "wasi-outbound-http" and name == "request":
        return request_handler(setup.outbound)
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


def _write_error_string(memory: GuestMemory, ret: int, case: int, message: str) -> None:
    """Write `err(case(message))` for an error variant whose cases carry a string."""
    ptr, size = memory.put_bytes(message.encode())
    memory.write(ret, struct.pack("<B3xB3xII", 1, case, ptr, size))


def _enum_error(offset: int, code: int) -> HostFunction:
    def unavailable(caller: wasmtime.Caller, *args: int) -> None:
        memory = GuestMemory(caller, caller.get)
        memory.write(args[-1], bytes([1]))
        memory.write(args[-1] + offset, bytes([code]))

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
