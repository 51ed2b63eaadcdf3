"""Serving components that export `wasi:http/incoming-handler`: streamed both ways.

The request goes to a guest worker with the body's first chunk; the worker asks for more as
the guest reads it. The response starts when the guest sets its `response-outparam`, and each
chunk it writes is sent to the client as it arrives (chunks already queued are sent in one
write); hypercorn's `send` waits while the client does not read, the worker's socket then
stops being read, and the guest blocks in its write: a large download is never held in
memory. Trailers go out on HTTP/2 to clients that asked for them (`te: trailers`); HTTP/1.1
responses from hypercorn carry none.

A guest failure before the response started is a 500; after it, the response is left
incomplete (the connection is closed without the end of the body), which the client sees as
an aborted download.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from spin.executors.http.headers import RequestFacts, spin_headers
from spin.executors.http.routing import RouteMatch
from spin.runtime.errors import GuestError
from spin.runtime.http.exchange import RequestHead
from spin.runtime.pool import wire
from spin.runtime.pool.pool import PooledGuest, WorkerChannel

log = logging.getLogger("spin.http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Body bytes already queued from the worker that are sent to the client in one write.
COALESCE_LIMIT = 256 * 1024
TRAILER_VERSIONS = ("2", "3")


class ClientGone(Exception):
    """The client disconnected while the guest was reading its request body."""


@dataclass(frozen=True)
class WasiHttpHandler:
    """A wasi:http component's requests: `serve` answers the ASGI request itself."""

    guest: PooledGuest
    base: str

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        match: RouteMatch,
        max_body: int,
        body_timeout: float | None,
    ) -> int | None:
        """Run the request through the guest; the status sent (None: the client left)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + body_timeout if body_timeout is not None else None
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            log.info("%s %s refused: no body within --body-timeout", scope["method"], path)
            headers = [(b"connection", b"close"), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 408, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return 408
        if message["type"] == "http.disconnect":
            return None
        head = request_head(scope, path, match, self.base)
        first_chunk = message.get("body", b"")
        more_body = bool(message.get("more_body", False))
        responder = Responder(scope, receive, send, max_body - len(first_chunk), deadline)
        responder.body_done = not more_body
        try:
            await self.guest.serve_http(head, first_chunk, more_body, responder.on_message)
        except GuestError as err:
            log.error("component %r failed: %s", self.guest.id, err.reason)
            return await responder.failed()
        except ClientGone:
            return None
        except Exception:  # a bug of ours must not take the server down
            log.exception("internal error while handling %s %s", scope["method"], path)
            return await responder.failed()
        finally:
            responder.close()
        return responder.status


def request_head(scope: Scope, path: str, match: RouteMatch, base: str) -> RequestHead:
    """The request as the guest sees it: headers as received plus Spin's `spin-*` ones."""
    headers = [(name.decode("latin-1").lower(), bytes(value)) for name, value in scope["headers"]]
    host = next((value for name, value in headers if name == "host"), b"").decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    path_with_query = f"{path}?{query}" if query else path
    client = scope.get("client") or ("0.0.0.0", 0)
    scheme = scope.get("scheme", "http")
    facts = RequestFacts(
        scheme=scheme,
        host=host or None,
        path_and_query=path_with_query,
        client_addr=(str(client[0]), int(client[1])),
    )
    headers.extend((name, value.encode()) for name, value in spin_headers(facts, match, base))
    return RequestHead(
        method=scope["method"],
        path_with_query=path_with_query,
        scheme=scheme,
        authority=host,
        headers=headers,
    )


