"""The guest kind for components exporting `wasi:http/incoming-handler@0.2.x#handle`.

Each request instantiates the component in a fresh store, linked against the Python WASI 0.2
host and wasi:http (`registry.link`, done once per guest), and calls `handle` with an
`incoming-request` and a `response-outparam` connected to the request's `HttpExchange`. The
response starts when the guest calls `response-outparam.set` and its body streams to the
exchange as the guest writes it.

Outcomes: a trap (or the deadline, or the memory limit) before the response started is a
GuestError (the executor answers 500); after it, the body is aborted and the GuestError says
why. A guest that returns without setting the outparam, or sets it to an error, is a GuestError.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import wasmtime
import wasmtime.component as wc

from spin.errors import SpinError
from spin.runtime.errors import GuestError
from spin.runtime.guest import Guest
from spin.runtime.guest_setup import GuestSetup
from spin.runtime.host_interfaces import HOST, SpinHost
from spin.runtime.http import component_registry
from spin.runtime.http.exchange import BufferedExchange, HttpExchange, RequestHead
from spin.runtime.http.outgoing import OUTBOUND
from spin.runtime.http.types import IncomingRequest, ResponseOutparam
from spin.runtime.http_types import HttpRequest, HttpResponse
from spin.runtime.wasi.p2.call import wasi_call
from spin.runtime.wasi.p2.host import Exit, Trap, WasiCall
from spin.runtime.wasi.p2.registry import Registry, link

INCOMING_HANDLER = "wasi:http/incoming-handler@0.2."
HANDLE = "handle"

CALL_FAILURES = (wasmtime.Trap, wasmtime.WasmtimeError, Trap)


def incoming_handler_export(exports: Any) -> str | None:
    """The name under which a component exports wasi:http's incoming-handler, if it does."""
    return next((name for name in exports if name.startswith(INCOMING_HANDLER)), None)


class WasiHttpGuest(Guest):
    kind = "wasi-http"

    def __init__(
        self, setup: GuestSetup, compiled: wc.Component, registry: Registry | None = None
    ) -> None:
        engine = setup.engine.engine
        self.id = setup.component.id
        self._setup = setup
        self._host = SpinHost.for_setup(setup)
        self._component = compiled
        exports = compiled.type.exports(engine)
        self.exports = frozenset(exports)
        interface = incoming_handler_export(exports)
        handle = exports[interface].ty.exports(engine).get(HANDLE) if interface else None
        if interface is None or handle is None or not isinstance(handle.ty, wc.FuncType):
            raise SpinError(
                f"Component {self.id!r} does not export wasi:http/incoming-handler#handle."
            )
        self._linker = wc.Linker(engine)
        try:
            ids = link(self._linker, compiled, engine, registry or component_registry())
        except wasmtime.WasmtimeError as err:
            raise SpinError(
                f"Component {self.id!r} ({setup.component.source_path}) cannot be linked: {err}"
            ) from None
        (_, request_ty), (_, outparam_ty) = handle.ty.params
        self._request_id = ids.resolve(request_ty.ty)
        self._outparam_id = ids.resolve(outparam_ty.ty)
        self._handle_index = compiled.get_export_index(HANDLE, compiled.get_export_index(interface))

    def serve_http(self, head: RequestHead, exchange: HttpExchange) -> None:
        """Run `handle` for one request, streaming the response to `exchange`."""
        setup = self._setup
        outparam = ResponseOutparam(exchange)
        failure: str | None = None
        with wasi_call(setup, {OUTBOUND: setup.outbound, HOST: self._host}) as (store, call):
            try:
                self._call_handle(store, call, head, exchange, outparam)
            except Exit as exit_:
                failure = None if exit_.ok else str(exit_)
            except CALL_FAILURES as err:
                failure = str(err) if isinstance(err, Trap) else setup.limits.explain(err)
        self._conclude(outparam, failure)

    def _call_handle(
        self,
        store: wasmtime.Store,
        call: WasiCall,
        head: RequestHead,
        exchange: HttpExchange,
        outparam: ResponseOutparam,
    ) -> None:
        instance = self._linker.instantiate(store, self._component)
        func = instance.get_func(store, self._handle_index)
        if func is None:
            raise GuestError(self.id, "the export disappeared after instantiation")
        request = wc.ResourceHost.own(
            call.table.add(IncomingRequest(head, exchange)), self._request_id
        )
        response_out = wc.ResourceHost.own(call.table.add(outparam), self._outparam_id)
        call.before_waiting.append(exchange.flush)
        func(store, request, response_out)

    def _conclude(self, outparam: ResponseOutparam, failure: str | None) -> None:
        response = outparam.response
        if response is None:
            if failure is not None:
                raise GuestError(self.id, failure)
            if outparam.error is not None:
                raise GuestError(self.id, f"the guest answered with an error: {outparam.error}")
            raise GuestError(self.id, "the guest returned without setting response-outparam")
        sink = response.body_sink
        if failure is not None:
            if sink.ending is None:
                sink.abort(failure)
            raise GuestError(self.id, failure)
        if sink.ending is None:  # the guest never asked for the body: it is empty
            sink.finish(None, None)  # type: ignore[arg-type]

    # -- the other calls ------------------------------------------------------------------

    def handle_http(self, request: HttpRequest) -> HttpResponse:
        """The whole request in, the whole response out (no streaming)."""
        parts = urlsplit(request.uri)
        path = parts.path or "/"
        authority = next((v for k, v in request.headers if k.lower() == "host"), "")
        head = RequestHead(
            method=request.method,
            path_with_query=f"{path}?{parts.query}" if parts.query else path,
            scheme="http",
            authority=authority,
            headers=[(k.lower(), v.encode()) for k, v in request.headers],
        )
        exchange = BufferedExchange(request.body)
        self.serve_http(head, exchange)
        headers = [(k, v.decode("latin-1")) for k, v in exchange.headers]
        return HttpResponse(exchange.status or 500, headers, exchange.body)

    def run_command(
        self, argv: list[str], env: dict[str, str], stdin: bytes, stdout_limit: int | None = None
    ) -> bytes:
        raise self._unsupported("run a WASI preview 1 command (`_start`)")

    def handle_redis(self, payload: bytes) -> None:
        raise self._unsupported("handle Redis messages")

    def handle_timer(self) -> None:
        raise self._unsupported("handle timer events")

    def close(self) -> None:
        self._host.close()
        self._setup.close()
