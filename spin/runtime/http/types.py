"""wasi:http/types: fields, requests, responses, bodies and their futures.

The incoming side (`incoming-request`, `incoming-body`, `response-outparam`, `outgoing-response`,
`outgoing-body`) is connected to the call's `HttpExchange` (see `incoming`). The outgoing side's
data types (`outgoing-request`, `request-options`) are complete here; sending a request and its
`future-incoming-response` / `incoming-response` belong to `outgoing`, which subclasses the
classes at the end of this module.

Fields follow wasi:http's rules: names are HTTP tokens (kept lower-case), values contain no
CR, LF or NUL, hop-by-hop headers are `forbidden`, and fields that belong to a request or
response (or were given to one) are `immutable`.
"""

from __future__ import annotations

import re
from typing import Any

from wasmtime.component import Variant

from spin.runtime.http.exchange import BodyFailed, Headers, HttpExchange, RequestHead
from spin.runtime.wasi.p2.host import Err, Ok, Resource, Trap, WasiCall
from spin.runtime.wasi.p2.io import (
    CLOSED,
    ChunkedInput,
    InputStream,
    OutputStream,
    Pollable,
    failed,
)
from spin.runtime.wasi.p2.registry import Interface

types = Interface("wasi:http/types", error=Variant("internal-error", "not supported by this host"))

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
FORBIDDEN = frozenset(
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "http2-settings",
    ]
)
METHODS = frozenset(
    ["get", "head", "post", "put", "delete", "connect", "options", "trace", "patch"]
)


# -- fields ----------------------------------------------------------------------------------


class Fields(Resource):
    def __init__(self, entries: Headers | None = None, *, mutable: bool = True) -> None:
        self.entries: Headers = entries if entries is not None else []
        self.mutable = mutable

    def view(self) -> Fields:
        """An immutable handle on the same entries (what `headers()` returns)."""
        return Fields(self.entries, mutable=False)

    def freeze(self) -> Fields:
        self.mutable = False
        return self

    def check_mutable(self) -> None:
        if not self.mutable:
            raise Err(Variant("immutable"))


def _name(name: str) -> str:
    raw = name.encode("utf-8", "surrogateescape")
    if not TOKEN.fullmatch(raw):
        raise Err(Variant("invalid-syntax"))
    lower = name.lower()
    if lower in FORBIDDEN:
        raise Err(Variant("forbidden"))
    return lower


def _value(value: bytes) -> bytes:
    if b"\r" in value or b"\n" in value or b"\0" in value:
        raise Err(Variant("invalid-syntax"))
    return value


def valid_headers(entries: Headers) -> Headers:
    """Entries as `from-list` accepts them (raises the header-error otherwise)."""
    return [(_name(name), _value(bytes(value))) for name, value in entries]


@types.func("[constructor]fields")
def fields_new(call: WasiCall) -> Fields:
    return Fields()


@types.func("[static]fields.from-list")
def fields_from_list(call: WasiCall, entries: list[tuple[str, bytes]]) -> Fields:
    return Fields(valid_headers(entries))


@types.func("[method]fields.get")
def fields_get(call: WasiCall, fields: Fields, name: str) -> list[bytes]:
    lower = name.lower()
    return [value for key, value in fields.entries if key == lower]


@types.func("[method]fields.has")
def fields_has(call: WasiCall, fields: Fields, name: str) -> bool:
    lower = name.lower()
    return any(key == lower for key, _ in fields.entries)


@types.func("[method]fields.set")
def fields_set(call: WasiCall, fields: Fields, name: str, values: list[bytes]) -> None:
    fields.check_mutable()
    lower = _name(name)
    checked = [_value(value) for value in values]
    fields.entries[:] = [(k, v) for k, v in fields.entries if k != lower]
    fields.entries.extend((lower, value) for value in checked)


@types.func("[method]fields.delete")
def fields_delete(call: WasiCall, fields: Fields, name: str) -> None:
    fields.check_mutable()
    lower = _name(name)
    fields.entries[:] = [(k, v) for k, v in fields.entries if k != lower]


@types.func("[method]fields.append")
def fields_append(call: WasiCall, fields: Fields, name: str, value: bytes) -> None:
    fields.check_mutable()
    fields.entries.append((_name(name), _value(value)))


@types.func("[method]fields.entries")
def fields_entries(call: WasiCall, fields: Fields) -> Headers:
    return list(fields.entries)


