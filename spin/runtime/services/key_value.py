"""Key-value stores, as Spin keeps them, for every guest ABI that has key-value.

A store is opened by label (`default`, or one the runtime config file defines) and only if the
component lists that label in `key_value_stores`. The default store is a SQLite file in the
app's state directory, `.spin/sqlite_key_value.db`, with Spin's own table
`spin_key_value(store, key, value)`, so an app moved between Spin and this project keeps its
data. Every executor of an app (HTTP, Redis, timer, in their worker processes) opens the same
file: WAL mode lets readers run beside one writer, the busy timeout makes a writer wait its
turn instead of failing, and `increment` reads and writes in one immediate transaction, so no
concurrent update is lost. A label can also name a Redis server (redis-py) instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from spin.runtime.services.sqlite import connect_shared

if TYPE_CHECKING:
    # Imported where a store is used (as in `sqlite`): ~1 MB of every process's heap.
    import sqlite3

DEFAULT_LABEL = "default"
DEFAULT_STORE_FILE = "sqlite_key_value.db"


class KeyValueError(Exception):
    """A failure a guest sees as the interface's error value.

    `kind` is one of "no-such-store", "access-denied", "store-table-full" or "other" (with the
    message), the cases every key-value WIT shares.
    """

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message or kind


class Store(Protocol):
    """One opened store: what the guest's store handle calls."""

    label: str

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def keys(self) -> list[str]: ...
    def increment(self, key: str, delta: int) -> int: ...
    def swap(self, key: str, expected: bytes | None, value: bytes) -> bool: ...
    def get_many(self, keys: Iterable[str]) -> list[tuple[str, bytes | None]]: ...
    def set_many(self, items: Iterable[tuple[str, bytes]]) -> None: ...
    def delete_many(self, keys: Iterable[str]) -> None: ...


def encode_counter(value: int) -> bytes:
    """Spin keeps `increment` counters as 8-byte little-endian i64 values."""
    return value.to_bytes(8, "little", signed=True)


def decode_counter(stored: bytes | None, key: str) -> int:
    if stored is None:
        return 0
    if len(stored) != 8:
        raise KeyValueError("other", f"the value of {key!r} is not an 8-byte counter")
    return int.from_bytes(stored, "little", signed=True)


