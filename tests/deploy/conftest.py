"""The demo app (HTTP, timer and Redis triggers; the timer an external executor) built in a
temporary directory, and the environment `spin up` runs it with."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support import RedisServer
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