@types.func("[method]fields.clone")
def fields_clone(call: WasiCall, fields: Fields) -> Fields:
    return Fields(list(fields.entries))


# -- the incoming request --------------------------------------------------------------------


class IncomingRequest(Resource):
    def __init__(self, head: RequestHead, exchange: HttpExchange) -> None:
        self.head = head
        self.exchange = exchange
        self.headers = Fields(head.headers, mutable=False)
        self.consumed = False


def method_variant(method: str) -> Variant:
    lower = method.lower()
    return Variant(lower) if lower in METHODS else Variant("other", method)


def scheme_variant(scheme: str) -> Variant:
    lower = scheme.lower()
    return Variant(lower.upper()) if lower in ("http", "https") else Variant("other", scheme)


@types.func("[method]incoming-request.method")
def request_method(call: WasiCall, request: IncomingRequest) -> Variant:
    return method_variant(request.head.method)


@types.func("[method]incoming-request.path-with-query")
def request_path(call: WasiCall, request: IncomingRequest) -> str | None:
    return request.head.path_with_query


@types.func("[method]incoming-request.scheme")
def request_scheme(call: WasiCall, request: IncomingRequest) -> Variant | None:
    return scheme_variant(request.head.scheme)


@types.func("[method]incoming-request.authority")
def request_authority(call: WasiCall, request: IncomingRequest) -> str | None:
    return request.head.authority


@types.func("[method]incoming-request.headers")
def request_headers(call: WasiCall, request: IncomingRequest) -> Fields:
    return request.headers.view()


@types.func("[method]incoming-request.consume")
def request_consume(call: WasiCall, request: IncomingRequest) -> IncomingBody:
    if request.consumed:
        raise Err()
    request.consumed = True
    return IncomingBody(ExchangeBodyStream(request.exchange))


class ExchangeBodyStream(ChunkedInput):
    """The request body, chunk by chunk from the exchange."""

    def __init__(self, exchange: HttpExchange) -> None:
        super().__init__()
        self.exchange = exchange

    def next_chunk(self, call: WasiCall) -> bytes | None:
        try:
            return self.exchange.read_body()
        except BodyFailed as failure:
            self.ended = True
            raise failed(str(failure)) from None

    def ready(self) -> bool:
        # Reading waits for the executor's next chunk, which is all this thread could do.
        return True


# -- bodies ----------------------------------------------------------------------------------


class IncomingBody(Resource):
    def __init__(self, stream: InputStream) -> None:
        self.stream: InputStream | None = stream
        self.stream_taken = False
        self.trailers: Any = None  # a callable giving the trailers once the body has ended


@types.func("[method]incoming-body.stream")
def body_stream(call: WasiCall, body: IncomingBody) -> InputStream:
    if body.stream_taken or body.stream is None:
        raise Err()
    body.stream_taken = True
    return _ChildStream(body.stream)


class _ChildStream(InputStream):
    """The handle the guest gets on a body's stream (dropping it leaves the body alone)."""

    def __init__(self, inner: InputStream) -> None:
        self.inner = inner

    def read_chunk(self, call: WasiCall, size: int) -> bytes | None:
        return self.inner.read_chunk(call, size)

    def ready(self) -> bool:
        return self.inner.ready()

    def wait(self, call: WasiCall) -> None:
        self.inner.wait(call)


@types.func("[static]incoming-body.finish")
def body_finish(call: WasiCall, body: IncomingBody) -> FutureTrailers:
    stream = body.stream
    exchange = stream.exchange if isinstance(stream, ExchangeBodyStream) else None
    return FutureTrailers(stream, exchange)


class FutureTrailers(Resource):
    """The request's trailers: ready once the rest of its body has been read (it is drained
    when they are asked for)."""

    def __init__(self, stream: InputStream | None, exchange: HttpExchange | None) -> None:
        self.stream = stream
        self.exchange = exchange
        self.taken = False


@types.func("[method]future-trailers.subscribe")
def trailers_subscribe(call: WasiCall, future: FutureTrailers) -> Pollable:
    return Pollable()


@types.func("[method]future-trailers.get")
def trailers_get(call: WasiCall, future: FutureTrailers) -> Any:
    if future.taken:
        return Err()
    future.taken = True
    if future.stream is not None:
        while future.stream.read_chunk(call, 1 << 20) is not None:
            pass
    trailers = future.exchange.request_trailers() if future.exchange is not None else None
    return Ok(Ok(Fields(trailers, mutable=False) if trailers is not None else None))


