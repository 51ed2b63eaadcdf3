"""The Wasm runtime, for executors built on the shared trigger library (internal or external).

    from spin.trigger.wasm import RUNTIME_OPTIONS, GuestError, GuestLoad, RuntimeConfig, open_pool

The same names as `spin.runtime`, imported on first use: declaring `RUNTIME_OPTIONS` does not
load wasmtime, starting a pool (`open_pool`) or a `Runtime` does. `spin.trigger` itself never does.
"""

from spin.runtime import __all__ as __all__
from spin.runtime import __getattr__ as __getattr__
