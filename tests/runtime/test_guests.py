"""The runtime with every guest kind: components, Redis and timer handlers, host imports,
limits, mounted files and the compiled-artefact cache. Guests are built from tests/wat."""

from __future__ import annotations

import threading
import time
from hashlib import sha256
from pathlib import Path

import pytest
import wasmtime

from spin.errors import SpinError
from spin.runtime import GuestError, HttpRequest, Runtime, RuntimeConfig
from spin.runtime.engine import ENGINE_FLAVOUR, WasmEngine
from spin.runtime.wasmtime_version import wasmtime_version
from tests.support import WAT_DIR, locked_component, logs_for, wat_component, wat_to_wasm


def request(method: str = "GET", body: bytes = b"") -> HttpRequest:
    return HttpRequest(
        method=method, uri="/x?y=1", headers=[("accept", "*/*")], params=[], body=body
    )


# -- components --------------------------------------------------------------------------


def test_component_echoes_method_uri_headers_params_and_body(
    runtime: Runtime, tmp_path: Path
) -> None:
    guest = runtime.load(wat_component("component_http_echo", tmp_path), logs_for(tmp_path, "c"))
    assert guest.kind == "component"
    response = guest.handle_http(
        HttpRequest("PUT", "/a/b?c", [("x-h", "v")], [("p", "1")], b"\x00body\xff")
    )
    assert response.status == 200
    assert response.headers == [
        ("spin-echo-method", "PUT"),
        ("spin-echo-uri", "/a/b?c"),
        ("x-h", "v"),
        ("p", "1"),
    ]
    assert response.body == b"\x00body\xff"


