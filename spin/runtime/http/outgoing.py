"""wasi:http/outgoing-handler: components' own requests, sent with httpx.

`handle` checks the request's shape, then starts the exchange on a thread of its own: the
request goes out while the guest writes its body (chunks pass through a bounded queue, so a
large upload is not held in memory), and the returned `future-incoming-response` is ready once
the response's head has arrived. The response body is read from the connection as the guest
reads it.

Spin's rules (`factor-outbound-http`, `wasi.rs`), through the component's `OutboundHttp`:
- no scheme means https; a scheme other than http/https is `HTTP-protocol-error` from `handle`;
- no authority, or the host `self.alt`, is a request to the app itself: it needs a `self` entry
  (or `*` host) and goes to `RuntimeConfig.self_origin` (none: `HTTP-request-URI-invalid`);
- any other destination must match `allowed_outbound_hosts`, else the future gives
  `HTTP-request-denied` (the guest sees an error value, not a trap);
- the guest's `host` header is dropped (the URL's authority is sent), redirects are not followed;
- `request-options` timeouts (default 600 s each): connect (`connection-timeout`), first byte of
  the response (`connection-read-timeout`), between bytes of its body (the body stream fails,
  `http-error-code` says `connection-read-timeout`); each is capped by the call's deadline;
- failures: an unknown host is `DNS-error`, a refused connection `connection-refused`, TLS
  failures `TLS-protocol-error`, anything else in the exchange `HTTP-protocol-error`.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any

from wasmtime.component import Variant

from spin.runtime.http.types import (
    FutureIncomingResponse,
    IncomingBody,
    IncomingResponse,
    OutgoingRequest,
    RequestOptions,
)
from spin.runtime.outbound.client import DestinationDenied, DestinationInvalid, OutboundHttp
from spin.runtime.wasi.p2.host import Err, Ok, Trap, WasiCall
from spin.runtime.wasi.p2.io import ChunkedInput, IoError, Pollable
from spin.runtime.wasi.p2.registry import Interface

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("spin.runtime.outbound")

outgoing_handler = Interface("wasi:http/outgoing-handler")

#: `WasiCall.extensions` key of the component's OutboundHttp (set by the guest for each call).
OUTBOUND = "outbound-http"
DEFAULT_TIMEOUT = 600.0  # seconds, Spin's default for each of the three timeouts
#: Request body chunks queued between the guest and the sending thread (then writes wait).
BODY_QUEUE_CHUNKS = 16
SELF_HOST = "self.alt"
_END = object()


def code(name: str, payload: Any = None) -> Variant:
    """An `error-code` value."""
    return Variant(name, payload)


# -- handle ----------------------------------------------------------------------------------


@outgoing_handler.func("handle")
def handle(
    call: WasiCall, request: OutgoingRequest, options: RequestOptions | None
) -> FutureIncomingResponse:
    outbound: OutboundHttp | None = call.extensions.get(OUTBOUND)
    if outbound is None:
        raise Trap("outgoing HTTP requests are not available to this guest")
    scheme = _scheme(request)
    try:
        url = _destination(outbound, request, scheme)
    except DestinationDenied:
        return ReadyFuture(code("HTTP-request-denied"))
    except DestinationInvalid:
        return ReadyFuture(code("HTTP-request-URI-invalid"))
    timeouts = Timeouts.from_options(options, call)
    body = RequestBodyPipe(call) if request.body_taken else None
    headers = [(name.encode(), value) for name, value in request.headers.entries if name != "host"]
    future = SendingFuture(outbound, _method(request.method), url, headers, body, timeouts)
    if body is not None:  # once the sender reads the pipe: what was written already goes in
        request.body_sink.connect(body)  # type: ignore[arg-type]  # an exchange's send/finish/abort
    return future


def _scheme(request: OutgoingRequest) -> str:
    if request.scheme is None:
        return "https"
    if request.scheme.tag in ("HTTP", "HTTPS"):
        return str(request.scheme.tag).lower()
    raise Err(code("HTTP-protocol-error"))


def _destination(outbound: OutboundHttp, request: OutgoingRequest, scheme: str) -> str:
    path = request.path_with_query or "/"
    authority = request.authority or ""
    host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
    if host in ("", SELF_HOST):
        return outbound.self_url(path)
    url = f"{scheme}://{authority}{path}"
    outbound.check_absolute(url)
    return url


def _method(method: Variant) -> str:
    if method.tag == "other":
        return str(method.payload)
    return str(method.tag).upper()


class Timeouts:
    """The request's three timeouts in seconds, each capped by what is left of the call."""

    def __init__(self, connect: float, first_byte: float, between_bytes: float) -> None:
        self.connect = connect
        self.first_byte = first_byte
        self.between_bytes = between_bytes

    @classmethod
    def from_options(cls, options: RequestOptions | None, call: WasiCall) -> Timeouts:
        chosen = options.timeouts if options is not None else {}
        deadline = call.deadline
        left = max(0.0, deadline - time.monotonic()) if deadline is not None else None

        def seconds(name: str) -> float:
            nanos = chosen.get(name)
            value = nanos / 1e9 if nanos is not None else DEFAULT_TIMEOUT
            return min(value, left) if left is not None else value

        return cls(
            seconds("connect-timeout"),
            seconds("first-byte-timeout"),
            seconds("between-bytes-timeout"),
        )


