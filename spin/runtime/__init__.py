"""The one Wasm runtime every executor uses (wasmtime): load a component, call its handlers.

    runtime = Runtime(RuntimeConfig.from_context(context))
    guest = runtime.load(component, context.component_logs(component.id), app.variables)
    response = guest.handle_http(HttpRequest(...))   # on a worker thread

Importing this package imports wasmtime: the supervisor (`spin up`) never does.
"""

from spin.runtime.config import RUNTIME_OPTIONS, RuntimeConfig
from spin.runtime.errors import GuestError
from spin.runtime.guest import Guest
from spin.runtime.http_types import SPIN_METHODS, HttpRequest, HttpResponse
from spin.runtime.runtime import Runtime

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
