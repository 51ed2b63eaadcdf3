"""wasi:http 0.2 for components: `types`, the `incoming` guest kind (components exporting
`wasi:http/incoming-handler`) and `outgoing` (components' own requests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spin.runtime.wasi.p2.registry import Interface, Registry


def http_interfaces() -> list[Interface]:
    from spin.runtime.http import outgoing, types

    return [*types.INTERFACES, *outgoing.INTERFACES]


def component_registry() -> Registry:
    """Every host interface the runtime implements in Python: WASI 0.2, wasi:http and Spin's
    own (key-value, SQLite, variables, Redis, and the ones answering their error values)."""
    from spin.runtime.host_interfaces import spin_interfaces
    from spin.runtime.wasi.p2 import wasi_interfaces
    from spin.runtime.wasi.p2.registry import Registry

    return Registry([*wasi_interfaces(), *http_interfaces(), *spin_interfaces()])
