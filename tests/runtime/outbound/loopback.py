"""A real HTTP server on a free loopback port, in a thread, that says what it received."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Loopback:
    port: int
    requests: list[dict[str, object]] = field(default_factory=list)
    #: what `/wait-head` and `/wait-body` wait for before going on
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Echo(BaseHTTPRequestHandler):
    """`/redirect` answers 302 to `/echo`; `/wait-head` waits for `release` before answering,
    `/wait-body` sends its head and 5 bytes of body, then waits; `/big/<n>` sends n bytes;
    anything else 200 with a JSON body of the request (method, path, headers, body) and
    `x-test: yes`, plus a header whose value is not ASCII for `/latin...`."""

    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def setup(self) -> None:
        super().setup()
        # Head and body are two writes: without this, Nagle and the client's delayed ACK add
        # 40 ms to each exchange.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _answer(self) -> None:
        body = self._read_body()
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body": body.decode("latin-1"),
        }
        self.server.seen.append(seen)  # type: ignore[attr-defined]
        release: threading.Event = self.server.release  # type: ignore[attr-defined]
        if self.path == "/wait-head":
            release.wait(30)
        if self.path == "/wait-body":
            self.send_response(200)
            self.send_header("content-length", "10")
            self.end_headers()
            self.wfile.write(b"12345")
            self.wfile.flush()
            release.wait(30)
            return
        if self.path.startswith("/big/"):
            size = int(self.path.removeprefix("/big/"))
            self.send_response(200)
            self.send_header("content-length", str(size))
            self.end_headers()
            block = b"x" * 65536
            for start in range(0, size, len(block)):
                self.wfile.write(block[: size - start])
            return
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
        if self.path.startswith("/latin"):
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
    server.release = loopback.release  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield loopback
    finally:
        loopback.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
