"""The demo app (HTTP, timer and Redis triggers; the timer an external executor) built in a
temporary directory, the environment `spin up` runs it with, and the demo pushed to a real
registry (Debian's docker-registry on a free port)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.conftest import DockerRegistry
from tests.support import RedisServer, run_spin
from tests.test_demo_e2e import copy_demo


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo's manifest, its Wasm built, in `tmp_path/demo`."""
    app_dir = tmp_path / "demo"
    app_dir.mkdir()
    return copy_demo(app_dir)


@pytest.fixture
def demo_env(tmp_path: Path, redis_server: RedisServer) -> dict[str, str]:
    """No inherited Spin settings, this venv's programs (spin-trigger-timer) on PATH, no
    plugins, and the demo's Redis on the test's redis-server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        SPIN_DATA_DIR=str(tmp_path / "no-plugins"),
        SPIN_VARIABLE_REDIS_PORT=str(redis_server.port),
    )
    return env


@pytest.fixture
def pushed_demo(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The demo pushed with `spin registry push` to a registry of the test's own: its reference.
    Spin's data directory and HOME (the pull cache) are the test's too."""
    (tmp_path / "registry").mkdir()
    registry = DockerRegistry(tmp_path / "registry")
    registry.start()
    monkeypatch.setenv("SPIN_DATA_DIR", str(tmp_path / "spin-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    reference = f"{registry.host}/demo:v1"
    try:
        pushed = run_spin(
            "registry",
            "push",
            "--insecure",
            "-f",
            str(demo),
            reference,
            cwd=tmp_path,
            env=dict(os.environ),
        )
        assert pushed.returncode == 0, pushed.stderr
        yield reference
    finally:
        registry.stop()
