"""SQLite databases for guests, as Spin provides them (`sqlite_databases`).

A database is opened by label and only if the component lists it. The default database is
`.spin/sqlite_db.db` in the app's state directory, as in Spin; the runtime config file can
label other files. Statements run with positional parameters; values keep their type both ways
(integer, real, text, blob, null), which Python's sqlite3 does when given int, float, str,
bytes and None. Several processes share a file: WAL mode and a busy timeout, as for key-value.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # sqlite3 (with its library) is ~1 MB of a process's heap: every executor and guest
    # worker imports this module, few guests open a database, so the functions that run a
    # statement import it.
    import sqlite3

#: How long a writer waits for another process's transaction before failing (ms).
BUSY_TIMEOUT_MS = 10_000
DEFAULT_LABEL = "default"
DEFAULT_DATABASE_FILE = "sqlite_db.db"

#: A value as guests exchange it: integer, real, text, blob or null.
Value = int | float | str | bytes | None


class SqliteError(Exception):
    """A failure a guest sees as the interface's error value: `kind` is "no-such-database",
    "access-denied", "invalid-connection", "database-full" or "io" (with the message)."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message or kind


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Value]]
    #: sqlite3's rowid of the last INSERT and the rows the statement changed (0 for a query).
    last_insert_rowid: int = 0
    changes: int = 0


class Database:
    """One opened database file (or memory), shared by the calls of one process."""

    def __init__(self, label: str, path: Path | None) -> None:
        self.label = label
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def execute(self, statement: str, parameters: Sequence[Value] = ()) -> QueryResult:
        import sqlite3

        with self._lock:
            try:
                cursor = self._open().execute(statement, tuple(_check(p) for p in parameters))
                rows = [list(row) for row in cursor.fetchall()]
            except sqlite3.DatabaseError as err:
                raise SqliteError(_kind(err), f"{err}") from None
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return QueryResult(columns, rows, cursor.lastrowid or 0, max(cursor.rowcount, 0))

    def execute_script(self, script: str) -> None:
        """Statements separated by `;` (the executors' `--sqlite` option and `@file.sql`)."""
        import sqlite3

        with self._lock:
            try:
                self._open().executescript(script)
            except sqlite3.DatabaseError as err:
                raise SqliteError(_kind(err), f"{err}") from None

    def _open(self) -> sqlite3.Connection:
        import sqlite3

        if self._connection is None:
            try:
                self._connection = connect_shared(self.path)
            except (OSError, sqlite3.Error) as err:
                raise SqliteError("io", f"cannot open the database {self.path}: {err}") from None
        return self._connection


def connect_shared(path: Path | None) -> sqlite3.Connection:
    """A connection to a file that several processes use at once (None: a private in-memory
    database): WAL lets readers run beside one writer, the busy timeout makes a writer wait
    its turn, and autocommit leaves transactions to explicit BEGINs."""
    import sqlite3

    if path is None:
        return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
    # loses nothing, a power cut may lose the last commits (SQLite's documentation).
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def _check(value: Value) -> Value:
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    raise SqliteError("io", f"a parameter of type {type(value).__name__} is not a SQLite value")


def _kind(err: sqlite3.DatabaseError) -> str:
    return "database-full" if "full" in str(err).lower() else "io"


class Databases:
    """The databases of one process, opened by label with the component's permission checked."""

    def __init__(self, paths: Mapping[str, Path | None]) -> None:
        self._paths = dict(paths)
        self._open: dict[str, Database] = {}

    @classmethod
    def for_state_dir(
        cls, state_dir: Path | None, configured: Mapping[str, Path | None] | None = None
    ) -> Databases:
        default = state_dir / DEFAULT_DATABASE_FILE if state_dir is not None else None
        return cls({DEFAULT_LABEL: default, **(configured or {})})

    def open(self, label: str, allowed: Iterable[str]) -> Database:
        if label not in allowed:
            raise SqliteError(
                "access-denied", f"the component may not open {label!r} (sqlite_databases)"
            )
        if label not in self._paths:
            raise SqliteError("no-such-database", f"no SQLite database is labelled {label!r}")
        if label not in self._open:
            self._open[label] = Database(label, self._paths[label])
        return self._open[label]
