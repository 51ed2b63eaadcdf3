"""Probes for orchestrators: an executor's readiness as an HTTP endpoint and/or a file.

`spin up` learns that an executor is ready from its READY=1 (sd_notify); Kubernetes and other
orchestrators ask over HTTP or look for a file instead. Both say exactly what the executor told
its supervisor: ready from READY=1 until STOPPING=1 (a drain), not ready before and after.

- `--health-listen ADDRESS` serves `GET /ready` (200 while ready, 503 otherwise) and `GET /live`
  (200 while the executor's event loop answers, draining included) on a port of its own;
- `--health-file PATH` exists exactly while the executor is ready.

Every executor built on `spin.trigger` gets both through its common options; the HTTP executor
also keeps `/.well-known/spin/health` on its own listener.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import anyio
import anyio.abc

from spin.errors import SpinError

log = logging.getLogger("spin.trigger")

#: A probe's request line and headers fit in this; a longer request is answered 431.
MAX_REQUEST_HEAD = 8192
#: A client that has not sent its request within this time is dropped (kubelet sends at once).
REQUEST_TIMEOUT = 5.0


class Health:
    """What the executor last reported to whoever started it, for probes to read."""

    def __init__(self, file: Path | None = None) -> None:
        self.ready = False
        self.file = file
        self._stopped = False

    def set_ready(self) -> None:
        """Ready, unless a drain began first (an executor told to stop while it was starting
        may still finish starting: it must not take work then)."""
        if self._stopped:
            return
        self.ready = True
        if self.file is not None:
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                self.file.write_text("ready\n")
            except OSError as err:
                raise SpinError(
                    f"--health-file {self.file}: cannot write it ({err.strerror}). Give a path "
                    "in a writable directory."
                ) from None

    def set_not_ready(self) -> None:
        """Draining or gone: probes must stop sending work here, for good."""
        self._stopped = True
        self.ready = False
        if self.file is not None:
            self.file.unlink(missing_ok=True)

    def answer(self, path: str) -> tuple[int, str]:
        """The status and body for a probe's path."""
        if path == "/ready":
            return (200, "ready\n") if self.ready else (503, "not ready\n")
        if path == "/live":
            return 200, "alive\n"
        return 404, "not found: the probes are /ready and /live\n"


def parse_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:PORT` for IPv6) for `--health-listen`."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise SpinError(
            f"--health-listen {address!r} is not HOST:PORT. Give an address to serve the "
            "probes on, e.g. `--health-listen 0.0.0.0:8081` (`[::]:8081` for IPv6)."
        )
    return host.strip("[]"), int(port)


async def serve_probes(
    health: Health, address: str, *, task_status: anyio.abc.TaskStatus[None]
) -> None:
    """Answer probes on `address` until cancelled; started (listening) before it returns."""
    host, port = parse_address(address)
    try:
        listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    except OSError as err:
        raise SpinError(
            f"--health-listen {address}: cannot listen there ({err.strerror or err}). Choose "
            "a free port (each executor needs its own)."
        ) from None
    log.info("probes on http://%s/ready and /live", address)
    async with listener:
        task_status.started()
        await listener.serve(lambda stream: _answer(health, stream))


async def _answer(health: Health, stream: anyio.abc.ByteStream) -> None:
    async with stream:
        head = b""
        with anyio.move_on_after(REQUEST_TIMEOUT):
            while b"\r\n\r\n" not in head and len(head) <= MAX_REQUEST_HEAD:
                try:
                    head += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return
        if b"\r\n\r\n" not in head:
            status, body, method = 431, "request too long or incomplete\n", "GET"
        else:
            method, _, rest = head.decode("latin-1").partition(" ")
            path = rest.partition(" ")[0].partition("?")[0]
            status, body = health.answer(path)
            if method not in ("GET", "HEAD"):
                status, body = 405, "only GET and HEAD\n"
        payload = body.encode() if method != "HEAD" else b""
        response = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + payload
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await stream.send(response)  # the prober hung up: nothing to tell it


_REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
