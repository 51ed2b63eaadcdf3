"""Host definitions for a component's non-WASI imports (Spin's own interfaces).

WASI preview 2 comes from wasmtime (`add_wasip2`). Spin's interfaces (`fermyon:spin/...`,
`spin:...`) are not provided by this runtime yet: each imported function is defined as a trap
whose message names it, and each imported resource as an opaque host resource, so that the
component instantiates and only a call into one of them fails.

(wasmtime's own "define unknown imports as traps" is not usable here: it does not see through
WASI's semantic-version matching and would shadow the real WASI with traps.)
"""

from __future__ import annotations

from typing import Any

import wasmtime
import wasmtime.component as wc

from spin.runtime.errors import UNAVAILABLE, HostTrap, host_failures

WASI_PREFIX = "wasi:"


def define_spin_imports(
    linker: wc.Linker, component: wc.Component, engine: wasmtime.Engine
) -> None:
    imports = component.type.imports(engine)
    with linker.root() as root:
        for name, item in imports.items():
            if name.startswith(WASI_PREFIX):
                continue
            if isinstance(item.ty, wc.ComponentInstanceType):
                with root.add_instance(name) as instance:
                    for export, inner in item.ty.exports(engine).items():
                        _define(instance, f"{name}#{export}", export, inner.ty)
            else:
                _define(root, name, name, item.ty)


def _define(instance: wc.LinkerInstance, full_name: str, name: str, ty: Any) -> None:
    if isinstance(ty, wc.FuncType):
        instance.add_func(name, _trap(full_name))
    elif isinstance(ty, wc.ResourceType):
        instance.add_resource(name, wc.ResourceType.host(0), lambda store, rep: None)


def _trap(name: str) -> Any:
    def not_provided(store: wasmtime.StoreContext, *args: Any) -> None:
        reason = f"the host function {name} is {UNAVAILABLE}"
        host_failures.reason = reason
        raise HostTrap(reason)

    return not_provided