# -- the request body ------------------------------------------------------------------------


class RequestBodyPipe:
    """The guest's writes to the request body, handed to the sending thread. Connected to the
    request's body sink, it is called as an exchange is: `send`, then `finish` or `abort`."""

    def __init__(self, call: WasiCall) -> None:
        self.call = call
        self.chunks: queue.Queue[object] = queue.Queue(BODY_QUEUE_CHUNKS)

    def send(self, chunk: bytes) -> None:
        deadline = self.call.deadline
        timeout = max(0.0, deadline - time.monotonic()) if deadline is not None else None
        try:
            self.chunks.put(chunk, timeout=timeout)
        except queue.Full:
            raise Trap("the request body could not be sent before the deadline") from None

    def finish(self, trailers: object) -> None:
        self.chunks.put(_END)

    def abort(self, reason: str) -> None:
        self.chunks.put(BodyAborted(reason))

    def __iter__(self) -> Any:
        while True:
            deadline = self.call.deadline
            timeout = max(0.0, deadline - time.monotonic()) if deadline is not None else None
            try:
                item = self.chunks.get(timeout=timeout)
            except queue.Empty:
                raise BodyAborted("the guest did not finish the body before the deadline") from None
            if item is _END:
                return
            if isinstance(item, BodyAborted):
                raise item
            yield item


class BodyAborted(Exception):
    """The guest dropped the request body without finishing it."""


# -- futures ---------------------------------------------------------------------------------


class ReadyFuture(FutureIncomingResponse):
    """A request that failed before it went anywhere: its error code, at once."""

    def __init__(self, error: Variant) -> None:
        self.error: Variant | None = error

    def get(self, call: WasiCall) -> Any:
        error, self.error = self.error, None
        return Err() if error is None else Ok(Err(error))


