"""wasi:http/outgoing-handler: requests from components to the outside.

The seam for outbound HTTP: `outgoing_handler.func("handle")` is to be implemented here
(returning a `types.FutureIncomingResponse` subclass whose `get` gives a
`types.IncomingResponse`). Until it is, `handle` answers `internal-error` and the guest sees an
error result, never a trap.
"""

from __future__ import annotations

from wasmtime.component import Variant

from spin.runtime.wasi.p2.registry import Interface

NOT_AVAILABLE = Variant("internal-error", "outbound HTTP is not available in this runtime yet")

outgoing_handler = Interface("wasi:http/outgoing-handler", error=NOT_AVAILABLE)

INTERFACES = (outgoing_handler,)
