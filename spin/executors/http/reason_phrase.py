"""HTTP/1.1 status lines with their reason phrase (`HTTP/1.1 200 OK`), as Spin's server
(hyper) writes them. hypercorn hands h11 responses without one (`HTTP/1.1 200 `), and has no
setting for it, so its HTTP/1.1 protocol's one send method fills the phrase in: the standard
phrase of the status, nothing for a status without one. HTTP/2 has no reason phrase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import h11
from hypercorn.protocol import h11 as hypercorn_h11

_PHRASES = {status.value: status.phrase.encode() for status in HTTPStatus}


def with_reason(event: Any) -> Any:
    """`event` with its status's reason phrase when it is a response that has none."""
    if not isinstance(event, h11.Response | h11.InformationalResponse) or event.reason:
        return event
    phrase = _PHRASES.get(event.status_code, b"")
    if not phrase:
        return event
    kind = type(event)
    return kind(status_code=event.status_code, headers=event.headers, reason=phrase)


def install() -> None:
    """Make hypercorn's HTTP/1.1 protocol send reason phrases (once per process)."""
    protocol = hypercorn_h11.H11Protocol
    original: Callable[[Any, Any], Awaitable[None]] = protocol._send_h11_event
    if getattr(original, "adds_reason", False):
        return

    async def send(self: Any, event: Any) -> None:
        await original(self, with_reason(event))

    send.adds_reason = True  # type: ignore[attr-defined]
    protocol._send_h11_event = send  # type: ignore[method-assign]
