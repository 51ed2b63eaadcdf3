"""`wasi-outbound-http::request` from a Spin 1.x module (tests/wat/spin1_http_outbound.wat,
which forwards its inbound request as the outbound one) to a real server on loopback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from spin.runtime import HttpRequest, HttpResponse, Runtime, RuntimeConfig
from tests.runtime.outbound.loopback import Loopback
from tests.support import free_port, logs_for, wat_component

#: The guest's status for an `http-error` (590 + its code).
DESTINATION_NOT_ALLOWED, INVALID_URL, RUNTIME_ERROR = 591, 592, 594


def call(
    runtime: Runtime,
    tmp_path: Path,
    allowed: list[str],
    request: HttpRequest,
    variables: dict[str, dict[str, str]] | None = None,
) -> HttpResponse:
    component = wat_component(
        "spin1_http_outbound", tmp_path, component_id="out", allowed_outbound_hosts=allowed
    )
    guest = runtime.load(component, logs_for(tmp_path, "out"), variables)
    return guest.handle_http(request)


def test_allowed_request_carries_method_uri_headers_and_body(
    runtime: Runtime, tmp_path: Path, server: Loopback
) -> None:
    request = HttpRequest(
        "PUT", f"{server.origin}/latin?x=1", [("x-custom", "v\u00e9")], [("ignored", "1")], b"hi"
    )

    response = call(runtime, tmp_path, [server.origin], request)

    assert response.status == 200
    seen = json.loads(response.body)
    assert (seen["method"], seen["path"], seen["body"]) == ("PUT", "/latin?x=1", "hi")
    assert ["x-custom", "v\u00c3\u00a9"] in seen["headers"]  # UTF-8 bytes, as sent
    assert "user-agent" not in dict(seen["headers"])
    assert ("x-test", "yes") in response.headers
    assert ("content-type", "application/json") in response.headers
    assert "x-latin" not in dict(response.headers)  # not visible ASCII: dropped, as Spin does


def test_destination_not_allowed_never_reaches_the_server(
    runtime: Runtime, tmp_path: Path, server: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    other = f"http://127.0.0.1:{free_port()}"
    caplog.set_level(logging.WARNING, "spin.runtime.outbound")

    response = call(
        runtime, tmp_path, [other], HttpRequest("GET", f"{server.origin}/", [], [], b"")
    )

    assert response.status == DESTINATION_NOT_ALLOWED
    assert response.headers == [] and response.body == b""
    assert server.requests == []
    assert f'allowed_outbound_hosts = ["http://127.0.0.1:{server.port}"]' in caplog.text


@pytest.mark.parametrize(
    "allowed",
    [["*://*:*"], ["http://127.0.0.0/8:*"], ["http://127.0.0.1:{{ port }}"], ["http://*:*"]],
)
def test_wildcards_cidr_and_templates_allow(
    runtime: Runtime, tmp_path: Path, server: Loopback, allowed: list[str]
) -> None:
    variables = {"port": {"default": str(server.port)}}
    request = HttpRequest("GET", f"{server.origin}/x", [], [], b"")
    assert call(runtime, tmp_path, allowed, request, variables).status == 200


@pytest.mark.parametrize(
    "allowed", [["https://127.0.0.1:*"], ["http://localhost:*"], ["http://*.example.com:*"], []]
)
def test_scheme_host_and_port_must_all_match(
    runtime: Runtime, tmp_path: Path, server: Loopback, allowed: list[str]
) -> None:
    request = HttpRequest("GET", f"{server.origin}/x", [], [], b"")
    assert call(runtime, tmp_path, allowed, request).status == DESTINATION_NOT_ALLOWED


def test_relative_url_goes_to_the_app_itself(tmp_path: Path, server: Loopback) -> None:
    runtime = Runtime(RuntimeConfig(instance_timeout=5.0, self_origin=server.origin))
    try:
        response = call(
            runtime, tmp_path, ["http://self"], HttpRequest("GET", "/me?q", [], [], b"")
        )
        denied = call(runtime, tmp_path, [server.origin], HttpRequest("GET", "/me", [], [], b""))
    finally:
        runtime.close()
    assert response.status == 200
    assert json.loads(response.body)["path"] == "/me?q"
    assert denied.status == DESTINATION_NOT_ALLOWED  # the origin's address is not `self`


def test_relative_url_without_an_app_address_is_invalid(runtime: Runtime, tmp_path: Path) -> None:
    request = HttpRequest("GET", "/me", [], [], b"")
    assert call(runtime, tmp_path, ["http://self"], request).status == INVALID_URL


def test_url_without_a_scheme_is_checked_as_https_and_is_invalid(
    runtime: Runtime, tmp_path: Path
) -> None:
    request = HttpRequest("GET", "example.com:8383", [], [], b"")
    assert call(runtime, tmp_path, ["*://*:*"], request).status == INVALID_URL
    assert call(runtime, tmp_path, ["http://*:*"], request).status == DESTINATION_NOT_ALLOWED


def test_connection_refused_is_a_runtime_error(runtime: Runtime, tmp_path: Path) -> None:
    request = HttpRequest("GET", f"http://127.0.0.1:{free_port()}/", [], [], b"")
    assert call(runtime, tmp_path, ["*://*:*"], request).status == RUNTIME_ERROR


def test_redirects_are_followed(runtime: Runtime, tmp_path: Path, server: Loopback) -> None:
    request = HttpRequest("GET", f"{server.origin}/redirect", [], [], b"")
    response = call(runtime, tmp_path, [server.origin], request)
    assert response.status == 200
    assert [seen["path"] for seen in server.requests] == ["/redirect", "/echo"]


def test_invalid_allowed_hosts_deny_everything(
    runtime: Runtime, tmp_path: Path, server: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "spin.runtime.outbound")
    request = HttpRequest("GET", f"{server.origin}/", [], [], b"")
    response = call(runtime, tmp_path, [server.origin, "example.com"], request)
    assert response.status == DESTINATION_NOT_ALLOWED
    assert "'example.com' has no scheme" in caplog.text


def test_response_over_the_buffer_cap_is_a_runtime_error(
    runtime: Runtime, tmp_path: Path, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spin.runtime.spin1 import outbound_http

    monkeypatch.setattr(outbound_http, "MAX_BUFFERED", 16)  # Spin's is 128 MiB
    request = HttpRequest("GET", f"{server.origin}/x", [], [], b"")
    assert call(runtime, tmp_path, [server.origin], request).status == RUNTIME_ERROR
