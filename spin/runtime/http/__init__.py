"""wasi:http 0.2 for components: `types`, the `incoming` guest kind (components exporting
`wasi:http/incoming-handler`) and `outgoing` (components' own requests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spin.runtime.wasi.p2.registry import Interface


def http_interfaces() -> list[Interface]:
    from spin.runtime.http import outgoing, types

    return [*types.INTERFACES, *outgoing.INTERFACES]
