"""The one Wasm runtime every executor uses (wasmtime): load a component, call its handlers.

Executors call guests through a pool of worker processes, each holding a `Runtime` (executors
open theirs with `TriggerContext.open_guest_pool`, which fills these in from their options):

    loads = [GuestLoad(component, logs) for component, logs in ...]
    async with open_pool(RuntimeConfig(...), loads, app.variables, workers=4) as pool:
        response = await pool.guests["hello"].handle_http(HttpRequest(...))

The names below are imported on first use, so that an executor can declare its options
(`RUNTIME_OPTIONS`) for `--help` and `--launch-metadata-only` without loading wasmtime. The
supervisor (`spin up`) never imports this package's runtime at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spin.runtime.config import RUNTIME_OPTIONS, RuntimeConfig, RuntimeOptions
    from spin.runtime.errors import GuestError
    from spin.runtime.guest import Guest
    from spin.runtime.http_types import SPIN_METHODS, HttpRequest, HttpResponse
    from spin.runtime.pool.pool import GuestLoad, PooledGuest, WorkerPool, open_pool
    from spin.runtime.runtime import Runtime

_EXPORTS = {
    "RUNTIME_OPTIONS": "spin.runtime.config",
    "RuntimeConfig": "spin.runtime.config",
    "RuntimeOptions": "spin.runtime.config",
    "GuestError": "spin.runtime.errors",
    "Guest": "spin.runtime.guest",
    "SPIN_METHODS": "spin.runtime.http_types",
    "HttpRequest": "spin.runtime.http_types",
    "HttpResponse": "spin.runtime.http_types",
    "Runtime": "spin.runtime.runtime",
    "GuestLoad": "spin.runtime.pool.pool",
    "PooledGuest": "spin.runtime.pool.pool",
    "WorkerPool": "spin.runtime.pool.pool",
    "open_pool": "spin.runtime.pool.pool",
}

__all__ = [
    "RUNTIME_OPTIONS",
    "SPIN_METHODS",
    "Guest",
    "GuestError",
    "GuestLoad",
    "HttpRequest",
    "HttpResponse",
    "PooledGuest",
    "Runtime",
    "RuntimeConfig",
    "RuntimeOptions",
    "WorkerPool",
    "open_pool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spin.runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
