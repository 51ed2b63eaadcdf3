"""Apps built with spin-sdk 3.4.1 (componentize-py, wasi:http incoming-handler) served by
`spin up`: the bytes and headers a Spin user expects from the SDK's hello and echo apps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support import free_port, sdk_wasm_in, wait_for

MANIFEST = """\
spin_manifest_version = 2

[application]
name = "sdk-apps"

[[trigger.http]]
route = "/hello"
component = "hello"

[[trigger.http]]
route = "/echo/..."
component = "echo"

[component.hello]
source = "hello.wasm"

[component.echo]
source = "echo.wasm"
"""


@pytest.fixture(scope="module")
def spin_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = tmp_path_factory.mktemp("sdk-apps")
    for name in ("hello", "echo"):
        sdk_wasm_in(name, app, app / ".spin")
    (app / "spin.toml").write_text(MANIFEST)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    log = app / "spin-up.log"
    with log.open("wb") as out:
        command = ["-m", "spin", "up", "-f", str(app / "spin.toml")]
        up = subprocess.Popen(
            [sys.executable, *command, "--listen", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert up.poll() is None, f"spin up exited:\n{log.read_text()}"
        try:
            return httpx.get(f"{url}/.well-known/spin/health", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, timeout=120, interval=0.1, what="spin up to serve the SDK apps")
        yield url
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        assert up.wait(timeout=60) == 0, log.read_text()


def test_sdk_hello(spin_up: str) -> None:
    response = httpx.get(f"{spin_up}/hello", timeout=30)
    assert response.status_code == 200
    assert response.content == b"Hello from Python SDK"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-hello"] == "sdk-python"
    assert response.headers["content-length"] == "21"


def test_sdk_echo_returns_the_body_and_sees_spins_headers(spin_up: str) -> None:
    body = b"a body \x00\xff" * 1000
    response = httpx.post(
        f"{spin_up}/echo/some/path?q=1",
        content=body,
        headers={"content-type": "application/x-test"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "application/x-test"
    assert response.headers["x-echo-method"] == "POST"
    assert response.headers["x-echo-uri"] == "/echo/some/path?q=1"
    assert response.headers["x-echo-spin-path-info"] == "/some/path"
    assert response.headers["x-echo-spin-matched-route"] == "/echo/..."
    assert response.headers["x-echo-spin-component-route"] == "/echo"
    assert response.headers["x-echo-spin-full-url"] == f"{spin_up}/echo/some/path?q=1"


def test_sdk_apps_answer_many_requests_on_one_connection(spin_up: str) -> None:
    with httpx.Client(base_url=spin_up, timeout=30) as client:
        bodies = {client.get("/hello").content for _ in range(10)}
    assert bodies == {b"Hello from Python SDK"}
