"""Modules a long-lived process loads and never uses stay out of it: each costs its memory for
the process's whole life (`make bench-footprint`). Checked in a fresh interpreter that imports
what the process imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import sdk_component, wat_component


def loaded(code: str, modules: list[str]) -> list[str]:
    """Which of `modules` a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("process", "code", "unused"),
    [
        (
            # importlib.metadata (email, zipfile, csv: 2.6 MB) and click (2.8 MB) per worker
            "a guest worker",
            "import spin.runtime.pool.worker\nfrom spin.runtime.runtime import Runtime",
            # paho (outbound MQTT) is imported by a guest's first MQTT open, not before;
            # sqlite3 (~1 MB) by the first statement a key-value store or database runs;
            # tomllib by an executor given a runtime config file; tempfile and shutil (with
            # bz2, lzma: 0.5 MB) by a private copy of mounted files (transient write); what
            # only locking an app needs (file mounts, remote sources, datetime) by `spin up`;
            # hashlib (OpenSSL: 0.55 MB of heap) not at all (the cache key's SHA-256 is CPython's)
            [
                "click",
                "importlib.metadata",
                "email",
                "paho",
                "sqlite3",
                "tomllib",
                "tempfile",
                "shutil",
                "datetime",
                "spin.file_mounts",
                "spin.remote_sources",
                "hashlib",
            ],
        ),
        (
            # An executor (spin.trigger and the worker pool) runs no Wasm itself and reads a
            # lock `spin up` wrote: wasmtime is its workers'; sqlite3 (~1 MB) is imported by
            # `--key-value`/`--sqlite` seeding; tempfile and shutil (with bz2, lzma: 0.5 MB)
            # by locking a manifest (SPIN_MANIFEST_URL)
            "an executor",
            "import spin.trigger, spin.trigger.app_loader, spin.trigger.context\n"
            "import spin.runtime.pool.pool",
            ["wasmtime", "sqlite3", "tempfile", "shutil", "spin.file_mounts", "spin.manifest"],
        ),
        (
            # `spin up` hands over to `python -m spin.supervisor` (spin/supervisor/handover.py):
            # the CLI, manifest, lock and discovery code (click, tomli: 28.0 -> 24.1 MB RSS in
            # make bench-footprint) stay in `spin up` and a reload's planner process; tempfile
            # and shutil (with bz2, lzma: 0.7 MB) are not needed for a memfd and a flat
            # directory. setproctitle (0.65 MB): only the orphan guard, forked from it, sets a
            # title.
            "the supervisor",
            "import spin.supervisor.handover, spin.supervisor.manager, anyio\n"
            "async def idle() -> None: pass\n"
            "anyio.run(idle)",
            [
                "tempfile",
                "shutil",
                "click",
                "tomli",
                "tomllib",
                "spin.manifest",
                "spin.locked",
                "spin.up.command",
                "spin.up.planning",
                "spin.up.discovery",
                "importlib.metadata",
                "setproctitle",
            ],
        ),
    ],
)
def test_a_process_leaves_out_what_it_never_uses(
    process: str, code: str, unused: list[str]
) -> None:
    assert loaded(code, unused) == [], f"{process} imports modules it never uses"


def loaded_by_a_worker(
    component: Any, tmp_path: Path, cache: Path, modules: list[str]
) -> list[str]:
    """Which of `modules` a fresh guest worker holds once it has loaded `component`."""
    setup = (component.raw, str(tmp_path / "logs"), str(cache))
    code = f"""
from pathlib import Path
from spin.runtime.config import RuntimeConfig
from spin.runtime.pool.worker import load_guests
raw, logs, cache = {json.dumps(setup)}
load_guests((RuntimeConfig(cache_dir=Path(cache)), [(raw, Path(logs), False)], {{}}))
"""
    return loaded(code, modules)


def test_a_worker_that_loaded_a_spin1_module_holds_no_redis_client(tmp_path: Path) -> None:
    # Before: linking outbound-redis imported redis-py, and with it asyncio and
    # importlib.metadata: 8 MB of every worker's private memory, for a guest that never calls it.
    component = wat_component("spin1_http_hello", tmp_path)
    unused = ["redis", "asyncio", "importlib.metadata", "click"]
    assert loaded_by_a_worker(component, tmp_path, tmp_path / "cache", unused) == []


def test_a_worker_that_loaded_an_sdk_guest_holds_no_mqtt_client(
    tmp_path: Path, compiled_wasm_cache: Path
) -> None:
    # An SDK guest imports fermyon:spin/mqtt whether it publishes or not: linking it must not
    # load paho-mqtt, which a guest's first `open` imports.
    component = sdk_component("hello")
    linked = "spin.runtime.host_interfaces.mqtt"
    modules = ["paho", linked]
    assert loaded_by_a_worker(component, tmp_path, compiled_wasm_cache, modules) == [linked]


#: The hosts a guest worker imports only for a guest that needs them.
GUEST_KIND_HOSTS = [
    "spin.runtime.spin1.key_value",
    "spin.runtime.spin1.outbound_http",
    "spin.runtime.spin1.outbound_redis",
    "spin.runtime.host_interfaces",
    "spin.runtime.wasi.p2",
    "spin.runtime.http.types",
    "spin.runtime.component",
    "wasmtime.component",
]


@pytest.mark.parametrize(
    ("wat", "needed"),
    [
        # The demo's guests: Spin 1.x modules that import only WASI. The component binding,
        # the WASI 0.2 host and Spin's component interfaces were 0.9 MB of such a worker's
        # heap (and `wasmtime.component` 0.5 MB more).
        ("spin1_http_hello", []),
        ("spin1_http_kv", ["spin.runtime.spin1.key_value"]),
        ("spin1_http_outbound", ["spin.runtime.spin1.outbound_http"]),
        # outbound-redis shares the component interface's client (and with it the WASI 0.2
        # host's error values).
        (
            "spin1_http_redis",
            [
                "spin.runtime.spin1.outbound_redis",
                "spin.runtime.host_interfaces",
                "spin.runtime.wasi.p2",
                "spin.runtime.component",
                "wasmtime.component",
            ],
        ),
    ],
)
def test_a_worker_imports_the_spin1_host_interfaces_its_modules_import(
    wat: str, needed: list[str], tmp_path: Path
) -> None:
    component = wat_component(wat, tmp_path)
    held = loaded_by_a_worker(component, tmp_path, tmp_path / "cache", GUEST_KIND_HOSTS)
    assert sorted(held) == sorted(needed)


def test_a_worker_that_loaded_only_components_holds_no_spin1_host(tmp_path: Path) -> None:
    component = wat_component("component_http_echo", tmp_path)
    modules = [
        "spin.runtime.spin1.module_guest",
        "spin.runtime.spin1.abi",
        "spin.runtime.component",
    ]
    held = loaded_by_a_worker(component, tmp_path, tmp_path / "cache", modules)
    assert held == ["spin.runtime.component"]
