"""SQLite databases: typed values round-trip, permissions, statements before start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from spin.runtime.services import HostServices
from spin.runtime.services.runtime_config import RuntimeConfigFile
from spin.runtime.services.sqlite import Databases, SqliteError


def test_typed_values_round_trip_exactly(tmp_path: Path) -> None:
    database = Databases.for_state_dir(tmp_path).open("default", ["default"])
    database.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)")
    values = [2**62, 0.1, "héllo", b"\x00\x01", None]
    database.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", values)
    result = database.execute("SELECT * FROM t")
    assert result.columns == ["i", "r", "s", "b", "n"]
    assert result.rows == [values]
    assert [type(v) for v in result.rows[0]] == [int, float, str, bytes, type(None)]
    # Spin's default database file, readable by any SQLite client.
    assert sqlite3.connect(tmp_path / "sqlite_db.db").execute("SELECT s FROM t").fetchone() == (
        "héllo",
    )


def test_permissions_and_unknown_labels(tmp_path: Path) -> None:
    databases = Databases.for_state_dir(tmp_path)
    with pytest.raises(SqliteError) as denied:
        databases.open("default", [])
    assert denied.value.kind == "access-denied"
    with pytest.raises(SqliteError) as unknown:
        databases.open("reports", ["reports"])
    assert unknown.value.kind == "no-such-database"


def test_a_bad_statement_is_an_error_value(tmp_path: Path) -> None:
    database = Databases.for_state_dir(tmp_path).open("default", ["default"])
    with pytest.raises(SqliteError) as failure:
        database.execute("SELEC nonsense")
    assert failure.value.kind == "io" and "syntax error" in failure.value.message


def test_seed_runs_statements_and_sets_keys_before_start(tmp_path: Path) -> None:
    services = HostServices.create(tmp_path, RuntimeConfigFile())
    services.seed(
        [("motd", "hi")], ["CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"]
    )
    assert services.key_value.open("default", ["default"]).get("motd") == b"hi"
    rows = services.sqlite.open("default", ["default"]).execute("SELECT x FROM t").rows
    assert rows == [[1], [2]]
