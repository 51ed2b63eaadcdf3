"""wasi:http/outgoing-handler.handle against a real server on loopback, driven through the host
functions as a guest would call them (the request, its body stream, the future, the response
body stream)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from wasmtime.component import Variant

from spin.runtime.http.outgoing import OUTBOUND, handle
from spin.runtime.http.types import (
    Fields,
    OutgoingRequest,
    RequestOptions,
    body_stream,
    incoming_response_consume,
    outgoing_body_finish,
    outgoing_body_write,
    outgoing_request_body,
)
from spin.runtime.outbound.client import OutboundHttp
from spin.runtime.wasi.p2.host import Err, Ok, WasiCall
from tests.runtime.outbound.loopback import Loopback
from tests.support import free_port


def guest_call(allowed: list[str], *, self_origin: str | None = None) -> WasiCall:
    outbound = OutboundHttp("c", allowed, self_origin=self_origin, timeout=10)
    return WasiCall(env=[], timeout=10.0, extensions={OUTBOUND: outbound})


def request(
    method: str = "get",
    scheme: str | None = "HTTP",
    authority: str | None = None,
    path: str | None = "/echo",
    headers: list[tuple[str, bytes]] | None = None,
) -> OutgoingRequest:
    outgoing = OutgoingRequest(Fields(headers or []))
    outgoing.method = Variant(method)
    outgoing.scheme = Variant(scheme) if scheme else None
    outgoing.authority = authority
    outgoing.path_with_query = path
    return outgoing


def wait(call: WasiCall, future: Any) -> Any:
    """What `future-incoming-response.get` gives once its pollable is ready."""
    future.pollable().block(call)
    return future.get(call)


def error_of(result: Any) -> Variant:
    """The error code of `Ok(Err(code))`, what `get` gives for a failed request."""
    assert isinstance(result, Ok) and isinstance(result.value, Err), result
    return result.value.payload


def read_all(call: WasiCall, response: Any) -> bytes:
    stream = body_stream(call, incoming_response_consume(call, response))
    chunks = []
    while (chunk := stream.read_chunk(call, 65536)) is not None:
        chunks.append(chunk)
    return b"".join(chunks)


def test_request_with_a_streamed_body_gets_the_response(server: Loopback) -> None:
    call = guest_call([server.origin])
    outgoing = request(
        "post",
        authority=f"127.0.0.1:{server.port}",
        path="/echo?x=1",
        headers=[("x-custom", b"v"), ("host", b"evil.example")],
    )
    body = outgoing_request_body(call, outgoing)
    stream = outgoing_body_write(call, body)
    future = handle(call, outgoing, None)  # the request goes out before its body is written
    stream.send(call, b"hello ")
    stream.send(call, b"world")
    outgoing_body_finish(call, body, None)

    result = wait(call, future)

    response = result.value.value
    assert response.status == 200
    assert ("x-test", b"yes") in response.headers.entries
    seen = json.loads(read_all(call, response))
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/echo?x=1", "hello world")
    headers = dict(seen["headers"])
    assert headers["x-custom"] == "v"
    assert headers["host"] == f"127.0.0.1:{server.port}"  # the guest's host header is dropped


def test_body_written_before_handle_is_sent(server: Loopback) -> None:
    call = guest_call([server.origin])
    outgoing = request("put", authority=f"127.0.0.1:{server.port}")
    body = outgoing_request_body(call, outgoing)
    stream = outgoing_body_write(call, body)
    for index in range(40):  # more chunks than the pipe holds
        stream.send(call, b"%02d," % index)
    outgoing_body_finish(call, body, None)

    result = wait(call, handle(call, outgoing, None))

    expected = "".join(f"{index:02d}," for index in range(40))
    assert json.loads(read_all(call, result.value.value))["body"] == expected


def test_denied_destination_is_an_error_code_not_a_trap(server: Loopback) -> None:
    call = guest_call([f"http://127.0.0.1:{free_port()}"])
    future = handle(call, request(authority=f"127.0.0.1:{server.port}"), None)
    assert error_of(wait(call, future)) == Variant("HTTP-request-denied")
    assert server.requests == []


@pytest.mark.parametrize("authority", [None, "", "self.alt", "self.alt:80"])
def test_requests_to_self_go_to_the_app_origin(server: Loopback, authority: str | None) -> None:
    call = guest_call(["http://self"], self_origin=server.origin)
    result = wait(call, handle(call, request(authority=authority, path="/me?q"), None))
    assert json.loads(read_all(call, result.value.value))["path"] == "/me?q"


def test_self_needs_permission_and_an_origin(server: Loopback) -> None:
    denied = guest_call([server.origin], self_origin=server.origin)
    assert error_of(wait(denied, handle(denied, request(), None))) == Variant("HTTP-request-denied")
    no_origin = guest_call(["http://self"])
    assert error_of(wait(no_origin, handle(no_origin, request(), None))) == Variant(
        "HTTP-request-URI-invalid"
    )


def test_no_scheme_means_https() -> None:
    call = guest_call(["http://example.com"])  # http only: an https request is denied
    future = handle(call, request(scheme=None, authority="example.com"), None)
    assert error_of(wait(call, future)) == Variant("HTTP-request-denied")


def test_other_scheme_is_a_protocol_error_from_handle() -> None:
    call = guest_call(["*://*:*"])
    outgoing = request(authority="example.com")
    outgoing.scheme = Variant("other", "ftp")
    with pytest.raises(Err) as raised:
        handle(call, outgoing, None)
    assert raised.value.payload == Variant("HTTP-protocol-error")


def test_connection_refused() -> None:
    call = guest_call(["*://*:*"])
    future = handle(call, request(authority=f"127.0.0.1:{free_port()}"), None)
    assert error_of(wait(call, future)) == Variant("connection-refused")


def test_unknown_host_is_a_dns_error() -> None:
    call = guest_call(["*://*:*"])
    result = wait(call, handle(call, request(authority="no-such-host.invalid"), None))
    assert error_of(result).tag == "DNS-error"


def options(**timeouts: float) -> RequestOptions:
    chosen = RequestOptions()
    for name, seconds in timeouts.items():
        chosen.timeouts[name.replace("_", "-")] = int(seconds * 1e9)
    return chosen


def test_first_byte_timeout(server: Loopback) -> None:
    call = guest_call([server.origin])
    outgoing = request(authority=f"127.0.0.1:{server.port}", path="/wait-head")
    future = handle(call, outgoing, options(first_byte_timeout=0.2))
    assert error_of(wait(call, future)) == Variant("connection-read-timeout")


def test_between_bytes_timeout_fails_the_body_stream(server: Loopback) -> None:
    call = guest_call([server.origin])
    outgoing = request(authority=f"127.0.0.1:{server.port}", path="/wait-body")
    future = handle(call, outgoing, options(first_byte_timeout=5, between_bytes_timeout=0.2))
    response = wait(call, future).value.value
    stream = body_stream(call, incoming_response_consume(call, response))
    assert stream.read_chunk(call, 100) == b"12345"
    with pytest.raises(Err) as raised:
        stream.read_chunk(call, 100)
    failure = raised.value.payload
    assert failure.tag == "last-operation-failed"
    assert failure.payload.http_error_code == Variant("connection-read-timeout")


def test_large_response_streams_in_chunks(server: Loopback) -> None:
    size = 20 << 20
    call = guest_call([server.origin])
    response = wait(
        call, handle(call, request(authority=f"127.0.0.1:{server.port}", path=f"/big/{size}"), None)
    ).value.value
    stream = body_stream(call, incoming_response_consume(call, response))
    total = largest = 0
    while (chunk := stream.read_chunk(call, 1 << 20)) is not None:
        total += len(chunk)
        largest = max(largest, len(chunk))
    assert total == size
    assert largest <= 1 << 20
