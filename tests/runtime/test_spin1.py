"""The runtime with Spin 1.x modules (old canonical ABI) built from tests/wat."""

from __future__ import annotations

from pathlib import Path

import pytest

from spin.runtime import GuestError, HttpRequest, Runtime, RuntimeConfig
from tests.support import logs_for, wat_component


def get(uri: str = "/", body: bytes = b"") -> HttpRequest:
    return HttpRequest(method="GET", uri=uri, headers=[], params=[], body=body)


def test_hello_module_answers_and_logs_stdout(runtime: Runtime, tmp_path: Path) -> None:
    logs = logs_for(tmp_path, "hello")
    guest = runtime.load(wat_component("spin1_http_hello", tmp_path, component_id="hello"), logs)
    assert guest.kind == "spin1"
    assert "handle-http-request" in guest.exports

    response = guest.handle_http(get())

    assert response.status == 200
    assert response.headers == [("content-type", "text/plain")]
    assert response.body == b"Hello, Fermyon!\n"
    assert logs.stdout_path.read_bytes() == b"hello from spin1\n"


def test_echo_sees_method_uri_headers_params_and_body(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(wat_component("spin1_http_echo", tmp_path), logs_for(tmp_path, "echo"))
    request = HttpRequest(
        method="DELETE",
        uri="/things/1?x=y",
        headers=[("spin-full-url", "http://localhost/things/1?x=y"), ("accept", "*/*")],
        params=[("id", "1")],
        body=b"payload \xff\x00 bytes",
    )

    response = guest.handle_http(request)

    assert response.status == 200
    assert response.headers == [
        ("spin-echo-method", "DELETE"),
        ("spin-echo-uri", "/things/1?x=y"),
        ("spin-full-url", "http://localhost/things/1?x=y"),
        ("accept", "*/*"),
        ("id", "1"),
    ]
    assert response.body == b"payload \xff\x00 bytes"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_every_spin_method_reaches_the_guest_by_name(
    runtime: Runtime, tmp_path: Path, method: str
) -> None:
    guest = runtime.load(wat_component("spin1_http_echo", tmp_path), logs_for(tmp_path, "echo"))
    response = guest.handle_http(HttpRequest(method, "/", [], [], b""))
    assert response.headers[0] == ("spin-echo-method", method)


def test_a_method_outside_spins_enum_is_a_guest_error(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(wat_component("spin1_http_echo", tmp_path), logs_for(tmp_path, "echo"))
    with pytest.raises(GuestError, match="TRACE"):
        guest.handle_http(HttpRequest("TRACE", "/", [], [], b""))


def test_one_megabyte_body_round_trips(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(wat_component("spin1_http_echo", tmp_path), logs_for(tmp_path, "echo"))
    body = bytes(range(256)) * 4096
    assert guest.handle_http(get(body=body)).body == body


def test_each_call_gets_a_fresh_instance(runtime: Runtime, tmp_path: Path) -> None:
    # The echo guest's bump allocator never frees: without fresh instances, 40 calls with
    # 1 MiB bodies would pile up 40 MiB and more in one memory. Each call must start empty.
    runtime_with_limit = Runtime(RuntimeConfig(memory_limit=8 * 1024 * 1024))
    try:
        guest = runtime_with_limit.load(
            wat_component("spin1_http_echo", tmp_path), logs_for(tmp_path, "echo")
        )
        body = b"x" * (1024 * 1024)
        for _ in range(40):
            assert guest.handle_http(get(body=body)).body == body
    finally:
        runtime_with_limit.close()
