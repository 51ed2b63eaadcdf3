"""The ASGI application that answers a Spin app's HTTP requests, apart from any server.

It routes the path, reads the body, awaits the component's handler (the guest runs in one of
the runtime's worker processes, so the event loop keeps serving) and writes the response. The
executor's own endpoints under `/.well-known/spin/` answer first. Every request gets one
access-log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from spin.executors.http.connections import RateLimitedLog
from spin.executors.http.handlers import AnyHandler, IncomingRequest
from spin.executors.http.headers import RequestFacts
from spin.executors.http.routing import WELL_KNOWN_PREFIX, RouteMatch, Router
from spin.executors.http.wasi_http import WasiHttpHandler
from spin.runtime import GuestError, HttpResponse
from spin.runtime.pool.turns import QueueTimeout

log = logging.getLogger("spin.http")
access_log = logging.getLogger("spin.http.access")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

NOT_FOUND = HttpResponse(404, [], b"")
INTERNAL_ERROR = HttpResponse(500, [], b"")
HEALTH_OK = HttpResponse(200, [], b"OK")  # no content-type, as Spin sends it
PAYLOAD_TOO_LARGE = HttpResponse(413, [], b"")
REQUEST_TIMEOUT = HttpResponse(408, [("connection", "close")], b"")
SERVICE_UNAVAILABLE = HttpResponse(503, [("retry-after", "1")], b"")


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


class Refused(Exception):
    """The request is answered with `response` without reaching its component."""

    def __init__(self, response: HttpResponse, reason: str) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason


@dataclass(frozen=True)
class BodyLimits:
    """What a request body may cost before its component is called."""

    max_size: int  # bytes; past it, 413
    timeout: float | None = None  # seconds for the whole body to arrive; past it, 408


def app_info_response(name: str, version: str) -> HttpResponse:
    """`/.well-known/spin/info`: the app's name, and its version when it has one."""
    info = {"name": name, **({"version": version} if version else {})}
    return HttpResponse(
        200, [("content-type", "application/json")], json.dumps(info, indent=2).encode()
    )


