"""Outbound HTTP from guests served by `spin trigger http`: requests to the app itself reach it
at the executor's own address (a Spin 1.x module's relative URL, a spin-sdk app's
`http://self.alt/...`), and `allowed_outbound_hosts` decides who may make them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.executors.http.test_server import Executor, build_app
from tests.support import wait_for

SPIN1_APP = """\
spin_manifest_version = 2

[application]
name = "outbound-test"

[[trigger.http]]
route = "/proxy/..."
component = "proxy"

[[trigger.http]]
route = "/denied/..."
component = "denied"

[[trigger.http]]
route = "/hello"
component = "hello"

[component.proxy]
source = "spin1_http_outbound.wasm"
allowed_outbound_hosts = ["http://self"]

[component.denied]
source = "spin1_http_outbound.wasm"
allowed_outbound_hosts = ["https://example.com"]

[component.hello]
source = "spin1_http_hello.wasm"
"""

SDK_COMPONENT = """
[[trigger.http]]
route = "/sdk"
component = "sdk"

[component.sdk]
source = "sdk-outbound.wasm"
allowed_outbound_hosts = {allowed}
"""


def outbound_manifest(sdk_allowed: list[str] | None) -> str:
    """`/proxy/...` (a Spin 1.x module making its request, minus `/proxy`, to its own app),
    `/denied/...` (the same without permission), `/hello`, and, unless `sdk_allowed` is None,
    `/sdk`: spin-sdk's outbound app (`sdk-outbound.wasm`) allowed those hosts. The benchmark
    (bench/http/outbound.py) serves the same app."""
    if sdk_allowed is None:
        return SPIN1_APP
    return SPIN1_APP + SDK_COMPONENT.format(allowed=json.dumps(sdk_allowed))


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    sdk_guest: Callable[[str], Path],
    compiled_wasm_cache: Path,
) -> Iterator[Executor]:
    app = tmp_path_factory.mktemp("outbound-app")
    shutil.copyfile(sdk_guest("outbound"), app / "sdk-outbound.wasm")
    manifest = outbound_manifest(["http://self"])
    lock = build_app(app, manifest, ["spin1_http_outbound", "spin1_http_hello"])
    # The executor's artefact cache is the tests' shared one: the SDK app loads, not compiles.
    state = app / "state"
    state.mkdir()
    (state / "cache").symlink_to(compiled_wasm_cache)
    # A guest waiting on its own app holds one worker; the request it makes needs another.
    executor = Executor(
        lock, "--wasm-workers", "2", "--wasm-timeout", "20", "--state-dir", str(state)
    )
    executor.wait_ready()
    yield executor
    assert executor.stop() == 0, executor.stderr()


def test_relative_request_reaches_the_app_itself(server: Executor) -> None:
    response = httpx.get(f"{server.url}/proxy/hello", timeout=20)
    assert response.status_code == 200
    assert response.text == "Hello, Fermyon!\n"
    assert response.headers["content-type"] == "text/plain"


def test_relative_request_without_self_is_denied_and_logged(server: Executor) -> None:
    response = httpx.get(f"{server.url}/denied/hello", timeout=20)
    assert response.status_code == 591  # the guest's status for destination-not-allowed
    wait_for(
        lambda: "request to its own app but it does not have permission" in server.stderr(),
        what="the denial in the executor's log",
    )
    assert 'allowed_outbound_hosts = ["http://self"]' in server.stderr()


def test_sdk_app_reaches_the_app_through_self_alt(server: Executor) -> None:
    headers = {"x-target-url": "http://self.alt/hello"}
    response = httpx.get(f"{server.url}/sdk", headers=headers, timeout=30)
    assert response.status_code == 200
    assert response.headers["x-outbound-status"] == "200"
    assert response.text == "Hello, Fermyon!\n"


def test_sdk_app_denied_elsewhere(server: Executor) -> None:
    headers = {"x-target-url": "http://example.com/"}
    response = httpx.get(f"{server.url}/sdk", headers=headers, timeout=30)
    assert (response.status_code, response.text) == (
        502,
        "outbound error: ErrorCode_HttpRequestDenied()",
    )
