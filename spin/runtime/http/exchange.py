"""The host's side of one incoming wasi:http request: where its body comes from and where the
response goes. The worker implements it over the pool's wire (`pool.wire`), tests in memory.

The response is streamed: `start` when the guest calls `response-outparam.set`, `send` for
each write to the body, then exactly one of `finish` (with trailers or None) or `abort`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

#: Header lists as wasi:http has them: lower-case names, values as bytes.
Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class RequestHead:
    """What `incoming-request` answers about the request (the body comes from the exchange)."""

    method: str  # "GET", ...
    path_with_query: str
    scheme: str  # "http" or "https"
    authority: str
    headers: Headers


class BodyFailed(Exception):
    """The request body cannot be read any further (the message says why)."""


class HttpExchange(ABC):
    @abstractmethod
    def read_body(self) -> bytes | None:
        """The next chunk of the request body (waiting for it); None once it has ended.
        Raises BodyFailed if the rest of it cannot be had."""

    def request_trailers(self) -> Headers | None:
        """The request's trailers, once its body has ended (None: there were none)."""
        return None

    @abstractmethod
    def start(self, status: int, headers: Headers) -> None:
        """The response's status and headers: the response starts."""

    @abstractmethod
    def send(self, chunk: bytes) -> None:
        """A chunk of the response body."""

    @abstractmethod
    def finish(self, trailers: Headers | None) -> None:
        """The response body is complete."""

    @abstractmethod
    def abort(self, reason: str) -> None:
        """The response body cannot be completed (the client sees it cut short)."""

    def flush(self) -> None:  # noqa: B027 (most exchanges hold nothing back)
        """Send what is held back (the guest is about to wait)."""


class BufferedExchange(HttpExchange):
    """A whole request body in memory and the response collected in memory (tests, and the
    runtime's non-streaming `handle_http`)."""

    def __init__(self, body: bytes = b"", trailers: Headers | None = None) -> None:
        self._body: bytes | None = body if body else None
        self._trailers = trailers
        self.status: int | None = None
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.trailers: Headers | None = None
        self.finished = False
        self.aborted: str | None = None

    def read_body(self) -> bytes | None:
        body, self._body = self._body, None
        return body

    def request_trailers(self) -> Headers | None:
        return self._trailers

    def start(self, status: int, headers: Headers) -> None:
        self.status, self.headers = status, headers

    def send(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self, trailers: Headers | None) -> None:
        self.finished, self.trailers = True, trailers

    def abort(self, reason: str) -> None:
        self.aborted = reason

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)
