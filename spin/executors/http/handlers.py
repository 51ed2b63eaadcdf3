"""How one request is run by one component: the Spin executor (Spin 1.x modules and
inbound-http components) or the WAGI executor (CGI over a WASI command).

A handler is chosen per component when the app loads, from the trigger's `executor` and what
the Wasm exports; a mismatch is a load error, as in Spin. `handle()` awaits the guest call,
which runs in one of the runtime's worker processes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from spin.errors import SpinError
from spin.executors.http import wagi
from spin.executors.http.headers import RequestFacts, spin_headers
from spin.executors.http.routing import RouteMatch
from spin.executors.http.trigger_config import HttpExecutorConfig
from spin.executors.http.wasi_http import WasiHttpHandler
from spin.runtime.errors import GuestError
from spin.runtime.http_types import SPIN_METHODS, HttpRequest, HttpResponse
from spin.runtime.pool.pool import PooledGuest

log = logging.getLogger("spin.http")

INBOUND_HTTP = "fermyon:spin/inbound-http"


@dataclass(frozen=True)
class IncomingRequest:
    """An HTTP request as received, with its body read."""

    method: str
    path: str  # percent-encoded, without the query
    query: str
    http_version: str  # "1.1", "2"
    headers: list[tuple[str, str]]  # lower-case names
    body: bytes | bytearray  # as read, not copied
    facts: RequestFacts


class Handler(Protocol):
    async def handle(self, request: IncomingRequest, match: RouteMatch) -> HttpResponse: ...


#: What a component's requests go to: a Handler (whole request and response) or, for wasi:http
#: components, a WasiHttpHandler (streamed both ways).
AnyHandler = Handler | WasiHttpHandler


def _empty(status: int) -> HttpResponse:
    return HttpResponse(status, [], b"")


@dataclass(frozen=True)
class SpinHandler:
    """Request record in, response record out (`handle-http-request` / `handle-request`)."""

    guest: PooledGuest
    base: str

    async def handle(self, request: IncomingRequest, match: RouteMatch) -> HttpResponse:
        if request.method not in SPIN_METHODS:  # the guest's `method` enum has no other
            return _empty(405)
        uri = f"{request.path}?{request.query}" if request.query else request.path
        headers = [*request.headers, *spin_headers(request.facts, match, self.base)]
        response = await self.guest.handle_http(
            HttpRequest(request.method, uri, headers, [], request.body)
        )
        if not 100 <= response.status <= 600:
            raise GuestError(self.guest.id, f"malformed HTTP status code {response.status}")
        headers = _last_value_wins(self.guest.id, response.headers)
        return HttpResponse(response.status, headers, response.body)


def _last_value_wins(component_id: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Spin sets response headers one by one, so a repeated name keeps its last value."""
    merged: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if not wagi.valid_header(lower, value):
            raise GuestError(component_id, f"invalid response header {name!r}: {value!r}")
        merged.pop(lower, None)
        merged[lower] = value
    return list(merged.items())


@dataclass(frozen=True)
class WagiHandler:
    """CGI environment, argv and stdin in; CGI output on stdout parsed into the response."""

    guest: PooledGuest
    config: wagi.WagiConfig
    base: str
    #: the most the module may write to stdout (its response): --max-body-size
    max_response: int | None = None

    async def handle(self, request: IncomingRequest, match: RouteMatch) -> HttpResponse:
        cgi = wagi.CgiRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            http_version=request.http_version,
            headers=request.headers,
            body_length=len(request.body),
        )
        argv = wagi.build_argv(self.config, cgi, match)
        env = wagi.build_environment(cgi, request.facts, match, self.base)
        stdout = await self.guest.run_command(argv, env, request.body, self.max_response)
        try:
            return wagi.parse_cgi_output(stdout)
        except wagi.CgiOutputError as err:
            raise GuestError(self.guest.id, str(err)) from None


def make_handler(
    guest: PooledGuest,
    executor: HttpExecutorConfig | None,
    base: str,
    max_response: int | None = None,
) -> AnyHandler:
    """The handler for a loaded component, checking that its Wasm fits its executor."""
    if executor is not None and executor.type == "wagi":
        config = wagi.WagiConfig.from_executor(executor, guest.id)
        if guest.kind != "command":
            raise SpinError(
                f'Component {guest.id!r} is configured with `executor = {{ type = "wagi" }}` '
                f"but its Wasm is a {guest.kind} without a `_start` export. Build it as a WASI "
                "command, or remove the `executor` line if it is a Spin HTTP component."
            )
        return WagiHandler(guest, config, base, max_response)
    if guest.kind == "spin1" or (guest.kind == "component" and INBOUND_HTTP in guest.exports):
        return SpinHandler(guest, base)
    if guest.kind == "wasi-http":
        return WasiHttpHandler(guest, base)
    if guest.kind == "command":
        raise SpinError(
            f"Component {guest.id!r} is a WASI command module (it exports `_start`, not "
            "`handle-http-request`): if it is a WAGI (CGI) program, add "
            '`executor = { type = "wagi" }` to its HTTP trigger.'
        )
    raise SpinError(
        f"Component {guest.id!r} cannot serve HTTP: it exports none of "
        f"`handle-http-request` (Spin 1.x module), `{INBOUND_HTTP}` or "
        "`wasi:http/incoming-handler` (components). Exports "
        f"found: {', '.join(sorted(guest.exports)) or 'none'}."
    )
