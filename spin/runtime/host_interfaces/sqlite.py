"""SQLite for components: `fermyon:spin/sqlite@2.0.0` and `spin:sqlite/sqlite@3.0.0` on the
app's databases (`services.sqlite`, opened with the component's `sqlite_databases`).

Values keep their type both ways: the guest's `value` variant arrives as `Variant(case,
payload)` and goes back the same way (integer, real, text, blob, null). 3.0.0's
`last-insert-rowid` and `changes` answer for the connection's last statement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from spin.runtime.host_interfaces import spin_host, unavailable
from spin.runtime.services.sqlite import Database, QueryResult, SqliteError, Value
from spin.runtime.wasi.p2.host import Err, Resource, WasiCall
from spin.runtime.wasi.p2.registry import Interface

fermyon = Interface("fermyon:spin/sqlite", error=unavailable("io"))
spin3 = Interface("spin:sqlite/sqlite", error=unavailable("io"))

#: Error cases without a payload; anything else is `io(message)`.
CASES = ("no-such-database", "access-denied", "invalid-connection", "database-full")
VALUE_CASES = ((bool, "integer"), (int, "integer"), (float, "real"), (str, "text"))


class Connection(Resource):
    def __init__(self, database: Database) -> None:
        self.database = database
        self.last_insert_rowid = 0
        self.changes = 0


def errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except SqliteError as err:
            kind = err.kind
            raise Err(Variant(kind) if kind in CASES else Variant("io", err.message)) from None

    return call


@errors
def open_connection(call: WasiCall, label: str) -> Connection:
    host = spin_host(call)
    try:
        return Connection(host.services.sqlite.open(label, host.sqlite_databases))
    except SqliteError as err:
        if err.kind == "access-denied":
            host.log_denied("SQLite database", label, "sqlite_databases")
        raise


@errors
def execute(
    call: WasiCall, connection: Connection, statement: str, parameters: list[Variant]
) -> dict[str, Any]:
    result = connection.database.execute(statement, [p.payload for p in parameters])
    if result.last_insert_rowid:
        connection.last_insert_rowid = result.last_insert_rowid
    connection.changes = result.changes
    return query_result(result)


def query_result(result: QueryResult) -> dict[str, Any]:
    return {
        "columns": result.columns,
        "rows": [{"values": [value_of(v) for v in row]} for row in result.rows],
    }


def value_of(value: Value) -> Variant:
    if value is None:
        return Variant("null")
    if isinstance(value, bytes):
        return Variant("blob", value)
    for kind, case in VALUE_CASES:
        if isinstance(value, kind):
            return Variant(case, value)
    return Variant("text", str(value))


for _interface in (fermyon, spin3):
    _interface.func("[static]connection.open")(open_connection)
    _interface.func("[method]connection.execute")(execute)

spin3.func("[method]connection.last-insert-rowid")(lambda call, c: c.last_insert_rowid)
spin3.func("[method]connection.changes")(lambda call, c: c.changes)

INTERFACES = (fermyon, spin3)