class SqliteFile:
    """One SQLite key-value file (or memory) shared by the stores that live in it."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def connection(self) -> sqlite3.Connection:
        """Opened on first use, so that an app that never touches key-value creates no file."""
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        import sqlite3

        try:
            connection = connect_shared(self.path)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS spin_key_value ("
                " store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
                " PRIMARY KEY (store, key))"
            )
        except (OSError, sqlite3.Error) as err:
            message = f"cannot open the key-value file {self.path}: {err}"
            raise KeyValueError("other", message) from None
        return connection

    def run(self, statement: str, parameters: tuple = ()) -> list[tuple]:
        import sqlite3

        with self._lock:
            try:
                return self.connection().execute(statement, parameters).fetchall()
            except sqlite3.Error as err:
                raise KeyValueError("other", f"key-value store: {err}") from None

    def transaction(self, body: object) -> object:
        """Run `body(connection)` in one immediate transaction (it holds the write lock from
        its first statement, so a read-modify-write cannot interleave with another writer)."""
        import sqlite3

        with self._lock:
            connection = self.connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    result = body(connection)  # type: ignore[operator]
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                return result
            except sqlite3.Error as err:
                raise KeyValueError("other", f"key-value store: {err}") from None


@dataclass
class SqliteStore:
    label: str
    file: SqliteFile

    def get(self, key: str) -> bytes | None:
        rows = self.file.run(
            "SELECT value FROM spin_key_value WHERE store = ? AND key = ?", (self.label, key)
        )
        return bytes(rows[0][0]) if rows else None

    def set(self, key: str, value: bytes) -> None:
        self.file.run(_UPSERT, (self.label, key, value))

    def delete(self, key: str) -> None:
        self.file.run("DELETE FROM spin_key_value WHERE store = ? AND key = ?", (self.label, key))

    def exists(self, key: str) -> bool:
        return self.get(key) is not None

    def keys(self) -> list[str]:
        rows = self.file.run("SELECT key FROM spin_key_value WHERE store = ?", (self.label,))
        return [row[0] for row in rows]

    def increment(self, key: str, delta: int) -> int:
        def add(connection: sqlite3.Connection) -> int:
            row = connection.execute(
                "SELECT value FROM spin_key_value WHERE store = ? AND key = ?", (self.label, key)
            ).fetchone()
            value = decode_counter(bytes(row[0]) if row else None, key) + delta
            connection.execute(_UPSERT, (self.label, key, encode_counter(value)))
            return value

        return self.file.transaction(add)  # type: ignore[return-value]

    def swap(self, key: str, expected: bytes | None, value: bytes) -> bool:
        """Set `key` to `value` if it still holds `expected` (None: absent); False otherwise."""

        def compare_and_set(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT value FROM spin_key_value WHERE store = ? AND key = ?", (self.label, key)
            ).fetchone()
            if (bytes(row[0]) if row else None) != expected:
                return False
            connection.execute(_UPSERT, (self.label, key, value))
            return True

        return self.file.transaction(compare_and_set)  # type: ignore[return-value]

    def get_many(self, keys: Iterable[str]) -> list[tuple[str, bytes | None]]:
        return [(key, self.get(key)) for key in keys]

    def set_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        rows = [(self.label, key, value) for key, value in items]
        self.file.transaction(lambda connection: connection.executemany(_UPSERT, rows))

    def delete_many(self, keys: Iterable[str]) -> None:
        rows = [(self.label, key) for key in keys]
        self.file.transaction(
            lambda connection: connection.executemany(
                "DELETE FROM spin_key_value WHERE store = ? AND key = ?", rows
            )
        )


_UPSERT = (
    "INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value"
)


@dataclass
class RedisStore:
    """A store kept in a Redis server (runtime config `type = "redis"`), keys as they are."""

    label: str
    url: str

    def __post_init__(self) -> None:
        import redis  # only the executors that configure a Redis store load the client

        self._errors = (redis.RedisError,)
        self._client = redis.Redis.from_url(self.url, socket_timeout=10, socket_connect_timeout=5)

    def _call(self, method: str, *args: object) -> object:
        try:
            return getattr(self._client, method)(*args)
        except self._errors as err:
            raise KeyValueError("other", f"key-value store {self.label!r}: {err}") from None

    def get(self, key: str) -> bytes | None:
        value = self._call("get", key)
        return None if value is None else bytes(value)  # type: ignore[arg-type]

    def set(self, key: str, value: bytes) -> None:
        self._call("set", key, value)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def exists(self, key: str) -> bool:
        return bool(self._call("exists", key))

    def keys(self) -> list[str]:
        return [k.decode() for k in self._call("keys", "*")]  # type: ignore[union-attr]

    def increment(self, key: str, delta: int) -> int:
        return int(self._call("incrby", key, delta))  # type: ignore[arg-type]

    def swap(self, key: str, expected: bytes | None, value: bytes) -> bool:
        """WATCH the key, compare, and set in a MULTI: Redis drops the MULTI (and this returns
        False) when another client changed the key in between."""
        import redis

        try:
            with self._client.pipeline() as pipe:
                pipe.watch(key)
                current = pipe.get(key)
                if (None if current is None else bytes(current)) != expected:
                    return False
                pipe.multi()
                pipe.set(key, value)
                pipe.execute()
                return True
        except redis.WatchError:
            return False
        except self._errors as err:
            raise KeyValueError("other", f"key-value store {self.label!r}: {err}") from None

    def get_many(self, keys: Iterable[str]) -> list[tuple[str, bytes | None]]:
        names = list(keys)
        values = self._call("mget", names) if names else []
        return list(zip(names, values, strict=True))  # type: ignore[arg-type]

    def set_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        mapping = dict(items)
        if mapping:
            self._call("mset", mapping)

    def delete_many(self, keys: Iterable[str]) -> None:
        names = list(keys)
        if names:
            self._call("delete", *names)


@dataclass(frozen=True)
class StoreDefinition:
    """Where a label's data lives: a SQLite file (None: in memory) or a Redis URL."""

    kind: str  # "spin" or "redis"
    path: Path | None = None
    url: str | None = None


class KeyValueStores:
    """The stores of one process, opened by label with the component's permission checked."""

    def __init__(self, definitions: Mapping[str, StoreDefinition]) -> None:
        self._definitions = dict(definitions)
        self._files: dict[Path | None, SqliteFile] = {}
        self._redis: dict[str, RedisStore] = {}

    @classmethod
    def for_state_dir(
        cls, state_dir: Path | None, configured: Mapping[str, StoreDefinition] | None = None
    ) -> KeyValueStores:
        """Spin's defaults: `default` in `<state dir>/sqlite_key_value.db` (in memory without a
        state directory), unless the runtime config defines `default` itself."""
        default_path = state_dir / DEFAULT_STORE_FILE if state_dir is not None else None
        definitions = {DEFAULT_LABEL: StoreDefinition("spin", default_path)}
        definitions.update(configured or {})
        return cls(definitions)

    def open(self, label: str, allowed: Iterable[str]) -> Store:
        """The store `label` for a component allowed `allowed` (its `key_value_stores`)."""
        if label not in allowed:
            raise KeyValueError(
                "access-denied", f"the component may not open {label!r} (key_value_stores)"
            )
        definition = self._definitions.get(label)
        if definition is None:
            raise KeyValueError("no-such-store", f"no key-value store is labelled {label!r}")
        if definition.kind == "redis":
            assert definition.url is not None
            if label not in self._redis:
                self._redis[label] = RedisStore(label, definition.url)
            return self._redis[label]
        file = self._files.get(definition.path)
        if file is None:
            file = self._files[definition.path] = SqliteFile(definition.path)
        return SqliteStore(label, file)
