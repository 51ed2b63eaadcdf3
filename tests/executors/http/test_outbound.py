"""Outbound HTTP from guests served by `spin trigger http`: relative requests reach the app
itself at the executor's own address, and `allowed_outbound_hosts` decides who may make them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.executors.http.test_server import Executor, build_app
from tests.support import wait_for

MANIFEST = """\
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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Executor]:
    app = tmp_path_factory.mktemp("outbound-app")
    lock = build_app(app, MANIFEST, ["spin1_http_outbound", "spin1_http_hello"])
    # A guest waiting on its own app holds one worker; the request it makes needs another.
    executor = Executor(lock, "--wasm-workers", "2", "--wasm-timeout", "10")
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
