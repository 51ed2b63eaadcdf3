"""The spin-sdk guests build into components with the expected exports, and the cache holds.

The first run builds each app (about 10 s of CPU each) and compiles it (about 7 s); later runs
find both in the caches under ~/.cache/spin-py-tests and take a fraction of a second per app.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from wasmtime.component import Component

from spin.runtime.config import RuntimeConfig
from spin.runtime.engine import WasmEngine
from tests.guests import build
from tests.guests.sdk_interfaces import HTTP_APP_IMPORTS, REDIS_APP_IMPORTS, WORLD_EXPORTS
from tests.support import sdk_component

APPS = sorted(p.name for p in build.APPS_DIR.iterdir() if (p / "app.py").is_file())


@pytest.fixture(scope="module")
def engine(compiled_wasm_cache: Path) -> Iterator[WasmEngine]:
    wasm_engine = WasmEngine(RuntimeConfig(cache_dir=compiled_wasm_cache))
    yield wasm_engine
    wasm_engine.close()


def test_every_app_named_in_the_issue_is_there() -> None:
    assert {"hello", "echo", "outbound", "stream", "redis"} <= set(APPS)


@pytest.mark.parametrize("app", sorted(set(APPS) - set(build.WIT_WORLDS)))
def test_app_builds_into_a_component_with_its_world_export(
    app: str, sdk_guest: Callable[[str], Path], engine: WasmEngine
) -> None:
    component = engine.compile(sdk_guest(app).read_bytes(), Component)
    world = build.WORLDS.get(app, build.DEFAULT_WORLD)
    exports = set(component.type.exports(engine.engine))
    assert WORLD_EXPORTS[world] in exports
    imports = set(component.type.imports(engine.engine))
    assert imports == (REDIS_APP_IMPORTS if world == "spin-redis" else HTTP_APP_IMPORTS)


#: A plugin world's app: its handler export, and the plugin and Spin interfaces it imports.
PLUGIN_APPS = {
    "cron_kv": (
        "handle-cron-event",
        {"fermyon:spin-cron/cron-types@2.0.0", "fermyon:spin/key-value@2.0.0"},
    ),
    "mqtt_reply": (
        "handle-message",
        {"spin:mqtt-trigger/spin-mqtt-types", "fermyon:spin/mqtt@2.0.0"},
    ),
}


@pytest.mark.parametrize("app", sorted(build.WIT_WORLDS))
def test_a_plugin_world_app_builds_from_the_committed_wit(
    app: str, sdk_guest: Callable[[str], Path], engine: WasmEngine
) -> None:
    component = engine.compile(sdk_guest(app).read_bytes(), Component)
    export, spin_imports = PLUGIN_APPS[app]
    assert export in set(component.type.exports(engine.engine))
    imports = set(component.type.imports(engine.engine))
    assert spin_imports <= imports
    # componentize-py's own bindings: none of the spin-sdk's other interfaces come along
    assert not any(name.startswith(("fermyon:spin/llm", "fermyon:spin/redis")) for name in imports)


def test_second_build_reuses_the_cached_component(
    sdk_guest: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sdk_guest("hello")
    before = first.stat()

    def no_build(*args: object) -> None:
        raise AssertionError("componentize-py ran although the component was cached")

    monkeypatch.setattr(build, "run_componentize", no_build)
    again = build.build_sdk_guest("hello")
    assert again == first
    assert (again.stat().st_mtime_ns, again.stat().st_ino) == (before.st_mtime_ns, before.st_ino)


def copy_app(tmp_path: Path, app: str = "hello") -> Path:
    apps = tmp_path / "apps"
    shutil.copytree(build.APPS_DIR / app, apps / app, ignore=shutil.ignore_patterns("__pycache__"))
    return apps


def test_cache_key_follows_sources_tool_versions_and_world(tmp_path: Path) -> None:
    apps = copy_app(tmp_path)
    tools = build.find_toolchain()
    key = build.cache_key("hello", apps / "hello", tools)
    assert build.cache_key("hello", apps / "hello", tools) == key
    (apps / "hello" / "__pycache__").mkdir()
    (apps / "hello" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"ignored")
    assert build.cache_key("hello", apps / "hello", tools) == key

    older_sdk = dataclasses.replace(tools, spin_sdk_version="3.4.0")
    assert build.cache_key("hello", apps / "hello", older_sdk) != key
    assert build.cache_key("redis", apps / "hello", tools) != key  # another world
    with (apps / "hello" / "app.py").open("a") as source:
        source.write("# changed\n")
    assert build.cache_key("hello", apps / "hello", tools) != key


def stand_in_toolchain(tmp_path: Path, script: str) -> build.Toolchain:
    """The real versions with a stand-in componentize-py: a real failing build costs 12 s."""
    tool = tmp_path / "componentize-py"
    tool.write_text(f"#!{sys.executable}\n{script}\n")
    tool.chmod(0o755)
    real = build.find_toolchain()
    return dataclasses.replace(real, componentize_py=tool)


def test_a_failed_build_raises_with_the_tools_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = copy_app(tmp_path)
    script = "import sys; print('ModuleNotFoundError: no module x', file=sys.stderr); sys.exit(1)"
    tools = stand_in_toolchain(tmp_path, script)
    monkeypatch.setattr(build, "find_toolchain", lambda: tools)
    with pytest.raises(build.GuestBuildError) as failure:
        build.build_sdk_guest("hello", apps_dir=apps, cache_dir=tmp_path / "cache")
    message = str(failure.value)
    assert "could not build the SDK app 'hello'" in message
    assert "exit status 1" in message
    assert "ModuleNotFoundError: no module x" in message
    assert not list((tmp_path / "cache" / "sdk-guests").glob("*.wasm"))


def test_an_unknown_app_is_named_with_the_apps_there_are() -> None:
    with pytest.raises(build.GuestBuildError, match=r"no SDK app 'nope' .*hello"):
        build.build_sdk_guest("nope")


def test_concurrent_builds_of_one_app_run_the_tool_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = copy_app(tmp_path)
    runs: list[Path] = []

    def fake_componentize(app: str, source: Path, output: Path, tools: build.Toolchain) -> None:
        runs.append(output)
        output.write_bytes(b"\0asm component")

    monkeypatch.setattr(build, "run_componentize", fake_componentize)
    start = threading.Barrier(4)
    results: list[Path] = []

    def build_it() -> None:
        start.wait()
        results.append(build.build_sdk_guest("hello", apps_dir=apps, cache_dir=tmp_path / "c"))

    threads = [threading.Thread(target=build_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(runs) == 1
    assert len(set(results)) == 1 and len(results) == 4
    assert results[0].read_bytes() == b"\0asm component"
    assert not list(results[0].parent.glob("*.partial.wasm"))


def test_sdk_component_is_a_locked_component_of_the_built_guest(
    sdk_guest: Callable[[str], Path],
) -> None:
    component = sdk_component("echo", allowed_outbound_hosts=["http://127.0.0.1:*"])
    assert component.id == "sdk-echo"
    assert component.source_path == sdk_guest("echo")
    assert component.metadata["allowed_outbound_hosts"] == ["http://127.0.0.1:*"]


def test_a_shared_cache_state_dir_loads_from_the_shared_compiled_cache(
    shared_cache_state_dir: Path, compiled_wasm_cache: Path, engine: WasmEngine
) -> None:
    wasm = build.build_sdk_guest("hello").read_bytes()
    engine.compile(wasm, Component)  # makes sure the shared cache holds it
    through_state = WasmEngine(RuntimeConfig(cache_dir=shared_cache_state_dir / "cache"))
    try:
        cached = through_state.cache_path(wasm)
        assert cached is not None and cached.resolve().parent == compiled_wasm_cache.resolve()
        before = cached.stat().st_mtime_ns
        component = through_state.compile(wasm, Component)
        assert WORLD_EXPORTS["spin-http"] in component.type.exports(through_state.engine)
        assert cached.stat().st_mtime_ns == before  # loaded, not compiled and written again
    finally:
        through_state.close()
