"""Spin 1.x modules' `key-value` interface on the app's real store (Spin's SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from spin.runtime import HttpRequest, Runtime, RuntimeConfig
from spin.runtime.services.key_value import StoreDefinition
from spin.runtime.services.runtime_config import RuntimeConfigFile
from tests.support import logs_for, wat_component


def post(body: bytes) -> HttpRequest:
    return HttpRequest(method="POST", uri="/", headers=[], params=[], body=body)


def test_a_module_appends_to_the_default_store_and_the_data_outlives_the_runtime(
    tmp_path: Path,
) -> None:
    state = tmp_path / ".spin"
    component = wat_component("spin1_http_kv", tmp_path, key_value_stores=["default"])
    for body, expected in [(b"a", b"a"), (b"bc", b"abc")]:
        runtime = Runtime(RuntimeConfig(state_dir=state))  # a new process's runtime each time
        try:
            response = runtime.load(component, logs_for(tmp_path, "kv")).handle_http(post(body))
        finally:
            runtime.close()
        assert (response.status, response.body) == (200, expected)
        assert dict(response.headers) == {"kv-exists": "1", "kv-keys": "1"}
    # Spin's own file and table: an app moved to Spin keeps its data.
    rows = sqlite3.connect(state / "sqlite_key_value.db").execute(
        "SELECT store, key, value FROM spin_key_value"
    )
    assert rows.fetchall() == [("default", "log", b"abc")]


def test_a_store_the_component_does_not_list_is_access_denied(tmp_path: Path) -> None:
    runtime = Runtime(RuntimeConfig(state_dir=tmp_path))
    try:
        component = wat_component("spin1_http_kv", tmp_path)  # no key_value_stores
        response = runtime.load(component, logs_for(tmp_path, "kv")).handle_http(post(b"x"))
    finally:
        runtime.close()
    assert (response.status, response.headers) == (500, [("kv-error", "2")])
    assert not (tmp_path / "sqlite_key_value.db").exists()


def test_a_store_that_fails_is_an_io_error_for_the_guest_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database" * 100)
    services = RuntimeConfigFile(key_value_stores={"default": StoreDefinition("spin", broken)})
    runtime = Runtime(RuntimeConfig(state_dir=tmp_path, services=services))
    try:
        component = wat_component("spin1_http_kv", tmp_path, key_value_stores=["default"])
        response = runtime.load(component, logs_for(tmp_path, "kv")).handle_http(post(b"x"))
    finally:
        runtime.close()
    assert (response.status, response.headers) == (500, [("kv-error", "5")])  # io(message)
