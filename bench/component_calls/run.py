"""Benchmark of component-model calls through wasmtime-py: the binding's own conversions against
spin.runtime.component.binding's cached ones, measured in the same run.

Rows (calls.wat): a host function taking and returning a small record (called from a guest
loop, so the export call around it is spread over `--loop` host calls); an export taking and
returning the same record; `list<u8>` of `--size` bytes (100 KB by default) into and out of an
export, and to and from a host function. Each call gets a fresh `Func` (as a request does).

Printed: CPU microseconds per call (this process's CPU time, which other load on the machine
disturbs less than wall time), median over `--repeat` timings, for stock and cached, and the
ratio stock / cached.

Then whole wasi:http requests served in this process by the runtime's wasi-http guest (new
store, instantiate, `handle`, the Python WASI host's calls), CPU milliseconds per request,
stock and cached: the WAT hello (tests/wat/wasi_http_hello.wat, median of `--requests`) and,
when spin-sdk's toolchain is installed, the spin-sdk 3.4.1 hello (GET) and echo (POST of
`--size` bytes) apps of tests/guests (built and compiled once, cached as the tests cache them).

Run with `make bench-calls` (options: --size BYTES --loop N --repeat N --requests N).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime
import wasmtime.component as wc

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.runtime import Runtime, RuntimeConfig  # noqa: E402
from spin.runtime.component import binding  # noqa: E402
from spin.runtime.http.exchange import BufferedExchange, RequestHead  # noqa: E402
from tests.guests.build import (  # noqa: E402
    GuestBuildError,
    build_sdk_guest,
    cache_root,
    find_toolchain,
)
from tests.support import locked_component, logs_for, wat_component  # noqa: E402

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


@dataclass(frozen=True)
class Request:
    """One wasi:http request row: which guest, what it is sent, how many times."""

    label: str
    component: Callable[[Path], Any]  # workdir -> LockedComponent
    method: str
    body: bytes
    count: int


def request_cpu(request: Request, stock: bool) -> float:
    """Median CPU ms of one request, the guest linked and called in one mode (first 3 warm up)."""
    headers = [("content-length", str(len(request.body)).encode())] if request.body else []
    head = RequestHead(request.method, "/hello", "http", "localhost:3000", headers)
    workdir = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    with binding.stock_binding() if stock else nullcontext():
        runtime = Runtime(RuntimeConfig(instance_timeout=60.0, cache_dir=cache_root() / "compiled"))
        try:
            component = request.component(workdir)
            guest = runtime.load(component, logs_for(workdir, component.id))
            timings = []
            for index in range(request.count + 3):
                exchange = BufferedExchange(request.body)
                start = time.process_time()
                guest.serve_http(head, exchange)
                if index >= 3:
                    timings.append((time.process_time() - start) * 1e3)
                assert exchange.status == 200, exchange.status
                assert not request.body or exchange.body == request.body
        finally:
            runtime.close()
    return statistics.median(timings)


def sdk_app(app: str) -> Callable[[Path], Any]:
    return lambda workdir: locked_component(build_sdk_guest(app), app)


def requests(count: int, size: int) -> list[Request]:
    """The WAT hello always; the spin-sdk 3.4.1 apps when their toolchain is installed."""
    wat = Request("WAT hello GET", lambda d: wat_component("wasi_http_hello", d), "GET", b"", count)
    try:
        find_toolchain()
    except GuestBuildError as missing:
        print(f"(no spin-sdk rows: {missing})")
        return [wat]
    body = (bytes(range(256)) * (size // 256 + 1))[:size]
    # A spin-sdk request costs ~5-25 ms of CPU, 10-100x the WAT hello: fewer of them.
    return [
        wat,
        Request("spin-sdk hello GET", sdk_app("hello"), "GET", b"", max(5, count // 10)),
        Request(
            f"spin-sdk echo POST {size // 1000} KB",
            sdk_app("echo"),
            "POST",
            body,
            max(5, count // 30),
        ),
    ]


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
    print("\nwasi:http requests served in process (new store, instantiate, handle): CPU ms,")
    print(f"median of {options.requests} (WAT), fewer for the SDK apps (shown)")
    print(f"{'request':40} {'stock':>12} {'cached':>12} {'ratio':>8}")
    for request in requests(options.requests, options.size):
        before, after = (request_cpu(request, stock) for stock in (True, False))
        label = f"{request.label} (x{request.count})"
        print(f"{label:40} {before:12.2f} {after:12.2f} {before / after:7.2f}x")


if __name__ == "__main__":
    main()
