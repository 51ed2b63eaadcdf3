"""Spin's host interfaces for a record-based component whose WASI is wasmtime's own.

`add_wasip2` provides WASI 0.2 (io, clocks, random, cli, filesystem with the mounted files,
sockets); every other import (Spin's interfaces: key-value, SQLite, variables, Redis, and the
ones not offered answering their error values) comes from the Python registry, linked under the
exact names the component imports. Those interfaces mention no wasi:io type, so they can sit
beside wasmtime's WASI (a component that imports wasi:http cannot: see `guest`).
"""

from __future__ import annotations

import wasmtime
import wasmtime.component as wc

from spin.runtime.wasi.p2.registry import Registry, link

#: The interfaces wasmtime's `add_wasip2` provides.
WASMTIME_WASI = (
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:cli/",
    "wasi:filesystem/",
    "wasi:sockets/",
)


def link_spin_imports(
    linker: wc.Linker, component: wc.Component, engine: wasmtime.Engine, registry: Registry
) -> None:
    """Define every import of `component` that wasmtime's WASI does not."""
    link(linker, component, engine, registry, skip=_wasmtime_provides)


def _wasmtime_provides(name: str) -> bool:
    return name.startswith(WASMTIME_WASI)
