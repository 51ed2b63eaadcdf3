"""Apps built with spin-sdk 3.4.1 (componentize-py, wasi:http incoming-handler) served by
`spin up`: the bytes and headers a Spin user expects from the SDK's hello and echo apps."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spin.runtime import RuntimeConfig
from spin.runtime.engine import WasmEngine
from tests.support import free_port, wait_for

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


def precompiled(wasm: Path, cache: Path, app_cache: Path) -> None:
    """Put the compiled artefact of `wasm` (from the tests' shared cache, compiled there if it
    is not yet) where the app's runtime looks for it: each worker then loads it in
    milliseconds instead of compiling 37 MB of Wasm."""
    import wasmtime.component

    engine = WasmEngine(RuntimeConfig(cache_dir=cache))
    try:
        engine.compile(wasm.read_bytes(), wasmtime.component.Component)
        source = engine.cache_path(wasm.read_bytes())
        assert source is not None
        app_cache.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, app_cache / source.name)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def spin_up(tmp_path_factory: pytest.TempPathFactory, compiled_wasm_cache: Path) -> Iterator[str]:
    from tests.guests.build import build_sdk_guest

    app = tmp_path_factory.mktemp("sdk-apps")
    for name in ("hello", "echo"):
        wasm = app / f"{name}.wasm"
        shutil.copyfile(build_sdk_guest(name), wasm)
        precompiled(wasm, compiled_wasm_cache, app / ".spin" / "cache")
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
