"""`spin trigger http` serving wasi:http components (incoming-handler): a real executor process
and its guest workers over real sockets, guests built from tests/wat."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.executors.http.test_server import Executor, build_app

MANIFEST = """\
spin_manifest_version = 2

[application]
name = "wasi-http-test"

[[trigger.http]]
route = "/hello/..."
component = "hello"

[component.hello]
source = "wasi_http_hello.wasm"
"""

WASM_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Executor]:
    app = tmp_path_factory.mktemp("wasi-http") / "app"
    lock = build_app(app, MANIFEST, ["wasi_http_hello"])
    executor = Executor(lock, "--wasm-timeout", str(WASM_TIMEOUT), "--wasm-workers", "1")
    assert executor.wait_ready() == "READY=1", executor.stderr()
    yield executor
    assert executor.stop() == 0, executor.stderr()


def test_hello_is_served_with_its_status_headers_and_body(server: Executor) -> None:
    response = httpx.get(f"{server.url}/hello/there?x=1", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Hello, Fermyon!\n"


def test_hello_answers_head_and_post_on_kept_alive_connections(server: Executor) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(3):
            assert client.post("/hello", content=b"ignored").text == "Hello, Fermyon!\n"
        head = client.head("/hello")
        assert head.status_code == 200 and head.content == b""
