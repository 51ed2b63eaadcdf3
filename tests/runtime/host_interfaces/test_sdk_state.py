"""Spin's host interfaces seen by real spin-sdk 3.4.1 guests (tests/guests/sdk_python), run
in-process by the runtime: key-value (fermyon:spin 2.0 and wasi:keyvalue), SQLite, variables,
outbound Redis against a real redis-server, and the interfaces this runtime does not offer.
Each failure must reach the guest as the interface's error value, with a log line."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from spin.runtime import Guest, HttpRequest, Runtime
from spin.runtime.services.key_value import StoreDefinition
from spin.runtime.services.runtime_config import RuntimeConfigFile
from tests.runtime.host_interfaces.sdk_guests import load, make_runtime
from tests.support import RedisServer, free_port


def get(guest: Guest, uri: str) -> tuple[int, str]:
    response = guest.handle_http(HttpRequest("GET", uri, [("host", "localhost")], [], b""))
    return response.status, response.body.decode()


def stored(state_dir: Path, key: str) -> bytes:
    with sqlite3.connect(state_dir / "sqlite_key_value.db") as db:
        row = db.execute(
            "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?", (key,)
        ).fetchone()
    return row[0]


# -- key-value ------------------------------------------------------------------------------


def test_kv_app_counts_in_spins_file(runtime: Runtime, tmp_path: Path, state_dir: Path) -> None:
    guest = load(runtime, tmp_path, "kv", key_value_stores=["default"])
    assert [get(guest, "/")[1] for _ in range(3)] == ["1", "2", "3"]
    assert stored(state_dir, "counter") == b"3"


def test_store_not_in_key_value_stores_is_access_denied(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guest = load(runtime, tmp_path, "kv", key_value_stores=["other"])
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        assert get(guest, "/") == (500, "key-value error: Error_AccessDenied()")
    assert "key-value store 'default', which its key_value_stores does not list" in caplog.text


def test_a_failing_store_is_an_error_value_from_get(
    compiled_wasm_cache: Path, tmp_path: Path, state_dir: Path
) -> None:
    """`get` returns result<option<list<u8>>, error>: its `err` must reach the guest too."""
    dead = StoreDefinition("redis", url=f"redis://127.0.0.1:{free_port()}")
    services = RuntimeConfigFile(key_value_stores={"default": dead})
    runtime = make_runtime(compiled_wasm_cache, state_dir, services=services)
    try:
        guest = load(runtime, tmp_path, "kv", key_value_stores=["default"])
        status, body = get(guest, "/")
    finally:
        runtime.close()
    assert status == 500
    assert body.startswith("key-value error: Error_Other(value=\"key-value store 'default': ")


def test_wasi_keyvalue_store_atomics_and_batch(
    runtime: Runtime, tmp_path: Path, state_dir: Path
) -> None:
    guest = load(runtime, tmp_path, "kv_atomic", key_value_stores=["default"])
    assert get(guest, "/incr") == (200, "1")
    assert get(guest, "/incr?delta=41") == (200, "42")
    assert stored(state_dir, "hits") == (42).to_bytes(8, "little")  # Spin's counter format
    assert get(guest, "/cas?key=c&value=v1") == (200, "swapped")
    assert get(guest, "/get?key=c") == (200, "v1")
    assert get(guest, "/get?key=nothing") == (200, "none")
    assert get(guest, "/batch") == (200, "[('a', b'1'), ('b', b'2'), ('missing', None)] False")
    assert get(guest, "/keys") == (200, "b,c,hits")
    assert get(guest, "/incr?store=other") == (500, "key-value error: Error_AccessDenied()")


# -- SQLite and variables -------------------------------------------------------------------


def test_sqlite_app_writes_the_default_database(
    runtime: Runtime, tmp_path: Path, state_dir: Path
) -> None:
    guest = load(runtime, tmp_path, "sqlite", sqlite_databases=["default"])
    assert [get(guest, f"/visit/{i}")[1] for i in range(3)] == ["1", "2", "3"]
    with sqlite3.connect(state_dir / "sqlite_db.db") as db:
        assert db.execute("SELECT path FROM visits").fetchall() == [
            (f"/visit/{i}",) for i in range(3)
        ]


def test_sqlite_database_not_listed_is_access_denied(runtime: Runtime, tmp_path: Path) -> None:
    guest = load(runtime, tmp_path, "sqlite")
    assert get(guest, "/") == (500, "sqlite error: Error_AccessDenied()")


def test_variables_through_the_provider_chain(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guest = load(
        runtime,
        tmp_path,
        "variables",
        config={"greeting": "hello {{ who }}", "secret": "{{ token }}"},
        variables={"who": {"default": "world"}, "token": {"required": True}},
    )
    assert get(guest, "/") == (200, "hello world")
    monkeypatch.setenv("SPIN_VARIABLE_WHO", "from the environment")
    assert get(guest, "/") == (200, "hello from the environment")
    status, body = get(guest, "/?name=secret")
    assert status == 500 and body.startswith("variables error: Error_Undefined(")
    assert "'token' has no value" in body
    status, body = get(guest, "/?name=absent")
    assert (status, body) == (
        500,
        "variables error: Error_Undefined(value=\"no variable for 'sdk-variables'.'absent'\")",
    )
    status, body = get(guest, "/?name=Not-A-Name")
    assert status == 500 and body.startswith("variables error: Error_InvalidName(")


# -- outbound Redis -------------------------------------------------------------------------


def test_outbound_redis_commands(
    runtime: Runtime, tmp_path: Path, redis_server: RedisServer
) -> None:
    guest = load(runtime, tmp_path, "redis_outbound", allowed_outbound_hosts=[redis_server.url])
    status, body = get(guest, f"/?address={redis_server.url}")
    assert status == 200, body
    assert body.splitlines() == [
        "b'hello'",
        "None",
        "1",
        "2",
        "1",
        "['green']",
        "[RedisResult_Int64(value=6)]",
        "[RedisResult_Binary(value=b'hello!')]",
        "1",
    ]


def test_outbound_redis_denied_address_is_invalid_address_before_connecting(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guest = load(runtime, tmp_path, "redis_outbound", allowed_outbound_hosts=["redis://allowed"])
    port = free_port()  # nothing listens: a connection attempt would say "refused" instead
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        status, body = get(guest, f"/?address=redis://127.0.0.1:{port}")
    assert (status, body) == (502, "redis error: Error_InvalidAddress()")
    assert f"disallowed destination 'redis://127.0.0.1:{port}'" in caplog.text


def test_outbound_redis_unreachable_is_an_error_value(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    address = f"redis://127.0.0.1:{free_port()}"
    guest = load(runtime, tmp_path, "redis_outbound", allowed_outbound_hosts=[address])
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        status, body = get(guest, f"/?address={address}")
    assert status == 502 and body.startswith("redis error: Error_Other(value='cannot reach")
    assert f"cannot reach the Redis server at {address}" in caplog.text


# -- what this runtime does not offer -------------------------------------------------------


def test_unavailable_interfaces_answer_their_error_values(runtime: Runtime, tmp_path: Path) -> None:
    status, body = get(load(runtime, tmp_path, "unavailable"), "/")
    assert status == 200
    lines = dict(line.split(": ", 1) for line in body.splitlines())
    assert lines["mysql"].startswith("Error_Other(value='MySQL (fermyon:spin/mysql) is not")
    for name in ("postgres", "postgres4"):
        assert lines[name].startswith("Error_Other(value='PostgreSQL (")
    for name in ("llm-infer", "llm-embeddings"):
        assert lines[name].startswith("Error_RuntimeError(value='the LLM interface (")