class BodySink:
    """Where an outgoing body's bytes go: the exchange (a response) or a client (a request)."""

    def send(self, call: WasiCall, data: bytes) -> None:
        raise NotImplementedError

    def finish(self, call: WasiCall, trailers: Headers | None) -> None:
        raise NotImplementedError

    def abort(self, reason: str) -> None:
        raise NotImplementedError


class OutgoingBody(Resource):
    def __init__(self, sink: BodySink) -> None:
        self.sink = sink
        self.stream_taken = False
        self.done = False

    def close(self) -> None:
        """Dropped without `finish`: the body is incomplete."""
        if not self.done:
            self.done = True
            self.sink.abort("the guest dropped the body without finishing it")


class BodyStream(OutputStream):
    def __init__(self, body: OutgoingBody) -> None:
        self.body = body

    def send(self, call: WasiCall, data: bytes) -> None:
        if self.body.done:
            raise Err(CLOSED)
        if data:
            self.body.sink.send(call, data)


@types.func("[method]outgoing-body.write")
def outgoing_body_write(call: WasiCall, body: OutgoingBody) -> OutputStream:
    if body.stream_taken:
        raise Err()
    body.stream_taken = True
    return BodyStream(body)


@types.func("[static]outgoing-body.finish")
def outgoing_body_finish(call: WasiCall, body: OutgoingBody, trailers: Fields | None) -> None:
    body.done = True
    body.sink.finish(call, list(trailers.entries) if trailers is not None else None)


# -- the response ----------------------------------------------------------------------------


class ResponseBody(BodySink):
    """An outgoing body whose bytes are held until it is connected to an exchange (a response:
    at `response-outparam.set`), then streamed to it."""

    def __init__(self) -> None:
        self.exchange: HttpExchange | None = None
        self.pending: list[bytes] = []
        self.ending: tuple[str, Any] | None = None  # ("finish", trailers) or ("abort", why)

    def connect(self, exchange: HttpExchange) -> None:
        self.exchange = exchange
        for chunk in self.pending:
            exchange.send(chunk)
        self.pending = []
        if self.ending is not None:
            self._end(*self.ending)

    def send(self, call: WasiCall, data: bytes) -> None:
        if self.exchange is not None:
            self.exchange.send(data)
        else:
            self.pending.append(data)

    def finish(self, call: WasiCall, trailers: Headers | None) -> None:
        self._end("finish", trailers)

    def abort(self, reason: str) -> None:
        self._end("abort", reason)

    def _end(self, how: str, detail: Any) -> None:
        self.ending = (how, detail)
        if self.exchange is None:
            return
        if how == "finish":
            self.exchange.finish(detail)
        else:
            self.exchange.abort(detail)


class OutgoingResponse(Resource):
    def __init__(self, headers: Fields) -> None:
        self.status = 200
        self.headers = headers.freeze()
        self.body_sink = ResponseBody()
        self.body_taken = False


@types.func("[constructor]outgoing-response")
def response_new(call: WasiCall, headers: Fields) -> OutgoingResponse:
    return OutgoingResponse(headers)


@types.func("[method]outgoing-response.status-code")
def response_status(call: WasiCall, response: OutgoingResponse) -> int:
    return response.status


@types.func("[method]outgoing-response.set-status-code")
def response_set_status(call: WasiCall, response: OutgoingResponse, status: int) -> None:
    if not 100 <= status <= 999:
        raise Err()
    response.status = status


@types.func("[method]outgoing-response.headers")
def response_headers(call: WasiCall, response: OutgoingResponse) -> Fields:
    return response.headers.view()


@types.func("[method]outgoing-response.body")
def response_body(call: WasiCall, response: OutgoingResponse) -> OutgoingBody:
    if response.body_taken:
        raise Err()
    response.body_taken = True
    return OutgoingBody(response.body_sink)


class ResponseOutparam(Resource):
    """Where the response goes; `set` at most once."""

    def __init__(self, exchange: HttpExchange) -> None:
        self.exchange = exchange
        self.response: OutgoingResponse | None = None
        self.error: Any = None


@types.func("[static]response-outparam.set")
def outparam_set(call: WasiCall, outparam: ResponseOutparam, response: Any) -> None:
    if isinstance(response, Err):
        outparam.error = response.payload
        return
    answer: OutgoingResponse = response.value
    outparam.response = answer
    outparam.exchange.start(answer.status, list(answer.headers.entries))
    answer.body_sink.connect(outparam.exchange)


