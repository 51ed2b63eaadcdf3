"""spin-sdk 3.4.1's `outbound` app (tests/guests/sdk_python/outbound: `spin_sdk.http.send` to
the URL in `x-target-url`) against a real server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from spin.runtime import Guest, HttpRequest, Runtime, RuntimeConfig
from tests.runtime.outbound.loopback import Loopback
from tests.support import logs_for, sdk_component


@pytest.fixture
def sdk_runtime(compiled_wasm_cache: Path) -> Iterator[Runtime]:
    runtime = Runtime(RuntimeConfig(instance_timeout=30.0, cache_dir=compiled_wasm_cache))
    yield runtime
    runtime.close()


def outbound_app(runtime: Runtime, tmp_path: Path, allowed: list[str]) -> Guest:
    component = sdk_component("outbound", allowed_outbound_hosts=allowed)
    return runtime.load(component, logs_for(tmp_path, component.id))


def forward(guest: Guest, url: str, method: str = "GET", body: bytes = b"") -> tuple[int, bytes]:
    headers = [("x-target-url", url), ("host", "localhost:3000")]
    response = guest.handle_http(HttpRequest(method, "/", headers, [], body))
    return response.status, response.body


def test_sdk_request_allowed_and_denied(
    sdk_runtime: Runtime, tmp_path: Path, server: Loopback
) -> None:
    guest = outbound_app(sdk_runtime, tmp_path, [server.origin])

    status, body = forward(guest, f"{server.origin}/echo?z", "POST", b"payload")
    assert status == 200
    seen = json.loads(body)
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/echo?z", "payload")
    assert dict(seen["headers"])["host"] == f"127.0.0.1:{server.port}"

    status, body = forward(guest, "http://example.com/")
    assert (status, body) == (502, b"outbound error: ErrorCode_HttpRequestDenied()")
