"""Benchmark of component-model calls through wasmtime-py: the binding's own conversions against
spin.runtime.component.binding's cached ones, measured in the same run.

Rows (calls.wat): a host function taking and returning a small record (called from a guest
loop, so the export call around it is spread over `--loop` host calls); an export taking and
returning the same record; `list<u8>` of `--size` bytes (100 KB by default) into and out of an
export, and to and from a host function. Each call gets a fresh `Func` (as a request does).

Printed: CPU microseconds per call (this process's CPU time, which other load on the machine
disturbs less than wall time), median over `--repeat` timings, for stock and cached, and the
ratio stock / cached.

Then a whole request: the WAT wasi:http hello (tests/wat/wasi_http_hello.wat) served in this
process by the runtime's wasi-http guest (new store, instantiate, `handle`, the Python WASI
host's calls), CPU milliseconds per request, median of `--requests`, stock and cached.

Run with `make bench-calls` (options: --size BYTES --loop N --repeat N --requests N).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import wasmtime
import wasmtime.component as wc

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.runtime import Runtime, RuntimeConfig  # noqa: E402
from spin.runtime.component import binding  # noqa: E402
from spin.runtime.http.exchange import BufferedExchange, RequestHead  # noqa: E402
from tests.support import logs_for, wat_component  # noqa: E402

WAT = Path(__file__).with_name("calls.wat")


def point(x: int, label: str) -> wc.Record:
    value = wc.Record()
    value.x, value.label = x, label
    return value


class Calls:
    """calls.wat instantiated with host functions added under one mode (stock or cached)."""

    def __init__(self, engine: wasmtime.Engine, component: wc.Component, stock: bool) -> None:
        self.stock = stock
        self.component = component
        self.store = wasmtime.Store(engine)
        self.payload = b""
        with self.mode():
            linker = wc.Linker(engine)
            with linker.root() as root, root.add_instance("bench:calls/host") as host:
                host.add_func("point-fn", lambda store, p: point(p.x + 1, p.label))
                host.add_func("take", lambda store, data: None)
                host.add_func("give", lambda store, size: self.payload[:size])
            self.instance = linker.instantiate(self.store, component)
        self.interface = component.get_export_index("bench:calls/guest")

    def mode(self) -> Any:
        return binding.stock_binding() if self.stock else nullcontext()

    def cpu_per_call(self, export: str, args: tuple[Any, ...], calls: int, repeat: int) -> float:
        """Median CPU microseconds per call (`calls` host calls per export call if looping)."""
        index = self.component.get_export_index(export, self.interface)
        timings = []
        with self.mode():
            for _ in range(repeat):
                func = self.instance.get_func(self.store, index)
                assert func is not None
                start = time.process_time()
                func(self.store, *args)
                timings.append((time.process_time() - start) / calls * 1e6)
        return statistics.median(timings)


def rows(size: int, loop: int) -> list[tuple[str, str, tuple[Any, ...], int, int]]:
    """(label, export, arguments, host calls per export call, repeat weight)."""
    record = point(7, "a small record")
    kb = f"{size // 1000} KB" if size >= 1000 else f"{size} B"
    return [
        ("host function: record in, record out", "call-point", (loop, record), loop, 1),
        ("export: record in, record out", "echo-point", (record,), 1, 20),
        (f"export: list<u8> {kb} in", "receive", (bytes(size),), 1, 1),
        (f"export: list<u8> {kb} out", "send", (size,), 1, 1),
        (f"host function: list<u8> {kb} in", "pass-to-host", (size,), 1, 1),
        (f"host function: list<u8> {kb} out", "fetch-from-host", (size,), 1, 1),
    ]


def hello_request_cpu(stock: bool, requests: int) -> float:
    """Median CPU ms of one wasi:http hello request, the guest linked and called in one mode."""
    head = RequestHead("GET", "/hello", "http", "localhost:3000", [("accept", b"*/*")])
    workdir = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    with binding.stock_binding() if stock else nullcontext():
        runtime = Runtime(RuntimeConfig(instance_timeout=5.0))
        try:
            component = wat_component("wasi_http_hello", workdir)
            guest = runtime.load(component, logs_for(workdir, component.id))
            timings = []
            for index in range(requests + 10):  # the first 10 warm up
                exchange = BufferedExchange()
                start = time.process_time()
                guest.serve_http(head, exchange)
                if index >= 10:
                    timings.append((time.process_time() - start) * 1e3)
                assert exchange.status == 200, exchange.status
        finally:
            runtime.close()
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="list<u8> bytes")
    parser.add_argument("--loop", type=int, default=200, help="host calls per guest loop")
    parser.add_argument("--repeat", type=int, default=7, help="timings per row and mode")
    parser.add_argument("--requests", type=int, default=300, help="wasi:http hello requests")
    options = parser.parse_args()
    engine = wasmtime.Engine()
    component = wc.Component(engine, wasmtime.wat2wasm(WAT.read_text()))
    stock = Calls(engine, component, stock=True)
    cached = Calls(engine, component, stock=False)
    for calls in (stock, cached):
        calls.payload = bytes(range(256)) * (options.size // 256 + 1)
    print(f"component calls on wasmtime-py {binding.PINNED}, the binding's conversions (stock)")
    print("against spin.runtime.component.binding's (cached): CPU us per call, median of")
    print(f"{options.repeat} timings ({options.repeat * 20} for the record export)\n")
    print(f"{'call':40} {'stock':>12} {'cached':>12} {'ratio':>8}")
    for label, export, args, calls_per, weight in rows(options.size, options.loop):
        before, after = (
            calls.cpu_per_call(export, args, calls_per, options.repeat * weight)
            for calls in (stock, cached)
        )
        print(f"{label:40} {before:12.1f} {after:12.1f} {before / after:7.1f}x")
    before, after = (hello_request_cpu(stock, options.requests) for stock in (True, False))
    print(f"\nwasi:http hello (WAT), one request in process: CPU ms, median of {options.requests}")
    print(f"{'request':40} {'stock':>12} {'cached':>12} {'ratio':>8}")
    print(f"{'GET /hello':40} {before:12.3f} {after:12.3f} {before / after:7.2f}x")


if __name__ == "__main__":
    main()
