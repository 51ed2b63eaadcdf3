"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fixtures.supervisor.harness import Supervised
from tests.support import RedisServer

if TYPE_CHECKING:
    from executors.mqtt.tests.mosquitto_broker import Mosquitto
    from spin.runtime import Runtime


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server on a free port, stopped after the test."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Mosquitto]]:
    """`mosquitto(password=False, persistence=False)`: a fresh mosquitto on a free port, stopped
    after the test; the MQTT executor's own test helper (its tests use it standalone)."""
    from executors.mqtt.tests.mosquitto_broker import brokers

    with brokers(tmp_path_factory.mktemp) as start:
        yield start


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    """A Wasm runtime with a 5 s deadline per call and no disk cache."""
    from spin.runtime import Runtime, RuntimeConfig

    runtime = Runtime(RuntimeConfig(instance_timeout=5.0))
    yield runtime
    runtime.close()


@pytest.fixture
def sup(tmp_path: Path) -> Iterator[Supervised]:
    """A supervisor run in a subprocess (tests/fixtures/supervisor/harness.py), cleaned up after."""
    run = Supervised(tmp_path)
    try:
        yield run
    finally:
        run.cleanup()


@pytest.fixture(scope="session")
def sdk_guest() -> Callable[[str], Path]:
    """`sdk_guest("hello")`: the component built from tests/guests/sdk_python/hello.

    Built with componentize-py on first use and cached by input hash across runs
    (tests/guests/build.py); a build failure raises GuestBuildError with the tool's output.
    """
    from tests.guests.build import build_sdk_guest

    return build_sdk_guest


@pytest.fixture(scope="session")
def compiled_wasm_cache() -> Path:
    """A compiled-artefact cache shared by every test and run: `RuntimeConfig(cache_dir=...)`.

    Compiling a 37 MB SDK guest takes 7 s of CPU; its cached artefact loads in milliseconds.
    Entries are keyed by the Wasm bytes and the wasmtime version (spin/runtime/engine.py).
    """
    from tests.guests.build import cache_root

    return cache_root() / "compiled"


@pytest.fixture
def shared_cache_state_dir(tmp_path: Path, compiled_wasm_cache: Path) -> Path:
    """A `--state-dir` for an executor or `spin up` whose compiled-Wasm cache is the shared one.

    The runtime caches under `<state dir>/cache`; here that is a link to `compiled_wasm_cache`,
    so each test's executor and workers load a 37 MB SDK guest in milliseconds instead of
    compiling it for 7-18 s of CPU. Logs and stores stay in this test's own directory.
    """
    state = tmp_path / "state"
    state.mkdir()
    compiled_wasm_cache.mkdir(parents=True, exist_ok=True)
    (state / "cache").symlink_to(compiled_wasm_cache, target_is_directory=True)
    return state
