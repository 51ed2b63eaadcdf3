"""A wasi:http component (tests/wat/wasi_http_outbound.wat) making the request it receives as
an outgoing one, against a real server on loopback: what the guest sees of it."""

from __future__ import annotations

import json
from pathlib import Path

from spin.runtime import Runtime, RuntimeConfig
from spin.runtime.http.exchange import BufferedExchange, RequestHead
from tests.runtime.outbound.loopback import Loopback
from tests.support import free_port, logs_for, wat_component

#: The guest's status for each error code it declares (590 + its case).
DENIED, URI_INVALID, REFUSED = 590, 591, 592


def forward(
    runtime: Runtime, tmp_path: Path, allowed: list[str], authority: str, path: str = "/echo"
) -> BufferedExchange:
    component = wat_component(
        "wasi_http_outbound", tmp_path, component_id="out", allowed_outbound_hosts=allowed
    )
    guest = runtime.load(component, logs_for(tmp_path, "out"))
    exchange = BufferedExchange()
    guest.serve_http(RequestHead("GET", path, "http", authority, []), exchange)  # type: ignore[attr-defined]
    return exchange


def test_allowed_request_returns_the_response(
    runtime: Runtime, tmp_path: Path, server: Loopback
) -> None:
    exchange = forward(runtime, tmp_path, [server.origin], f"127.0.0.1:{server.port}", "/echo?a")
    assert exchange.status == 200
    assert json.loads(exchange.body)["path"] == "/echo?a"


def test_denied_request_is_an_error_value(
    runtime: Runtime, tmp_path: Path, server: Loopback
) -> None:
    exchange = forward(runtime, tmp_path, ["http://localhost:*"], f"127.0.0.1:{server.port}")
    assert exchange.status == DENIED
    assert server.requests == []


def test_request_without_authority_goes_to_the_app(tmp_path: Path, server: Loopback) -> None:
    runtime = Runtime(RuntimeConfig(instance_timeout=5.0, self_origin=server.origin))
    try:
        exchange = forward(runtime, tmp_path, ["http://self"], "", "/me")
        no_permission = forward(runtime, tmp_path, [server.origin], "", "/me")
    finally:
        runtime.close()
    assert json.loads(exchange.body)["path"] == "/me"
    assert no_permission.status == DENIED


def test_refused_connection(runtime: Runtime, tmp_path: Path) -> None:
    exchange = forward(runtime, tmp_path, ["*://*:*"], f"127.0.0.1:{free_port()}")
    assert exchange.status == REFUSED


def test_body_in_several_reads_is_copied_through(
    runtime: Runtime, tmp_path: Path, server: Loopback
) -> None:
    # 4 reads of 64 KiB; wasmtime-py converts list<u8> element by element (~0.7 µs a byte
    # each way), so megabytes would measure the binding, not this.
    size = 256 << 10
    authority = f"127.0.0.1:{server.port}"
    exchange = forward(runtime, tmp_path, [server.origin], authority, f"/big/{size}")
    assert (exchange.status, len(exchange.body)) == (200, size)
