"""The baseline of the HTTP benchmark: a hello-world ASGI app on plain hypercorn.

Served the way `spin trigger http` serves (hypercorn.asyncio under anyio, no access log, no
server header), so that the ratio measures what the executor adds: routing, Spin's headers,
the worker thread and the Wasm guest.

    python bench/http/plain_hypercorn.py 127.0.0.1:8000
"""

from __future__ import annotations

import sys
from typing import Any

import anyio
from hypercorn.asyncio import serve
from hypercorn.config import Config

BODY = b"Hello, Fermyon!\n"
HEADERS = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def main(address: str) -> None:
    config = Config()
    config.bind = [address]
    config.accesslog = None
    config.include_server_header = False
    config.backlog = 1024
    await serve(hello, config, mode="asgi")  # type: ignore[arg-type]


if __name__ == "__main__":
    anyio.run(main, sys.argv[1])
