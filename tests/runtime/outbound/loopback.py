"""A real HTTP server on a free loopback port, in a thread, that says what it received."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Loopback:
    port: int
    requests: list[dict[str, object]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Echo(BaseHTTPRequestHandler):
    """`/redirect` answers 302 to `/echo`; anything else 200 with a JSON body of the request
    (method, path, headers, body), `x-test: yes` and a header whose value is not ASCII."""

    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body": body.decode("latin-1"),
        }
        self.server.seen.append(seen)  # type: ignore[attr-defined]
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("location", "/echo")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        payload = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-test", "yes")
        self.send_header("x-latin", "caf\u00e9")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def loopback_server() -> Iterator[Loopback]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    loopback = Loopback(server.server_address[1])
    server.seen = loopback.requests  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield loopback
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