def test_component_round_trips_a_one_megabyte_body(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(wat_component("component_http_echo", tmp_path), logs_for(tmp_path, "c"))
    body = bytes(range(256)) * 4096
    assert guest.handle_http(request("POST", body)).body == body


def test_redis_handlers_of_both_kinds_log_payloads_and_report_errors(
    runtime: Runtime, tmp_path: Path
) -> None:
    for wat in ("spin1_redis_log", "component_redis_log"):
        logs = logs_for(tmp_path, wat)
        guest = runtime.load(wat_component(wat, tmp_path), logs)
        guest.handle_redis(b"first message")
        with pytest.raises(GuestError, match="error"):
            guest.handle_redis(b"fail")
        guest.handle_redis(b"after the failure")
        assert logs.stdout_path.read_bytes() == b"first message\nfail\nafter the failure\n"


def test_timer_handlers_of_both_kinds_run_in_fresh_instances(
    runtime: Runtime, tmp_path: Path
) -> None:
    for wat in ("timer_core", "timer_component"):
        logs = logs_for(tmp_path, wat)
        guest = runtime.load(wat_component(wat, tmp_path), logs)
        guest.handle_timer()
        guest.handle_timer()
        assert logs.stdout_path.read_bytes() == b"tick\ntick\n"


def test_calling_a_handler_the_guest_lacks_is_a_guest_error(
    runtime: Runtime, tmp_path: Path
) -> None:
    guest = runtime.load(wat_component("component_redis_log", tmp_path), logs_for(tmp_path, "r"))
    with pytest.raises(GuestError, match="inbound-http"):
        guest.handle_http(request())
    with pytest.raises(GuestError, match="command"):
        guest.run_command(["x"], {}, b"")


def test_invalid_wasm_is_a_clear_load_error(runtime: Runtime, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wat"
    bogus.write_text("(module)")
    component = wat_component("wagi_hello", tmp_path, component_id="broken")
    component.source_path.write_bytes(b"not wasm at all")
    with pytest.raises(SpinError, match=r"'broken'.*not a valid Wasm"):
        runtime.load(component, logs_for(tmp_path, "broken"))


# -- host imports of Spin 1.x modules -------------------------------------------------------


def test_get_config_renders_the_components_template_with_app_variables(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    component = wat_component(
        "spin1_http_config", tmp_path, config={"message": "hello {{ who }} from {{ place }}"}
    )
    variables = {"who": {"default": "world"}, "place": {"default": "nowhere"}}
    monkeypatch.setenv("SPIN_VARIABLE_PLACE", "the env")
    guest = runtime.load(component, logs_for(tmp_path, "cfg"), variables)

    response = guest.handle_http(request())

    assert (response.status, response.body) == (200, b"hello world from the env")
    # The component lists no key_value_stores: opening "default" is access-denied (case 2)
    assert response.headers == [("kv-error", "2")]


def test_get_config_of_an_unknown_key_returns_the_interfaces_error(
    runtime: Runtime, tmp_path: Path
) -> None:
    guest = runtime.load(wat_component("spin1_http_config", tmp_path), logs_for(tmp_path, "cfg"))
    response = guest.handle_http(request())
    assert (response.status, response.body) == (500, b"unknown config key 'message'")


# -- limits --------------------------------------------------------------------------------


def test_an_infinite_loop_hits_the_deadline_and_the_next_call_works(tmp_path: Path) -> None:
    runtime = Runtime(RuntimeConfig(instance_timeout=0.3))
    try:
        looping = runtime.load(wat_component("loop_forever", tmp_path), logs_for(tmp_path, "l"))
        with pytest.raises(GuestError, match="deadline") as failure:
            looping.handle_http(request())
        assert failure.value.component_id == "loop-forever"
        with pytest.raises(GuestError, match="deadline"):
            looping.handle_redis(b"x")
        hello = runtime.load(wat_component("spin1_http_hello", tmp_path), logs_for(tmp_path, "h"))
        assert hello.handle_http(request()).status == 200
    finally:
        runtime.close()


def test_the_deadline_clock_sleeps_while_no_call_runs(tmp_path: Path) -> None:
    """An idle runtime costs no CPU: its epoch ticker wakes only while a call runs (each 10 ms
    tick is a voluntary context switch of the ticker thread, which /proc counts)."""
    before = set(threading.enumerate())
    runtime = Runtime(RuntimeConfig(instance_timeout=0.3))
    try:
        (ticker,) = [
            t for t in set(threading.enumerate()) - before if t.name == "wasm-epoch-ticker"
        ]
        looping = runtime.load(wat_component("loop_forever", tmp_path), logs_for(tmp_path, "l"))
        with pytest.raises(GuestError, match="deadline"):
            looping.handle_redis(b"x")  # the clock runs during a call: ~30 ticks
        idle_from = context_switches(ticker)
        time.sleep(0.3)  # idleness is what is observed here: a ticking clock would switch 30 times
        assert context_switches(ticker) - idle_from <= 1
    finally:
        runtime.close()


def context_switches(thread: threading.Thread) -> int:
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    return int(status.split("voluntary_ctxt_switches:")[1].split()[0])


def test_a_trap_is_a_guest_error_for_every_handler(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(wat_component("trap", tmp_path), logs_for(tmp_path, "t"))
    for call in (
        lambda: guest.handle_http(request()),
        lambda: guest.handle_redis(b"x"),
        guest.handle_timer,
        lambda: guest.run_command(["t"], {}, b""),
    ):
        with pytest.raises(GuestError, match="unreachable"):
            call()


def test_the_memory_limit_stops_a_growing_guest(tmp_path: Path) -> None:
    runtime = Runtime(RuntimeConfig(memory_limit=8 * 1024 * 1024))
    try:
        guest = runtime.load(wat_component("memory_hog", tmp_path), logs_for(tmp_path, "m"))
        with pytest.raises(GuestError, match=r"memory: 7\.\d MiB of the 8 MiB limit"):
            guest.handle_http(request())
    finally:
        runtime.close()


# -- files and environment -------------------------------------------------------------------


@pytest.fixture
def app_files(tmp_path: Path) -> tuple[Path, Path]:
    """(static/, root/) where root/ holds data/single.txt, as `spin up` copies a single file."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<h1>index</h1>\n")
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "data" / "single.txt").write_text("a single file\n")
    (tmp_path / "secret.txt").write_text("not mounted\n")
    return static, root


def test_mounted_files_are_readable_and_nothing_else_is(
    runtime: Runtime, tmp_path: Path, app_files: tuple[Path, Path]
) -> None:
    static, root = app_files
    component = wat_component("wasi_files", tmp_path, files=[(root, "/"), (static, "/static")])
    guest = runtime.load(component, logs_for(tmp_path, "files"))

    assert guest.run_command(["files", "data/single.txt"], {}, b"") == b"a single file\n"
    assert guest.run_command(["files", "../secret.txt"], {}, b"").startswith(b"error")
    assert guest.run_command(["files", "../../etc/passwd"], {}, b"").startswith(b"error")
    # read-only without transient write
    assert guest.run_command(["files", "data/single.txt", "w"], {}, b"").startswith(b"error")
    assert (root / "data" / "single.txt").read_text() == "a single file\n"


def test_transient_write_changes_a_private_copy_only(
    tmp_path: Path, app_files: tuple[Path, Path]
) -> None:
    _, root = app_files
    runtime = Runtime(RuntimeConfig(allow_transient_write=True, transient_dir=tmp_path / "tr"))
    try:
        component = wat_component("wasi_files", tmp_path, files=[(root, "/")])
        guest = runtime.load(component, logs_for(tmp_path, "files"))
        assert guest.run_command(["f", "data/single.txt", "w"], {}, b"") == b"written"
        assert guest.run_command(["f", "data/single.txt"], {}, b"") == b"written by the guest"
        assert (root / "data" / "single.txt").read_text() == "a single file\n"
    finally:
        runtime.close()
    assert not any((tmp_path / "tr").iterdir())


def test_component_environment_reaches_the_guest(runtime: Runtime, tmp_path: Path) -> None:
    component = wat_component("wagi_hello", tmp_path, env={"GREETING": "hi", "EMPTY": ""})
    out = runtime.load(component, logs_for(tmp_path, "w")).run_command(["w"], {}, b"")
    assert b"env:\nEMPTY=\nGREETING=hi\nstdin:" in out


# -- the compiled-artefact cache ---------------------------------------------------------------


def test_a_second_runtime_loads_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Runtime(RuntimeConfig(cache_dir=cache))
    component = wat_component("component_http_echo", tmp_path)
    try:
        first.load(component, logs_for(tmp_path, "c"))
    finally:
        first.close()
    entries = list(cache.glob("*.cwasm"))
    assert len(entries) == 1
    written = entries[0].stat().st_mtime_ns

    second = Runtime(RuntimeConfig(cache_dir=cache))
    try:
        guest = second.load(component, logs_for(tmp_path, "c"))
        assert guest.handle_http(request(body=b"cached")).body == b"cached"
    finally:
        second.close()
    assert list(cache.glob("*.cwasm")) == entries
    assert entries[0].stat().st_mtime_ns == written  # read, not rewritten


def test_a_cache_entry_is_named_by_the_sha256_of_the_wasm_and_the_engine(tmp_path: Path) -> None:
    # The engine hashes without hashlib (tests/test_lean_imports.py): the names must stay
    # hashlib's SHA-256, so that the caches written before still hit.
    wasm = wat_to_wasm(WAT_DIR / "trap.wat", tmp_path).read_bytes()
    engine = WasmEngine(RuntimeConfig(cache_dir=tmp_path / "cache"))
    try:
        key = wasm + f"\0wasmtime-{wasmtime_version()}\0{ENGINE_FLAVOUR}".encode()
        assert engine.cache_path(wasm) == tmp_path / "cache" / f"{sha256(key).hexdigest()}.cwasm"
    finally:
        engine.close()


def test_a_corrupt_cache_entry_is_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    runtime = Runtime(RuntimeConfig(cache_dir=cache))
    try:
        component = wat_component("spin1_http_hello", tmp_path)
        runtime.load(component, logs_for(tmp_path, "h"))
        (entry,) = cache.glob("*.cwasm")
        entry.write_bytes(b"garbage")
        guest = runtime.load(component, logs_for(tmp_path, "h"))
        assert guest.handle_http(request()).status == 200
        assert entry.read_bytes() != b"garbage"
    finally:
        runtime.close()


def _refuse_to_compile(*args: object) -> None:
    raise AssertionError("compiled in the loading process")


@pytest.mark.parametrize("guest", ["spin1_http_hello", "component_http_echo"])
def test_a_worker_engine_compiles_a_cache_miss_in_a_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guest: str
) -> None:
    # What a compile leaves in a process (8 MB for a 1.4 KB module) stays there: a guest
    # worker has a child process fill the cache, then deserializes the entry.
    import wasmtime.component

    monkeypatch.setattr(wasmtime.Module, "__init__", _refuse_to_compile)
    monkeypatch.setattr(wasmtime.component.Component, "__init__", _refuse_to_compile)
    runtime = Runtime(RuntimeConfig(cache_dir=tmp_path / "cache"), compile_in_child=True)
    try:
        loaded = runtime.load(wat_component(guest, tmp_path), logs_for(tmp_path, "c"))
        assert loaded.handle_http(request(body=b"hi")).status == 200
    finally:
        runtime.close()
    assert len(list((tmp_path / "cache").glob("*.cwasm"))) == 1


def test_a_worker_engine_refills_a_corrupt_entry_in_a_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written before anything maps it: deserialized entries are mapped, and a file truncated
    # under a mapping is a SIGBUS (the cache only ever replaces entries, `write_cache_entry`).
    runtime = Runtime(RuntimeConfig(cache_dir=tmp_path / "cache"), compile_in_child=True)
    try:
        component = wat_component("spin1_http_hello", tmp_path)
        entry = runtime.engine.cache_path(component.source_path.read_bytes())
        assert entry is not None
        entry.parent.mkdir()
        entry.write_bytes(b"garbage")
        monkeypatch.setattr(wasmtime.Module, "__init__", _refuse_to_compile)
        guest = runtime.load(component, logs_for(tmp_path, "h"))
        assert guest.handle_http(request()).status == 200
        assert entry.read_bytes() != b"garbage"
    finally:
        runtime.close()


def test_a_worker_engine_reports_invalid_wasm_with_wasmtimes_error(tmp_path: Path) -> None:
    runtime = Runtime(RuntimeConfig(cache_dir=tmp_path / "cache"), compile_in_child=True)
    component = wat_component("wagi_hello", tmp_path, component_id="broken")
    component.source_path.write_bytes(b"\0asm\x01\0\0\0garbage")
    try:
        with pytest.raises(SpinError, match=r"'broken'.*not a valid Wasm.*: \w"):
            runtime.load(component, logs_for(tmp_path, "broken"))
    finally:
        runtime.close()
    assert not list((tmp_path / "cache").glob("*.cwasm"))


def test_a_worker_engine_with_an_unusable_cache_compiles_once_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import subprocess

    monkeypatch.setattr(subprocess, "run", _refuse_to_compile)  # no child: it could not store
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache directory should be")
    runtime = Runtime(RuntimeConfig(cache_dir=not_a_dir), compile_in_child=True)
    try:
        loaded = runtime.load(wat_component("spin1_http_hello", tmp_path), logs_for(tmp_path, "h"))
        assert loaded.handle_http(request()).status == 200
    finally:
        runtime.close()
    assert "cannot write the compiled-Wasm cache" in caplog.text


def test_workers_missing_the_cache_at_once_compile_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import spin.runtime.compiler as compiler

    compile_into_cache = compiler.compile_into_cache
    calls: list[Path] = []
    second_call = threading.Event()

    def counting(wasm: bytes, kind: str, path: Path) -> bool:
        calls.append(path)
        if len(calls) == 1:
            # Without the entry's lock the other load gets here too within this second.
            second_call.wait(timeout=1.0)
        else:
            second_call.set()
        return compile_into_cache(wasm, kind, path)

    monkeypatch.setattr(compiler, "compile_into_cache", counting)
    component = wat_component("spin1_http_hello", tmp_path)
    runtimes = [
        Runtime(RuntimeConfig(cache_dir=tmp_path / "cache"), compile_in_child=True)
        for _ in range(2)
    ]
    together = threading.Barrier(2)
    loaded = []

    def load(runtime: Runtime) -> None:
        together.wait()
        loaded.append(runtime.load(component, logs_for(tmp_path, "h")))

    threads = [threading.Thread(target=load, args=(runtime,)) for runtime in runtimes]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [guest.handle_http(request()).status for guest in loaded] == [200, 200]
    finally:
        for runtime in runtimes:
            runtime.close()
    assert len(calls) == 1


def test_no_cache_dir_means_no_cache_files(tmp_path: Path) -> None:
    runtime = Runtime(RuntimeConfig(cache_dir=None))
    try:
        runtime.load(wat_component("spin1_http_hello", tmp_path), logs_for(tmp_path, "h"))
    finally:
        runtime.close()
    assert not list(tmp_path.rglob("*.cwasm"))


def test_a_named_export_is_called_with_arguments_by_parameter_name(
    runtime: Runtime, tmp_path: Path
) -> None:
    guest = runtime.load(wat_component("component_named_export", tmp_path), logs_for(tmp_path, "n"))
    guest.handle_export("handle-event", {"count": 2, "unused": "left out"})
    with pytest.raises(GuestError, match="handle-event returned error 'odd'"):
        guest.handle_export("handle-event", {"count": 3})
    with pytest.raises(GuestError, match="takes parameter\\(s\\) 'count' the trigger does not"):
        guest.handle_export("handle-event", {"metadata": {}})
    with pytest.raises(GuestError, match="does not export `handle-cron-event`"):
        guest.handle_export("handle-cron-event", {})


def test_a_component_exporting_no_function_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "empty.wat").write_text("(component)")
    component = locked_component(wat_to_wasm(tmp_path / "empty.wat", tmp_path), "empty")
    with pytest.raises(SpinError, match=r"'empty' .* exports no function"):
        runtime.load(component, logs_for(tmp_path, "e"))
