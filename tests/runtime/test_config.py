"""RuntimeConfig from an executor's options, and guests called from many threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from spin.runtime import GuestError, HttpRequest, Runtime, RuntimeConfig, RuntimeOptions
from spin.runtime.logs import ComponentLogs
from spin.runtime.services.runtime_config import RuntimeConfigFile
from spin.trigger import CommonOptions, TriggerContext
from tests.support import wat_component


def test_runtime_config_maps_the_executor_options(tmp_path: Path) -> None:
    context = SimpleNamespace(
        options=CommonOptions(allow_transient_write=True),
        runtime_options=RuntimeOptions(
            wasm_timeout=0.0, wasm_memory_limit=64.0, wasm_output_limit=0.5
        ),
        state_dir=tmp_path,
        runtime_config_file=RuntimeConfigFile(sqlite_databases={"reports": None}),
    )
    config = TriggerContext.runtime_config(context)  # type: ignore[arg-type]
    assert config.cache_dir == tmp_path / "cache"
    assert config.instance_timeout is None  # 0 means no deadline
    assert config.memory_limit == 64 * 1024 * 1024
    assert config.output_limit == 512 * 1024
    assert config.allow_transient_write
    assert config.transient_dir == tmp_path / "transient"
    assert config.state_dir == tmp_path  # where the default store and database live
    assert config.services.sqlite_databases == {"reports": None}


def test_runtime_config_disable_cache_and_defaults(tmp_path: Path) -> None:
    context = SimpleNamespace(
        options=CommonOptions(disable_cache=True),
        runtime_options=RuntimeOptions(),
        state_dir=tmp_path,
        runtime_config_file=RuntimeConfigFile(),
    )
    config = TriggerContext.runtime_config(context)  # type: ignore[arg-type]
    assert config.cache_dir is None
    assert config.instance_timeout == 30.0
    assert config.memory_limit is None
    assert config.output_limit == 10 * 1024 * 1024
    no_limit = SimpleNamespace(
        **{**vars(context), "runtime_options": RuntimeOptions(wasm_output_limit=0)}
    )
    assert TriggerContext.runtime_config(no_limit).output_limit is None  # type: ignore[arg-type]


@pytest.mark.parametrize("wat", ["spin1_http_echo", "component_http_echo"])
def test_concurrent_calls_stay_isolated_while_another_guest_traps(tmp_path: Path, wat: str) -> None:
    runtime = Runtime(RuntimeConfig(instance_timeout=10.0))
    try:
        logs = ComponentLogs(tmp_path, "guests", echo=False)
        echo = runtime.load(wat_component(wat, tmp_path), logs)
        trap = runtime.load(wat_component("trap", tmp_path), logs)

        def echo_call(n: int) -> bytes:
            body = f"request {n}".encode() * 100
            return echo.handle_http(HttpRequest("POST", f"/{n}", [], [], body)).body

        def trap_call(_: int) -> str:
            try:
                trap.handle_http(HttpRequest("GET", "/", [], [], b""))
            except GuestError as err:
                return err.reason
            return "no error"

        with ThreadPoolExecutor(max_workers=6) as pool:
            echoes = pool.map(echo_call, range(60))
            traps = pool.map(trap_call, range(30))
            assert list(echoes) == [f"request {n}".encode() * 100 for n in range(60)]
            assert all("unreachable" in reason for reason in traps)
    finally:
        runtime.close()