class Responder:
    """Turns the worker's messages into ASGI messages, and answers its requests for body."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, max_body: int, deadline: float | None
    ) -> None:
        self._receive = receive
        self._send = send
        self._body_left = max_body
        self._body_deadline = deadline
        self._head_request = scope["method"] == "HEAD"
        self.status: int | None = None
        self.ended = False
        #: the request body has been received whole (then only a disconnect can follow)
        self.body_done = False
        self._watcher: asyncio.Task[None] | None = None
        self._client_gone = False
        self.trailers = scope.get("http_version") in TRAILER_VERSIONS and any(
            name == b"te" and b"trailers" in value.lower() for name, value in scope["headers"]
        )

    async def on_message(self, tag: int, value: Any, channel: WorkerChannel) -> Any:
        if tag == wire.BODY:
            if self._client_gone:
                raise ClientGone()  # the pool replaces the worker: the guest stops writing
            chunks = channel.take_body_chunks(COALESCE_LIMIT)
            body = b"".join([value, *chunks]) if chunks else value
            await self._send({"type": "http.response.body", "body": body, "more_body": True})
        elif tag == wire.HEAD:
            await self._start(value, channel)
        elif tag == wire.WANT_BODY:
            return await self._body_chunk()
        elif tag == wire.END:
            await self._end(value)
        elif tag == wire.ABORT:
            log.error("the response body was aborted: %s", value)
            self.ended = True  # left incomplete: hypercorn closes the connection
        return None

    async def _start(self, head: tuple[int, Any], channel: WorkerChannel) -> None:
        """Send the response head, with the whole body when it is already here (then with
        its Content-Length, unless the guest gave one: one write, no chunked encoding)."""
        self.status, guest_headers = head
        headers = [(name.encode("latin-1"), value) for name, value in guest_headers]
        chunks = channel.take_body_chunks(COALESCE_LIMIT)
        if chunks and not channel.pending():
            # The end of a small body follows its first chunk within microseconds: one turn of
            # the loop often brings it, and the response goes out whole.
            await asyncio.sleep(0)
            chunks += channel.take_body_chunks(COALESCE_LIMIT)
        ended, _ = channel.take_end() if not self.trailers else (False, None)
        known = self._head_request or any(name == b"content-length" for name, _ in headers)
        if ended and not known:
            headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
        start = {"type": "http.response.start", "status": self.status, "headers": headers}
        await self._send({**start, "trailers": self.trailers})
        if not ended and self.body_done:
            self._watcher = asyncio.ensure_future(self._watch_client())
        if ended:
            self.ended = True
            await self._send({"type": "http.response.body", "body": b"".join(chunks)})
        elif chunks:
            body = b"".join(chunks)
            await self._send({"type": "http.response.body", "body": body, "more_body": True})

    async def _watch_client(self) -> None:
        """While the body streams out: notice the client leaving (hypercorn would otherwise
        drop what is sent to a closed connection, and the guest would write on)."""
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._client_gone = True

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()

    async def _body_chunk(self) -> tuple[Any, Any]:
        """The answer to WANT_BODY: (chunk, more), or (None, why) when the guest's read fails."""
        try:
            async with asyncio.timeout_at(self._body_deadline):
                message = await self._receive()
        except TimeoutError:
            return (None, "the request body did not arrive within --body-timeout")
        if message["type"] == "http.disconnect":
            raise ClientGone()
        body = message.get("body", b"")
        self._body_left -= len(body)
        if self._body_left < 0:
            return (None, "the request body is over --max-body-size")
        more = bool(message.get("more_body", False))
        self.body_done = not more
        if self.body_done and self.status is not None and not self.ended:
            self._watcher = asyncio.ensure_future(self._watch_client())
        return (wire.raw(body), more)

    async def _end(self, trailers: list[tuple[str, bytes]] | None) -> None:
        self.ended = True
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.trailers:
            await self._send(
                {
                    "type": "http.response.trailers",
                    "headers": [(name.encode("latin-1"), val) for name, val in trailers or []],
                    "more_trailers": False,
                }
            )

    async def failed(self) -> int:
        """The guest failed: a 500 if nothing was sent yet, else the response stays cut."""
        if self.status is None:
            self.status = 500
            headers = [(b"content-length", b"0")]
            await self._send({"type": "http.response.start", "status": 500, "headers": headers})
            await self._send({"type": "http.response.body", "body": b""})
        return self.status
