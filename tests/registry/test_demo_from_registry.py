"""The three-trigger demo (HTTP, Redis, timer) pushed to a real registry, then pulled and served
by `spin up -f <reference>` alone: no manifest or Wasm file of the app on this side."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import httpx
import pytest

from tests.registry.conftest import DockerRegistry
from tests.registry.test_registry import spin_up
from tests.support import RedisServer, free_port, run_spin, wait_for
from tests.test_demo_e2e import TICK_LINE, copy_demo


def test_the_demo_pushed_to_a_registry_runs_all_three_triggers_from_the_reference(
    tmp_path: Path,
    registry: DockerRegistry,
    redis_server: RedisServer,
    spin_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_dir = tmp_path / "demo"
    app_dir.mkdir()
    reference = f"{registry.host}/demo/three-triggers:v1"
    pushed = run_spin("registry", "push", "-k", "-f", str(copy_demo(app_dir)), reference)
    assert pushed.returncode == 0, pushed.stderr
    shutil.rmtree(app_dir)  # what runs next comes from the registry only

    monkeypatch.setenv("SPIN_VARIABLE_REDIS_PORT", str(redis_server.port))
    # The timer executor is the program spin-trigger-timer, installed beside this Python.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    port = free_port()
    log = tmp_path / "up.log"
    with spin_up("-k", "-f", reference, "--listen", f"127.0.0.1:{port}", log=log) as up:

        def page() -> str:
            assert up.poll() is None, log.read_text()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
            except httpx.TransportError:
                return ""
            return response.text if response.status_code == 200 else ""

        assert "Spin demo: one app, three triggers." in wait_for(page, timeout=60, what="page")
        started = log.read_text()
        assert started.count("starting attempt=0") == 3, started  # one executor per type
        assert "spin-trigger-timer on PATH" in started

        # The app's state directory is beside the pulled lock: the components' logs show
        # the timer firing and the Redis component handling a message.
        (app,) = (Path(os.environ["SPIN_DATA_DIR"]) / "registry" / "apps").iterdir()
        logs = app / ".spin" / "logs"
        wait_for(lambda: TICK_LINE in _text(logs / "ticker_stdout.txt"), timeout=30, what="tick")
        redis_server.publish_once_subscribed("messages", "hello-from-registry")
        wait_for(
            lambda: "redis: hello-from-registry" in _text(logs / "echo_stdout.txt"),
            timeout=30,
            what="the message in the Redis component's log",
        )
    assert log.read_text().count("exited code=0") == 3, log.read_text()


def _text(path: Path) -> str:
    return path.read_text() if path.is_file() else ""