@types.func("http-error-code")
def http_error_code(call: WasiCall, err: Any) -> Variant | None:
    return getattr(err, "http_error_code", None)


# -- outgoing requests (sending them is `outgoing`'s) -------------------------------------------


class OutgoingRequest(Resource):
    def __init__(self, headers: Fields) -> None:
        self.headers = headers.freeze()
        self.method: Variant = Variant("get")
        self.path_with_query: str | None = None
        self.scheme: Variant | None = None
        self.authority: str | None = None
        #: the body's bytes are held here until `outgoing` sends the request
        self.body_sink = ResponseBody()
        self.body_taken = False


@types.func("[constructor]outgoing-request")
def outgoing_request_new(call: WasiCall, headers: Fields) -> OutgoingRequest:
    return OutgoingRequest(headers)


@types.func("[method]outgoing-request.body")
def outgoing_request_body(call: WasiCall, request: OutgoingRequest) -> OutgoingBody:
    if request.body_taken:
        raise Err()
    request.body_taken = True
    return OutgoingBody(request.body_sink)


def _getter(attribute: str) -> Any:
    def get(call: WasiCall, request: OutgoingRequest) -> Any:
        return getattr(request, attribute)

    return get


def _setter(attribute: str) -> Any:
    def set_(call: WasiCall, request: OutgoingRequest, value: Any) -> None:
        setattr(request, attribute, value)

    return set_


for _attribute in ("method", "path-with-query", "scheme", "authority"):
    types.func(f"[method]outgoing-request.{_attribute}")(_getter(_attribute.replace("-", "_")))
    types.func(f"[method]outgoing-request.set-{_attribute}")(_setter(_attribute.replace("-", "_")))


@types.func("[method]outgoing-request.headers")
def outgoing_request_headers(call: WasiCall, request: OutgoingRequest) -> Fields:
    return request.headers.view()


class RequestOptions(Resource):
    def __init__(self) -> None:
        self.timeouts: dict[str, int | None] = {
            "connect-timeout": None,
            "first-byte-timeout": None,
            "between-bytes-timeout": None,
        }


types.func("[constructor]request-options")(lambda call: RequestOptions())
for _timeout in ("connect-timeout", "first-byte-timeout", "between-bytes-timeout"):

    def _get(call: WasiCall, options: RequestOptions, _key: str = _timeout) -> int | None:
        return options.timeouts[_key]

    def _set(
        call: WasiCall, options: RequestOptions, value: int | None, _key: str = _timeout
    ) -> None:
        options.timeouts[_key] = value

    types.func(f"[method]request-options.{_timeout}")(_get)
    types.func(f"[method]request-options.set-{_timeout}")(_set)


class FutureIncomingResponse(Resource):
    """What `outgoing-handler.handle` returns; `outgoing` implements it."""

    def pollable(self) -> Pollable:
        return Pollable()

    def get(self, call: WasiCall) -> Any:
        """None (not ready), `Ok(Ok(IncomingResponse))`, `Ok(Err(error-code))` or `Err()`."""
        raise Trap("outgoing HTTP is not available")


class IncomingResponse(Resource):
    """A response to an outgoing request; `outgoing` implements it."""

    def __init__(self, status: int, headers: Headers, body: IncomingBody) -> None:
        self.status = status
        self.headers = Fields(headers, mutable=False)
        self.body: IncomingBody | None = body


@types.func("[method]future-incoming-response.subscribe")
def future_response_subscribe(call: WasiCall, future: FutureIncomingResponse) -> Pollable:
    return future.pollable()


@types.func("[method]future-incoming-response.get")
def future_response_get(call: WasiCall, future: FutureIncomingResponse) -> Any:
    return future.get(call)


@types.func("[method]incoming-response.status")
def incoming_response_status(call: WasiCall, response: IncomingResponse) -> int:
    return response.status


@types.func("[method]incoming-response.headers")
def incoming_response_headers(call: WasiCall, response: IncomingResponse) -> Fields:
    return response.headers.view()


@types.func("[method]incoming-response.consume")
def incoming_response_consume(call: WasiCall, response: IncomingResponse) -> IncomingBody:
    body, response.body = response.body, None
    if body is None:
        raise Err()
    return body


INTERFACES = (types,)
