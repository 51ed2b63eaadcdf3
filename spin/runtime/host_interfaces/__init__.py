"""Spin's host interfaces for components: key-value, SQLite, variables, outbound Redis and MQTT,
and the ones this runtime does not offer (MySQL, PostgreSQL, LLM), as `registry.Interface`s.

Each interface is registered under its unversioned name, so one implementation serves
`fermyon:spin/...@2.0.0` and the `spin:<name>/<name>@3.0.0` interface with the same functions.
The functions translate the guest's calls into the process's `HostServices` (the stores and
databases every executor of the app shares) and the services' failures into the interface's
own error values: a guest sees `access-denied` or `other(msg)`, never a trap. What a call may
reach is the component's: its `key_value_stores`, `sqlite_databases`, variables and
`allowed_outbound_hosts`, held by a `SpinHost` the guest puts in each call's extensions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wasmtime.component import Variant

from spin.runtime.errors import UNAVAILABLE
from spin.runtime.wasi.p2.host import Trap, WasiCall

if TYPE_CHECKING:
    from spin.allowed_hosts.rules import OutboundUrl
    from spin.runtime.config_values import ComponentConfig
    from spin.runtime.guest_setup import GuestSetup
    from spin.runtime.host_interfaces.mqtt import ConnectionSlots
    from spin.runtime.host_interfaces.redis import RedisClients
    from spin.runtime.outbound.client import OutboundHttp
    from spin.runtime.services import HostServices
    from spin.runtime.wasi.p2.registry import Interface

log = logging.getLogger("spin.runtime")

#: `WasiCall.extensions` key of the call's SpinHost.
HOST = "spin-host"


@dataclass
class SpinHost:
    """What one component's calls of Spin's interfaces may reach."""

    component_id: str
    services: HostServices
    key_value_stores: list[str]
    sqlite_databases: list[str]
    config: ComponentConfig
    outbound: OutboundHttp
    redis: RedisClients = field(init=False)
    mqtt: ConnectionSlots = field(init=False)

    def __post_init__(self) -> None:
        from spin.runtime.host_interfaces.mqtt import ConnectionSlots
        from spin.runtime.host_interfaces.redis import RedisClients

        self.redis = RedisClients(self.component_id)
        self.mqtt = ConnectionSlots()

    @classmethod
    def for_setup(cls, setup: GuestSetup) -> SpinHost:
        component = setup.component
        return cls(
            component.id,
            setup.services,
            component.key_value_stores,
            component.sqlite_databases,
            setup.config,
            setup.outbound,
        )

    def log_denied(self, what: str, label: str, field: str) -> None:
        log.warning(
            "Component %r tried to open the %s %r, which its %s does not list: add %r to the "
            "component's %s.",
            self.component_id,
            what,
            label,
            field,
            label,
            field,
        )

    def log_disallowed(self, what: str, url: OutboundUrl) -> None:
        """Spin's warning for an outbound `what` connection that `allowed_outbound_hosts` does
        not allow, with the entry to add."""
        log.warning(
            "Component %r tried to make an outbound %s connection to disallowed destination "
            "'%s://%s'. To allow it, add 'allowed_outbound_hosts = [\"%s://%s\"]' to the "
            "manifest component section.",
            self.component_id,
            what,
            url.scheme,
            url.authority,
            url.scheme,
            url.authority,
        )

    def close(self) -> None:
        self.redis.close()


def unavailable(case: str) -> Variant:
    """The error value of an interface's functions this runtime does not implement (a newer
    minor version's additions): `case(msg)` rather than a trap."""
    return Variant(case, f"this function is {UNAVAILABLE}")


def spin_host(call: WasiCall) -> SpinHost:
    host: SpinHost | None = call.extensions.get(HOST)
    if host is None:
        raise Trap("Spin's host interfaces are not available to this guest")
    return host


def spin_interfaces() -> list[Interface]:
    from spin.runtime.host_interfaces import (
        key_value,
        mqtt,
        redis,
        sqlite,
        unsupported,
        variables,
    )

    return [
        *key_value.INTERFACES,
        *sqlite.INTERFACES,
        *variables.INTERFACES,
        *redis.INTERFACES,
        *mqtt.INTERFACES,
        *unsupported.INTERFACES,
    ]
