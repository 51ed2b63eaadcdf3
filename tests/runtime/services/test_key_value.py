"""Key-value stores: Spin's file and schema, permissions, counters shared by processes, Redis."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from spin.runtime.services.key_value import (
    KeyValueError,
    KeyValueStores,
    StoreDefinition,
    decode_counter,
)
from tests.support import RedisServer

ALL = ["default", "other"]


def test_the_default_store_is_spins_file_and_schema(tmp_path: Path) -> None:
    stores = KeyValueStores.for_state_dir(tmp_path)
    store = stores.open("default", ["default"])
    store.set("greeting", b"hello")
    assert store.get("greeting") == b"hello"
    assert store.get("missing") is None
    # What Spin itself reads: .spin/sqlite_key_value.db, table spin_key_value(store, key, value).
    rows = sqlite3.connect(tmp_path / "sqlite_key_value.db").execute(
        "SELECT store, key, value FROM spin_key_value"
    )
    assert rows.fetchall() == [("default", "greeting", b"hello")]


def test_set_get_delete_exists_keys_and_batches(tmp_path: Path) -> None:
    store = KeyValueStores.for_state_dir(tmp_path).open("default", ["default"])
    store.set_many([("a", b"1"), ("b", b"2"), ("c", b"\x00\xff")])
    assert sorted(store.keys()) == ["a", "b", "c"]
    assert store.get_many(["c", "zz"]) == [("c", b"\x00\xff"), ("zz", None)]
    store.delete("a")
    assert not store.exists("a") and store.exists("b")
    store.delete_many(["b", "c"])
    assert store.keys() == []


def test_a_store_not_in_key_value_stores_is_access_denied(tmp_path: Path) -> None:
    stores = KeyValueStores.for_state_dir(tmp_path)
    with pytest.raises(KeyValueError) as denied:
        stores.open("default", [])
    assert denied.value.kind == "access-denied"
    with pytest.raises(KeyValueError) as unknown:
        stores.open("other", ALL)
    assert unknown.value.kind == "no-such-store"


def test_labels_are_separate_stores_in_one_file(tmp_path: Path) -> None:
    shared = StoreDefinition("spin", tmp_path / "shared.db")
    stores = KeyValueStores({"default": shared, "other": shared})
    stores.open("default", ALL).set("k", b"d")
    stores.open("other", ALL).set("k", b"o")
    assert stores.open("default", ALL).get("k") == b"d"
    assert stores.open("other", ALL).get("k") == b"o"


def add_many(path: str, count: int) -> None:
    store = KeyValueStores.for_state_dir(Path(path)).open("default", ["default"])
    for _ in range(count):
        store.increment("hits", 1)


def test_increments_from_several_processes_lose_no_update(tmp_path: Path) -> None:
    """Two executors (processes) counting into one store: every increment counts."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=add_many, args=(str(tmp_path), 150)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    store = KeyValueStores.for_state_dir(tmp_path).open("default", ["default"])
    assert decode_counter(store.get("hits"), "hits") == 450
    assert store.increment("hits", -50) == 400


def test_a_value_that_is_not_a_counter_is_an_error_value(tmp_path: Path) -> None:
    store = KeyValueStores.for_state_dir(tmp_path).open("default", ["default"])
    store.set("text", b"abc")
    with pytest.raises(KeyValueError) as failure:
        store.increment("text", 1)
    assert failure.value.kind == "other"


def test_a_file_that_is_not_a_database_is_an_error_value_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "kv.db"
    path.write_bytes(b"this is not SQLite" * 100)
    store = KeyValueStores({"default": StoreDefinition("spin", path)}).open("default", ALL)
    with pytest.raises(KeyValueError) as failure:
        store.set("k", b"w")
    assert failure.value.kind == "other" and "not a database" in failure.value.message


def test_a_label_on_redis_keeps_its_data_in_redis(redis_server: RedisServer) -> None:
    stores = KeyValueStores({"default": StoreDefinition("redis", url=redis_server.url)})
    store = stores.open("default", ["default"])
    store.set("k", b"v")
    assert store.get("k") == b"v"
    assert store.increment("n", 5) == 5
    assert sorted(store.keys()) == ["k", "n"]
    redis_server.stop()
    with pytest.raises(KeyValueError) as failure:
        store.get("k")
    assert failure.value.kind == "other"
