"""Wasm components: `fermyon:spin/inbound-http`, `fermyon:spin/inbound-redis`, a
`handle-timer-request` export and any other function export an external trigger names
(`handle_export`: cron's `handle-cron-event`, MQTT's `handle-message`), with WASI preview 2
and Spin's host interfaces linked. The binding has no component `InstancePre`: each call
instantiates through the shared linker in a new `Store`, with a `WasiCall` holding the call's
resources and what Spin's interfaces reach.

WASI comes from wasmtime (`add_wasip2`), and everything else (Spin's host interfaces) from the
Python registry (`host.link_spin_imports`), unless the component also imports interfaces that
share wasi:io's types and wasmtime does not provide here (wasi:http, as every spin-sdk Redis app
does, wasi:config, wasi:keyvalue): then all of it comes from the Python host
(`spin.runtime.wasi.p2`), since wasi:io's resources cannot be half wasmtime's, half ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import wasmtime
import wasmtime.component as wc

from spin.errors import SpinError
from spin.runtime.component.host import link_spin_imports
from spin.runtime.component.values import FunctionCall, ResultConverter
from spin.runtime.errors import GuestError, HostTrap, take_host_failure
from spin.runtime.guest import Guest
from spin.runtime.guest_setup import GuestSetup
from spin.runtime.host_interfaces import HOST, SpinHost
from spin.runtime.http import component_registry
from spin.runtime.http.outgoing import OUTBOUND
from spin.runtime.http_types import SPIN_METHODS, HttpRequest, HttpResponse
from spin.runtime.wasi.p2.call import wasi_call
from spin.runtime.wasi.p2.host import Exit, Trap, WasiCall, running
from spin.runtime.wasi.p2.registry import link

INBOUND_HTTP = ("fermyon:spin/inbound-http", "handle-request")
INBOUND_REDIS = ("fermyon:spin/inbound-redis", "handle-message")
TIMER = "handle-timer-request"

CALL_FAILURES = (wasmtime.Trap, wasmtime.WasmtimeError, HostTrap)
#: Imports that make a component run on the Python WASI host (see the module docstring).
PYTHON_WASI_PREFIXES = ("wasi:http/", "wasi:config/", "wasi:keyvalue/")


@dataclass(frozen=True)
class Export:
    """A function export found at load time: where it is, and its converted signature."""

    index: wc.ExportIndex
    call: FunctionCall


class ComponentGuest(Guest):
    kind = "component"

    def __init__(self, setup: GuestSetup, compiled: wc.Component) -> None:
        component, engine = setup.component, setup.engine
        self.id = component.id
        self._component = compiled
        self._setup = setup
        exports = compiled.type.exports(engine.engine)
        self.exports = frozenset(exports)
        self._export_types = exports
        self._named: dict[str, Export | None] = {}
        self._http = self._find(exports, *INBOUND_HTTP)
        self._redis = self._find(exports, *INBOUND_REDIS)
        self._timer = self._find_anywhere(exports, TIMER)
        if not self._exports_a_function(exports):
            raise SpinError(
                f"Component {self.id!r} ({component.source_path}) exports no function (such "
                f"as `{INBOUND_HTTP[0]}`, `{INBOUND_REDIS[0]}` or `{TIMER}`): there is nothing "
                "a trigger can call. Build it with a Spin SDK for the trigger it serves."
            )
        self._host = SpinHost.for_setup(setup)
        self._linker = wc.Linker(engine.engine)
        imports = compiled.type.imports(engine.engine)
        self._python_wasi = any(name.startswith(PYTHON_WASI_PREFIXES) for name in imports)
        try:
            if self._python_wasi:
                link(self._linker, compiled, engine.engine, component_registry())
            else:
                self._linker.add_wasip2()
                link_spin_imports(self._linker, compiled, engine.engine, component_registry())
        except wasmtime.WasmtimeError as err:
            raise SpinError(
                f"Component {self.id!r} ({component.source_path}) cannot be linked: {err}"
            ) from None

    def _find(self, exports: dict[str, Any], interface: str, name: str) -> Export | None:
        instance = exports.get(interface)
        if instance is None or not isinstance(instance.ty, wc.ComponentInstanceType):
            return None
        func = instance.ty.exports(self._setup.engine.engine).get(name)
        if func is None or not isinstance(func.ty, wc.FuncType):
            return None
        interface_index = self._component.get_export_index(interface)
        index = self._component.get_export_index(name, interface_index)
        return Export(index, FunctionCall(func.ty)) if index is not None else None

    def _exports_a_function(self, exports: dict[str, Any]) -> bool:
        engine = self._setup.engine.engine
        for item in exports.values():
            if isinstance(item.ty, wc.FuncType):
                return True
            if isinstance(item.ty, wc.ComponentInstanceType) and any(
                isinstance(inner.ty, wc.FuncType) for inner in item.ty.exports(engine).values()
            ):
                return True
        return False

    def _find_anywhere(self, exports: dict[str, Any], name: str) -> Export | None:
        """A function exported at the top level, or else from any exported interface."""
        top = exports.get(name)
        if top is not None and isinstance(top.ty, wc.FuncType):
            index = self._component.get_export_index(name)
            return Export(index, FunctionCall(top.ty)) if index is not None else None
        for interface, item in exports.items():
            if isinstance(item.ty, wc.ComponentInstanceType):
                found = self._find(exports, interface, name)
                if found is not None:
                    return found
        return None

    # -- the calls -----------------------------------------------------------------------

    def handle_http(self, request: HttpRequest) -> HttpResponse:
        export = self._require(self._http, "/".join(INBOUND_HTTP))
        method = request.method.upper()
        if method not in SPIN_METHODS:
            raise GuestError(self.id, f"Spin guests cannot receive {request.method} requests")
        record = {
            "method": method.lower(),
            "uri": request.uri,
            "headers": request.headers,
            "params": request.params,
            "body": request.body,
        }
        response = self._run(export, record)
        return HttpResponse(
            status=response["status"],
            headers=list(response["headers"] or []),
            body=response["body"] or b"",
        )

    def handle_redis(self, payload: bytes) -> None:
        export = self._require(self._redis, "/".join(INBOUND_REDIS))
        is_ok, error = self._run(export, payload)
        if not is_ok:
            raise GuestError(self.id, f"handle-message returned error {error!r}")

    def handle_timer(self) -> None:
        self._run(self._require(self._timer, TIMER))

    def handle_export(self, name: str, arguments: dict[str, Any]) -> None:
        if name not in self._named:
            self._named[name] = self._find_anywhere(self._export_types, name)
        export = self._require(self._named[name], name)
        names = export.call.param_names
        missing = [param for param in names if param not in arguments]
        if missing:
            raise GuestError(
                self.id,
                f"`{name}` takes parameter(s) {', '.join(map(repr, missing))} the trigger does not "
                f"provide (it provides {', '.join(map(repr, arguments)) or 'none'})",
            )
        result = self._run(export, *(arguments[param] for param in names))
        if isinstance(export.call.result, ResultConverter) and not result[0]:
            raise GuestError(self.id, f"{name} returned error {describe_error(result[1])}")

    def run_command(
        self, argv: list[str], env: dict[str, str], stdin: bytes, stdout_limit: int | None = None
    ) -> bytes:
        raise self._unsupported("run a WASI preview 1 command (`_start`)")

    # -- plumbing -------------------------------------------------------------------------

    def _require(self, export: Export | None, name: str) -> Export:
        if export is None:
            raise GuestError(self.id, f"the component does not export `{name}`")
        return export

    def _run(self, export: Export, *args: Any) -> Any:
        if self._python_wasi:
            return self._run_on_python_wasi(export, *args)
        setup = self._setup
        with setup.call_output() as output:
            # WASI is wasmtime's; the call's state serves Spin's interfaces (Python).
            call = WasiCall(env=setup.env, extensions=self._extensions())
            try:
                with running(call):
                    store = setup.new_store(output)
                    take_host_failure()
                    instance = self._linker.instantiate(store, self._component)
                    func = instance.get_func(store, export.index)
                    if func is None:
                        raise GuestError(self.id, "the export disappeared after instantiation")
                    return export.call(store, func, *args)
            except Trap as trap:  # from one of Spin's interfaces
                raise GuestError(self.id, str(trap)) from None
            except CALL_FAILURES as err:
                reason = take_host_failure() or setup.limits.explain(err)
                raise GuestError(self.id, reason) from None

    def _run_on_python_wasi(self, export: Export, *args: Any) -> Any:
        with wasi_call(self._setup, self._extensions()) as (store, _):
            try:
                instance = self._linker.instantiate(store, self._component)
                func = instance.get_func(store, export.index)
                if func is None:
                    raise GuestError(self.id, "the export disappeared after instantiation")
                return export.call(store, func, *args)
            except Exit as exit_:
                if not exit_.ok:
                    raise GuestError(self.id, str(exit_)) from None
                return None
            except Trap as trap:
                raise GuestError(self.id, str(trap)) from None
            except CALL_FAILURES as err:
                raise GuestError(self.id, self._setup.limits.explain(err)) from None

    def _extensions(self) -> dict[str, Any]:
        return {OUTBOUND: self._setup.outbound, HOST: self._host}

    def close(self) -> None:
        self._host.close()
        self._setup.close()


def describe_error(error: Any) -> str:
    """A guest's error value for a log line: a variant case as `other("...")`."""
    tag = getattr(error, "tag", None)
    if tag is None:
        return repr(error)
    payload = getattr(error, "payload", None)
    return tag if payload is None else f"{tag}({payload!r})"
