"""Host interfaces by name, and linking them under the exact names a component imports.

An `Interface` is a WIT interface's host side: its functions by WIT name (`now`,
`[method]output-stream.write`, `[static]outgoing-body.finish`, ...) and, optionally, the
error value its functions return when they are not implemented. A `Registry` maps unversioned
interface names (`wasi:io/streams`) to them, so that one implementation serves every 0.2.x a
guest names: `link` defines each imported instance under the imported name (`...@0.2.0`,
`...@0.2.12`), every resource in it, and every function: ours where there is one; else one that
returns the interface's error (when the function returns a `result` and the interface has an
error value), else one that traps and names the function. So a component instantiates whatever
it imports, and only a call into something missing fails.

Spin's own host interfaces plug in the same way: `registry.add(Interface("fermyon:spin/..."))`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import wasmtime
import wasmtime.component as wc

from spin.runtime.component.binding import add_func
from spin.runtime.wasi.p2.host import Err, Trap, WasiCall, current, current_or_none
from spin.runtime.wasi.p2.shapes import ResourceIds, Shaper, in_shaper, out_shaper

log = logging.getLogger("spin.runtime.wasi")

HostFunc = Callable[..., Any]

#: Marks an interface without an error value (missing functions trap).
NO_ERROR = object()


class Interface:
    """One WIT interface's host functions."""

    def __init__(self, name: str, *, error: Any = NO_ERROR) -> None:
        self.name = name
        self.error = error
        self.functions: dict[str, HostFunc] = {}

    def func(self, wit_name: str) -> Callable[[HostFunc], HostFunc]:
        """Decorator: `fn(call, *args)` implements the function `wit_name`."""

        def register(fn: HostFunc) -> HostFunc:
            self.functions[wit_name] = fn
            return fn

        return register


class Registry:
    """Interfaces by unversioned name."""

    def __init__(self, interfaces: Iterable[Interface] = ()) -> None:
        self.interfaces: dict[str, Interface] = {}
        for interface in interfaces:
            self.add(interface)

    def add(self, interface: Interface) -> None:
        self.interfaces[interface.name] = interface

    def get(self, imported_name: str) -> Interface | None:
        return self.interfaces.get(unversioned(imported_name))

    def missing(self, component: wc.Component, engine: wasmtime.Engine) -> list[str]:
        """The functions a component imports that have no implementation here."""
        found = []
        for name, item in component.type.imports(engine).items():
            interface = self.get(name)
            if not isinstance(item.ty, wc.ComponentInstanceType):
                found.append(name)
                continue
            for export, inner in item.ty.exports(engine).items():
                if isinstance(inner.ty, wc.FuncType) and (
                    interface is None or export not in interface.functions
                ):
                    found.append(f"{name}#{export}")
        return found


def unversioned(name: str) -> str:
    return name.split("@", 1)[0]


def link(
    linker: wc.Linker,
    component: wc.Component,
    engine: wasmtime.Engine,
    registry: Registry,
    skip: Callable[[str], bool] | None = None,
) -> ResourceIds:
    """Define everything `component` imports but the names `skip` leaves to another provider
    (wasmtime's own WASI); returns the component's resource ids (to make handles)."""
    ids = ResourceIds()
    imports = component.type.imports(engine)
    with linker.root() as root:
        for name, item in imports.items():
            if skip is not None and skip(name):
                continue
            if isinstance(item.ty, wc.ComponentInstanceType):
                with root.add_instance(name) as instance:
                    _define_instance(instance, name, item.ty, engine, registry.get(name), ids)
            elif isinstance(item.ty, wc.FuncType):
                root.add_func(name, _trapping(name))
            elif isinstance(item.ty, wc.ResourceType):
                root.add_resource(name, wc.ResourceType.host(ids.resolve(item.ty)), _drop)
    return ids


def _define_instance(
    instance: wc.LinkerInstance,
    name: str,
    ty: wc.ComponentInstanceType,
    engine: wasmtime.Engine,
    interface: Interface | None,
    ids: ResourceIds,
) -> None:
    exports = ty.exports(engine)
    # Resources first: the functions' shapers look their ids up.
    for export, item in exports.items():
        if isinstance(item.ty, wc.ResourceType):
            instance.add_resource(export, wc.ResourceType.host(ids.resolve(item.ty)), _drop)
    for export, item in exports.items():
        if not isinstance(item.ty, wc.FuncType):
            continue
        full_name = f"{name}#{export}"
        impl = interface.functions.get(export) if interface is not None else None
        if impl is None:
            impl = _missing(full_name, item.ty, interface)
        # The linker serves this one component: the conversions are planned from its type.
        add_func(instance, export, host_function(full_name, impl, item.ty, ids), item.ty)


def host_function(name: str, impl: HostFunc, ty: wc.FuncType, ids: ResourceIds) -> HostFunc:
    """The binding's callback for `impl`, with the values shaped for this signature."""
    params: list[Shaper | None] = [in_shaper(param, ids) for _, param in ty.params]
    result_ty = ty.result
    result: Shaper | None = out_shaper(result_ty, ids) if result_ty is not None else None
    returns_result = isinstance(result_ty, wc.ResultType)
    needs_shaping = any(param is not None for param in params)

    def call_host(store: wasmtime.StoreContext, *args: Any) -> Any:
        call = current()
        if needs_shaping:
            args = tuple(
                shaper(call, store, arg) if shaper is not None else arg
                for shaper, arg in zip(params, args, strict=True)
            )
        try:
            value = impl(call, *args)
        except Err as err:
            if not returns_result:
                raise Trap(f"{name} failed: {err.payload!r}") from None
            value = err
        return result(call, store, value) if result is not None else value

    return call_host


def _missing(name: str, ty: wc.FuncType, interface: Interface | None) -> HostFunc:
    result = ty.result
    if (
        interface is not None
        and interface.error is not NO_ERROR
        and isinstance(result, wc.ResultType)
        and result.err is not None
    ):
        error = interface.error

        def unsupported(call: WasiCall, *args: Any) -> Any:
            raise Err(error)

        return unsupported

    def trap(call: WasiCall, *args: Any) -> Any:
        raise Trap(f"the host function {name} is not available in this runtime")

    return trap


def _trapping(name: str) -> HostFunc:
    def trap(store: wasmtime.StoreContext, *args: Any) -> Any:
        raise Trap(f"the host function {name} is not available in this runtime")

    return trap


def _drop(store: wasmtime.StoreContext, rep: int) -> None:
    """A guest dropped its handle to one of our resources."""
    call = current_or_none()
    if call is not None:
        call.table.drop(rep)