class SendingFuture(FutureIncomingResponse):
    """An exchange under way on its own thread; ready when the response head has arrived."""

    def __init__(
        self,
        outbound: OutboundHttp,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: RequestBodyPipe | None,
        timeouts: Timeouts,
    ) -> None:
        self.timeouts = timeouts
        self.done = threading.Event()
        self.response: httpx.Response | None = None
        self.error: Variant | None = None
        self.taken = False
        client = outbound.client()  # made here: two threads must not both make it
        self.thread = threading.Thread(
            target=self._send,
            args=(client, method, url, headers, body),
            name=f"outbound {method} {url}",
            daemon=True,
        )
        self.thread.start()

    def _send(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: RequestBodyPipe | None,
    ) -> None:
        import httpx

        try:
            timeout = httpx.Timeout(
                self.timeouts.first_byte, connect=self.timeouts.connect, pool=self.timeouts.connect
            )
            request = client.build_request(
                method, url, headers=headers, content=iter(body) if body is not None else None
            )
            if not any(name == b"accept" for name, _ in headers):
                del request.headers["accept"]  # the client's default: a guest sends its own
            request.extensions["timeout"] = timeout.as_dict()
            response = client.send(request, stream=True, follow_redirects=False)
            # httpcore reads the body with the request's read timeout: from here it is the
            # time allowed between two chunks.
            request.extensions["timeout"]["read"] = self.timeouts.between_bytes
            self.response = response
        except Exception as err:  # every failure is an error code for the guest
            self.error = error_code(err)
            log.warning("Outbound HTTP %s %s failed: %s (%s)", method, url, err, self.error.tag)
        finally:
            self.done.set()

    def pollable(self) -> Pollable:
        return EventPollable(self.done)

    def get(self, call: WasiCall) -> Any:
        if not self.done.is_set():
            return None
        if self.taken:
            return Err()
        self.taken = True
        if self.response is None:
            return Ok(Err(self.error or code("internal-error", "no response")))
        response = self.response
        headers = [(name.decode("latin-1").lower(), value) for name, value in response.headers.raw]
        body = ResponseBody(ResponseBodyStream(response))
        return Ok(Ok(OutgoingResponseHead(response, headers, body)))

    def close(self) -> None:
        """Dropped before its response was taken: the response is not wanted."""
        if not self.taken and self.done.is_set() and self.response is not None:
            self.response.close()


class EventPollable(Pollable):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def ready(self) -> bool:
        return self.event.is_set()

    def block(self, call: WasiCall, until: float | None = None) -> None:
        deadline = call.deadline
        ends = [t for t in (until, deadline) if t is not None]
        limit = min(ends) if ends else None
        self.event.wait(None if limit is None else max(0.0, limit - time.monotonic()))
        if not self.event.is_set():
            call.check_deadline()


# -- the response ----------------------------------------------------------------------------


class OutgoingResponseHead(IncomingResponse):
    """The `incoming-response` of an outgoing request; its body is the connection's."""

    def __init__(self, response: httpx.Response, headers: Any, body: IncomingBody) -> None:
        super().__init__(response.status_code, headers, body)
        self.response = response

    def close(self) -> None:
        if self.body is not None:  # dropped without consuming the body
            self.response.close()


class ResponseBody(IncomingBody):
    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


class ResponseBodyStream(ChunkedInput):
    """The response body as received (no content decoding), chunk by chunk."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__()
        self.response = response
        self.chunks = response.iter_raw()

    def next_chunk(self, call: WasiCall) -> bytes | None:
        try:
            return next(self.chunks)
        except StopIteration:
            self.close()
            return None
        except Exception as err:
            self.ended = True
            self.close()
            failure = IoError(f"reading the response body failed: {err}")
            failure.http_error_code = error_code(err)  # type: ignore[attr-defined]
            raise Err(Variant("last-operation-failed", failure)) from None

    def close(self) -> None:
        self.response.close()


# -- errors ----------------------------------------------------------------------------------


def error_code(err: BaseException) -> Variant:
    """The wasi:http `error-code` for a failed exchange, as Spin's host reports it."""
    import httpx

    causes = _causes(err)
    if isinstance(err, httpx.ConnectTimeout | httpx.PoolTimeout):
        return code("connection-timeout")
    if isinstance(err, httpx.ReadTimeout):
        return code("connection-read-timeout")
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return code("DNS-error", {"rcode": "address not available", "info-code": 0})
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return code("TLS-protocol-error")
    if isinstance(err, httpx.ConnectError):
        return code("connection-refused")
    if isinstance(err, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return code("HTTP-request-URI-invalid")
    if isinstance(err, httpx.HTTPError | BodyAborted):
        return code("HTTP-protocol-error")
    return code("internal-error", str(err) or type(err).__name__)


def _causes(err: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


INTERFACES = (outgoing_handler,)
