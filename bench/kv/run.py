"""Benchmark of key-value from a guest against direct sqlite3, in the same run.

The guest is the spin-sdk 3.4.1 app tests/guests/sdk_python/kv_bench (built and compiled once,
cached as the tests cache them), served in this process by the runtime (new store,
instantiate, `handle`) on a default store in a temporary state directory, Spin's
`sqlite_key_value.db`. Each request does `n` operations: `get` / `set` (fermyon:spin/key-value,
100-byte values over 100 keys), `incr` (wasi:keyvalue/atomics.increment) or `none` (the same
loop, no store).

Rows:
- one operation per request: the request's time, and its cost over a request doing nothing;
- `--loop` operations in one request: the time per operation once the request's own cost and
  the guest's empty loop are taken off ((T(op, n) - T(none, n)) / n);
- the same operations through the service the host functions call (`SqliteStore`, no guest);
- direct sqlite3 on a file with the same table, WAL and pragmas (`get`: SELECT, `set`: an
  upsert, `incr`: BEGIN IMMEDIATE, SELECT, upsert, COMMIT), the baseline of the ratio column.

Times are wall-clock medians of `--repeat` measurements on this machine as it is (2 shared
cores): compare the rows of one run rather than runs. Run with `make bench-kv` (options:
--loop N --repeat N --requests N).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.runtime import Guest, HttpRequest, Runtime, RuntimeConfig  # noqa: E402
from spin.runtime.services.key_value import KeyValueStores, encode_counter  # noqa: E402
from spin.runtime.services.sqlite import connect_shared  # noqa: E402
from tests.guests.build import GuestBuildError, build_sdk_guest, cache_root  # noqa: E402
from tests.support import locked_component, logs_for  # noqa: E402

OPS = ("get", "set", "incr")
KEYS = 100
VALUE = b"x" * 100
UPSERT = (
    "INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value"
)
SELECT = "SELECT value FROM spin_key_value WHERE store = ? AND key = ?"


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def request(guest: Guest, op: str, n: int) -> Callable[[], object]:
    http_request = HttpRequest("GET", f"/?op={op}&n={n}", [("host", "bench")], [], b"")

    def call() -> None:
        response = guest.handle_http(http_request)
        if response.status != 200:
            raise SystemExit(f"the guest answered {response.status}: {response.body!r}")

    return call


def direct_sqlite(path: Path) -> dict[str, Callable[[int], object]]:
    """sqlite3 alone, as the store uses it (same table, WAL, busy timeout, autocommit)."""
    db = connect_shared(path)
    db.execute(
        "CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL,"
        " value BLOB NOT NULL, PRIMARY KEY (store, key))"
    )
    # The same keys as the guest's store, so that gets find their value there too.
    db.executemany(UPSERT, [("default", f"bench-{i}", VALUE) for i in range(KEYS)])

    def incr(i: int) -> None:
        db.execute("BEGIN IMMEDIATE")
        row = db.execute(SELECT, ("default", "counter")).fetchone()
        value = int.from_bytes(row[0], "little", signed=True) + 1 if row else 1
        db.execute(UPSERT, ("default", "counter", encode_counter(value)))
        db.execute("COMMIT")

    return {
        "get": lambda i: db.execute(SELECT, ("default", f"bench-{i % KEYS}")).fetchone(),
        "set": lambda i: db.execute(UPSERT, ("default", f"bench-{i % KEYS}", VALUE)),
        "incr": incr,
    }


def service(state: Path) -> dict[str, Callable[[int], object]]:
    store = KeyValueStores.for_state_dir(state).open("default", ["default"])
    return {
        "get": lambda i: store.get(f"bench-{i % KEYS}"),
        "set": lambda i: store.set(f"bench-{i % KEYS}", VALUE),
        "incr": lambda i: store.increment("bench-counter", 1),
    }


def per_op(functions: dict[str, Callable[[int], object]], loop: int, repeat: int) -> dict:
    return {
        op: median_seconds(lambda f=f: [f(i) for i in range(loop)], repeat) / loop
        for op, f in functions.items()
    }


def row(name: str, seconds: float, baseline: float | None, extra: str = "") -> str:
    ratio = f"{seconds / baseline:8.1f}x" if baseline else " " * 9
    return f"{name:<44} {seconds * 1e6:12.1f} {1 / seconds:12,.0f} {ratio}  {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loop", type=int, default=2000, help="operations in one request")
    parser.add_argument("--repeat", type=int, default=7, help="measurements per row")
    parser.add_argument("--requests", type=int, default=30, help="requests per measurement")
    args = parser.parse_args()
    try:
        wasm = build_sdk_guest("kv_bench")
    except GuestBuildError as err:
        raise SystemExit(f"cannot build the benchmark guest: {err}") from None

    with tempfile.TemporaryDirectory(prefix="bench-kv-") as workdir:
        work = Path(workdir)
        state = work / "state"
        runtime = Runtime(
            RuntimeConfig(
                instance_timeout=600, cache_dir=cache_root() / "compiled", state_dir=state
            )
        )
        component = locked_component(wasm, "kv-bench", key_value_stores=["default"])
        guest = runtime.load(component, logs_for(work, component.id))
        request(guest, "set", KEYS)()  # every key exists: gets find a value
        for _ in range(3):  # warm: first instantiations, first host calls
            request(guest, "none", 1)()

        def per_request(op: str, n: int) -> float:
            call = request(guest, op, n)
            return median_seconds(lambda: [call() for _ in range(args.requests)], args.repeat)

        nothing = per_request("none", 0) / args.requests
        single = {op: per_request(op, 1) / args.requests for op in OPS}
        empty_loop = per_request("none", args.loop) / args.requests
        looped = {
            op: (per_request(op, args.loop) / args.requests - empty_loop) / args.loop for op in OPS
        }
        through_service = per_op(service(state), args.loop, args.repeat)
        baseline = per_op(direct_sqlite(work / "direct.db"), args.loop, args.repeat)
        runtime.close()

    print(
        f"key-value from a spin-sdk 3.4.1 guest vs direct sqlite3 (loop {args.loop}, "
        f"median of {args.repeat} x {args.requests} requests)"
    )
    print(f"{'':<44} {'us per op':>12} {'ops/s':>12} {'x sqlite3':>9}")
    print(row("request doing nothing", nothing, None))
    for op in OPS:
        over = f"+{(single[op] - nothing) * 1e3:.2f} ms over nothing"
        print(row(f"request with 1 {op} (opens the store)", single[op], baseline[op], over))
    for op in OPS:
        print(row(f"{op} in a guest loop (per op)", looped[op], baseline[op]))
    for op in OPS:
        print(row(f"{op} through SqliteStore (no guest)", through_service[op], baseline[op]))
    for op in OPS:
        print(row(f"{op} direct sqlite3 (baseline)", baseline[op], baseline[op]))


if __name__ == "__main__":
    main()
