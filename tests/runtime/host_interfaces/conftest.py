"""Fixtures of the host interface tests: a runtime whose compiled-Wasm cache is the shared one
(a 37 MB SDK guest loads in milliseconds instead of compiling for 7 s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spin.runtime import Runtime
from tests.runtime.host_interfaces.sdk_guests import make_runtime


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / ".spin"


@pytest.fixture
def runtime(compiled_wasm_cache: Path, state_dir: Path) -> Iterator[Runtime]:
    runtime = make_runtime(compiled_wasm_cache, state_dir)
    yield runtime
    runtime.close()
