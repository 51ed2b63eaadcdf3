"""The HTTP request and response a guest sees, independent of the guest's ABI."""

from __future__ import annotations

from dataclasses import dataclass

#: Methods in the order of Spin's `method` enum (the index is what Spin 1.x modules receive).
SPIN_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class HttpRequest:
    method: str  # "GET", "POST", ...
    uri: str  # as Spin gives it to guests
    headers: list[tuple[str, str]]  # incoming headers + spin-* headers, lower-case names
    params: list[tuple[str, str]]  # route params; may be empty
    body: bytes


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
