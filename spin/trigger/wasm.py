"""The Wasm runtime, for executors built on the shared trigger library (internal or external).

    from spin.trigger.wasm import Runtime, RuntimeConfig, RUNTIME_OPTIONS, GuestError

Importing this module imports wasmtime; `spin.trigger` itself does not.
"""

from spin.runtime import (
    RUNTIME_OPTIONS,
    SPIN_METHODS,
    Guest,
    GuestError,
    HttpRequest,
    HttpResponse,
    Runtime,
    RuntimeConfig,
)

__all__ = [
    "RUNTIME_OPTIONS",
    "SPIN_METHODS",
    "Guest",
    "GuestError",
    "HttpRequest",
    "HttpResponse",
    "Runtime",
    "RuntimeConfig",
]
