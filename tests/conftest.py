"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fixtures.supervisor.harness import Supervised
from tests.support import RedisServer

if TYPE_CHECKING:
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