class SpinHttpApp:
    """ASGI 3 application: `await app(scope, receive, send)`."""

    def __init__(
        self,
        router: Router,
        handlers: dict[str, AnyHandler],
        info: HttpResponse,
        limits: BodyLimits,
    ) -> None:
        self.router = router
        self.handlers = handlers
        self.info = info
        self.limits = limits
        self.reports = RateLimitedLog(log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._serve(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        component = "-"
        if path.startswith(WELL_KNOWN_PREFIX):
            response = self._well_known(path[len(WELL_KNOWN_PREFIX) :])
        else:
            match = self.router.route(path)
            if match is None:
                response = NOT_FOUND
            else:
                component = match.component_id
                handler = self.handlers[component]
                if isinstance(handler, WasiHttpHandler):  # streams its request and response
                    status = await self._stream(handler, scope, receive, send, path, match)
                    _log_access(scope["method"], path, status, component, started)
                    return
                try:
                    request = await _read_request(scope, receive, path, self.limits)
                except ClientGone:
                    access_log.info("%s %s client gone %s", scope["method"], path, component)
                    return
                except Refused as refused:
                    self.reports.warning(
                        str(refused.response.status),
                        "%s %s refused: %s",
                        scope["method"],
                        path,
                        refused.reason,
                    )
                    response = refused.response
                else:
                    answer = await self._run_guest_unless_gone(request, match, receive)
                    if answer is None:
                        _log_access(scope["method"], path, None, component, started)
                        return
                    response = answer
        await _send_response(send, response, scope["method"])
        _log_access(scope["method"], path, response.status, component, started)

    async def _stream(
        self,
        handler: WasiHttpHandler,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        match: RouteMatch,
    ) -> int | None:
        """A wasi:http component's request: refused (413) up front when its Content-Length
        is over the limit, else streamed (a body that grows past it, or is not all there
        within --body-timeout, fails the guest's read)."""
        declared = _content_length(scope)
        if declared is not None and declared > self.limits.max_size:
            refused = _too_large(self.limits, str(declared))
            log.info("%s %s refused: %s", scope["method"], path, refused.reason)
            await _send_response(send, refused.response, scope["method"])
            return refused.response.status
        limits = self.limits
        return await handler.serve(
            scope, receive, send, path, match, limits.max_size, limits.timeout
        )

    def _well_known(self, name: str) -> HttpResponse:
        if name == "health":
            return HEALTH_OK
        if name == "info":
            return self.info
        return NOT_FOUND

    async def _run_guest_unless_gone(
        self, request: IncomingRequest, match: RouteMatch, receive: Receive
    ) -> HttpResponse | None:
        """The guest's response, or None if the client disconnected first: then the call is
        cancelled (a queued one never runs, a running one is interrupted). Before, 10 calls
        to a looping route abandoned by their clients kept the next request waiting 4.6 s."""
        task = asyncio.current_task()
        assert task is not None
        gone = False

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            task.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            return await self._run_guest(request, match)
        except asyncio.CancelledError:
            if not gone:
                raise
            task.uncancel()
            return None
        finally:
            watcher.cancel()

    async def _run_guest(self, request: IncomingRequest, match: RouteMatch) -> HttpResponse:
        handler = self.handlers[match.component_id]
        log.debug(
            "calling component %r for %s %s", match.component_id, request.method, request.path
        )
        try:
            return await handler.handle(request, match)
        except QueueTimeout as busy:
            self.reports.warning(
                f"busy:{match.component_id}",
                "component %r is busy: %s; answering 503",
                match.component_id,
                busy.reason,
            )
            return SERVICE_UNAVAILABLE
        except GuestError as err:
            log.error("component %r failed: %s", match.component_id, err.reason)
        except Exception:  # a bug of ours must not take the server down
            log.exception("internal error while handling %s %s", request.method, request.path)
        return INTERNAL_ERROR


def _log_access(method: str, path: str, status: int | None, component: str, started: float) -> None:
    elapsed = (time.perf_counter() - started) * 1000
    if status is None:
        access_log.info("%s %s client gone %s %.1fms", method, path, component, elapsed)
    else:
        access_log.info("%s %s %d %s %.1fms", method, path, status, component, elapsed)


def _too_large(limits: BodyLimits, size: str) -> Refused:
    return Refused(
        PAYLOAD_TOO_LARGE, f"body of {size} bytes is over --max-body-size ({limits.max_size})"
    )


async def _read_body(scope: Scope, receive: Receive, limits: BodyLimits) -> bytearray:
    """The body, refused (413) as soon as it is known to be too large: from Content-Length
    before reading any of it, or as chunks arrive. One buffer grown in place, never joined:
    the body is in memory once (large reallocations move pages, they do not copy them)."""
    declared = _content_length(scope)
    if declared is not None and declared > limits.max_size:
        raise _too_large(limits, str(declared))
    try:
        async with asyncio.timeout(limits.timeout):
            return await _receive_body(receive, limits)
    except TimeoutError:
        raise Refused(
            REQUEST_TIMEOUT, f"body not received within --body-timeout ({limits.timeout:g} s)"
        ) from None


async def _receive_body(receive: Receive, limits: BodyLimits) -> bytearray:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if len(body) + len(chunk) > limits.max_size:
            raise _too_large(limits, f"more than {limits.max_size}")
        body += chunk
        if not message.get("more_body", False):
            return body


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


async def _read_request(
    scope: Scope, receive: Receive, path: str, limits: BodyLimits
) -> IncomingRequest:
    body = await _read_body(scope, receive, limits)
    headers = [
        (name.decode("latin-1").lower(), value.decode("utf-8", errors="replace"))
        for name, value in scope["headers"]
    ]
    host = next((value for name, value in headers if name == "host"), None)
    query = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client") or ("0.0.0.0", 0)
    facts = RequestFacts(
        scheme=scope.get("scheme", "http"),
        host=host or None,
        path_and_query=f"{path}?{query}" if query else path,
        client_addr=(str(client[0]), int(client[1])),
    )
    return IncomingRequest(
        method=scope["method"],
        path=path,
        query=query,
        http_version=scope.get("http_version", "1.1"),
        headers=headers,
        body=body,
        facts=facts,
    )


async def _send_response(send: Send, response: HttpResponse, method: str) -> None:
    """Content-Length is always the body's real length, except that a HEAD response keeps
    the one its component gave (its body is empty by definition)."""
    headers = [
        (name.encode("latin-1"), value.encode())
        for name, value in response.headers
        if name != "content-length" or method == "HEAD"
    ]
    if method != "HEAD" or not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    body = b"" if method == "HEAD" else response.body
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
