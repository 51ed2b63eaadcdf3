"""`wasi-outbound-http::request` for Spin 1.x modules: the guest's request sent with httpx.

The guest passes its `request` record flattened (ten i32: method, uri, headers, params, body
option) and the address of a 32-byte `expected<response, http-error>`; the response is lowered
into guest memory as Spin's host did (status, `some(headers)`, `some(body)`). As in Spin:
- a destination not allowed is `destination-not-allowed`, a relative URL without an app
  address (or a URL the client cannot use) `invalid-url`, any failure of the exchange
  (connection, timeout, protocol, a body over 128 MiB) `runtime-error`;
- redirects are followed (up to 10, Spin's client default) without a new check;
- response headers whose value is not visible ASCII are dropped, names are lower case;
- `params` are ignored (deprecated in Spin).
The exchange is bounded by the call's deadline (`--wasm-timeout`) for each of its phases:
Spin's client has no timeout, but a host call cannot be interrupted by the guest's deadline.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import wasmtime

from spin.runtime.http_types import SPIN_METHODS, HttpResponse
from spin.runtime.outbound.client import DestinationDenied, DestinationInvalid, OutboundHttp
from spin.runtime.spin1.abi import AbiError, GuestMemory, Lowering

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("spin.runtime.outbound")

#: `http-error`, in the order of Spin's `http-types.wit`.
SUCCESS, DESTINATION_NOT_ALLOWED, INVALID_URL, REQUEST_ERROR, RUNTIME_ERROR = range(5)
TOO_MANY_REQUESTS = 5

#: Spin's cap on what a host buffers for a guest (`MAX_HOST_BUFFERED_BYTES`).
MAX_BUFFERED = 128 << 20
#: `expected<response, http-error>`: discriminant u8; at 4 status u16; headers option (u8 at 8,
#: ptr, len); body option (u8 at 20, ptr, len).
RESULT_OK = struct.Struct("<B3xH2xB3xIIB3xII")
RESULT_ERR = struct.Struct("<B3xB")


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    uri: str
    headers: list[tuple[str, str]]
    body: bytes


class RequestFailed(Exception):
    """The request ended with an `http-error` code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def request_handler(outbound: OutboundHttp) -> Callable[..., None]:
    """The host function for `wasi-outbound-http::request`."""

    def request(caller: wasmtime.Caller, *args: int) -> None:
        memory = GuestMemory(caller, caller.get)
        ret = args[-1]
        try:
            response = send(outbound, read_request(memory, args[:-1]))
        except RequestFailed as failed:
            memory.write(ret, RESULT_ERR.pack(1, failed.code))
            return
        write_response(memory, ret, response)

    return request


def read_request(memory: GuestMemory, args: tuple[int, ...]) -> OutboundRequest:
    """The guest's request record (its memory stays the guest's: nothing is freed)."""
    method, uri_ptr, uri_len, headers_ptr, headers_len, _, _, has_body, body_ptr, body_len = args
    if method >= len(SPIN_METHODS):
        raise AbiError(f"{method} is not a method of Spin's `method` enum")
    return OutboundRequest(
        method=SPIN_METHODS[method],
        uri=memory.read(uri_ptr, uri_len).decode("utf-8", errors="replace"),
        headers=memory.read_pairs(headers_ptr, headers_len),
        body=memory.read(body_ptr, body_len) if has_body else b"",
    )


def write_response(memory: GuestMemory, ret: int, response: HttpResponse) -> None:
    values = Lowering(memory)
    headers = values.pairs(response.headers)
    body = values.bytes(response.body)
    values.finish()
    memory.write(ret, RESULT_OK.pack(0, response.status, 1, *headers, 1, *body))


def send(outbound: OutboundHttp, request: OutboundRequest) -> HttpResponse:
    """Check the destination and make the exchange; RequestFailed with Spin's error code."""
    import httpx  # imported by the first request (see OutboundHttp.client)

    try:
        if request.uri.startswith("/"):
            url = outbound.self_url(request.uri)
        else:
            outbound.check_absolute(request.uri)
            url = request.uri
    except DestinationDenied:
        raise RequestFailed(DESTINATION_NOT_ALLOWED) from None
    except DestinationInvalid:
        raise RequestFailed(INVALID_URL) from None
    try:
        built = outbound.client().build_request(
            request.method,
            url,
            headers=[(k.encode(), v.encode()) for k, v in request.headers],
            content=request.body,
        )
    except (httpx.InvalidURL, ValueError):
        raise RequestFailed(INVALID_URL) from None
    if built.url.scheme not in ("http", "https") or not built.url.host:
        raise RequestFailed(INVALID_URL)
    return _exchange(outbound, built)


def _exchange(outbound: OutboundHttp, request: httpx.Request) -> HttpResponse:
    import httpx

    client = outbound.client()
    try:
        response = client.send(request, stream=True, follow_redirects=True)
        try:
            return HttpResponse(response.status_code, _headers(response), _body(response))
        finally:
            response.close()
    except (httpx.HTTPError, httpx.StreamError, UnicodeError) as err:
        log.warning(
            "Outbound HTTP %s: URL %s, error detail %s",
            _kind(err),
            request.url,
            str(err) or type(err).__name__,
        )
        raise RequestFailed(RUNTIME_ERROR) from None
    except BodyTooLarge:
        log.warning("Outbound HTTP response exceeds the limit of %d bytes", MAX_BUFFERED)
        raise RequestFailed(RUNTIME_ERROR) from None


class BodyTooLarge(Exception):
    pass


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    headers = []
    for name, value in response.headers.raw:
        if all(32 <= b < 127 or b == 9 for b in value):
            headers.append((name.decode("latin-1").lower(), value.decode("ascii")))
    return headers


def _body(response: httpx.Response) -> bytes:
    """The body as received (no decoding of a content-encoding), at most MAX_BUFFERED bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > MAX_BUFFERED:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _kind(err: Exception) -> str:
    import httpx

    if isinstance(err, httpx.TimeoutException):
        return "timeout error"
    if isinstance(err, httpx.ConnectError):
        return "connection error"
    if isinstance(err, httpx.DecodingError | httpx.ReadError):
        return "message body error"
    return "error"
