"""How many connections the HTTP executor holds, and saying so once instead of per connection.

Each connection costs a file descriptor. Unbounded, 1,100 slow clients ran the executor out of
them, and every failed accept logged a line (150,865 "Too many open files" lines in ~10 s).
So the executor raises its soft open-file limit to the hard one, holds at most
`--max-connections` (lowered to what the limit allows, minus FD_RESERVE for the worker
sockets, log files and the listener), answers a connection past that with a 503 and closes it,
and logs each such condition at most once per REPORT_INTERVAL with how often it recurred.

hypercorn has no connection limit of its own; `install_gate` wraps the per-connection server
its accept callback builds (`hypercorn.asyncio.run.TCPServer`), which is the one place every
accepted connection passes through.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("spin.http")

#: File descriptors kept for everything but client connections.
FD_RESERVE = 128
#: A repeated condition (connections refused, slow bodies, accept errors) is logged at most
#: this often, in seconds.
REPORT_INTERVAL = 10.0
#: What a connection past the limit gets before it is closed.
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\n"
    b"connection: close\r\n\r\n"
)


class RateLimitedLog:
    """Warnings keyed by condition: the first one is logged, repeats within `interval` are
    counted and reported with the next line logged for the same condition."""

    def __init__(self, logger: logging.Logger, interval: float = REPORT_INTERVAL) -> None:
        self.logger = logger
        self.interval = interval
        self._last: dict[str, float] = {}
        self._repeats: Counter[str] = Counter()

    def warning(self, condition: str, message: str, *args: object) -> None:
        now = time.monotonic()
        last = self._last.get(condition)
        if last is not None and now - last < self.interval:
            self._repeats[condition] += 1
            return
        self._last[condition] = now
        repeats = self._repeats.pop(condition, 0)
        if repeats:
            message += f" ({repeats} more since the last such line)"
        self.logger.warning(message, *args)


def connection_limit(requested: int) -> int:
    """`--max-connections`, within what the open-file limit allows (raised to its maximum)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and hard != resource.RLIM_INFINITY:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    usable = max(1, soft - FD_RESERVE)
    if requested > usable:
        log.warning(
            "--max-connections %d lowered to %d: the open-file limit is %d (ulimit -n)",
            requested,
            usable,
            soft,
        )
        return usable
    return requested


class ConnectionGate:
    """Counts the open connections; one past the limit is refused."""

    def __init__(self, limit: int, reports: RateLimitedLog) -> None:
        self.limit = limit
        self.open = 0
        self.refused = 0
        self._reports = reports

    def admit(self, writer: asyncio.StreamWriter) -> bool:
        """True if the connection may be served; else it is answered 503 and closed."""
        if self.open < self.limit:
            return True
        self.refused += 1
        self._reports.warning(
            "connections",
            "connection limit reached (%d open, --max-connections): refusing new ones with 503",
            self.open,
        )
        writer.write(REFUSAL)
        writer.close()
        return False


def install_gate(gate: ConnectionGate) -> None:
    """Make hypercorn's accept callback go through `gate` (see the module docstring)."""
    import hypercorn.asyncio.run as hypercorn_run
    from hypercorn.asyncio.tcp_server import TCPServer

    async def gated(*args: Any) -> None:
        writer = args[-1]  # (app, loop, config, context, state, reader, writer)
        if not gate.admit(writer):
            return
        gate.open += 1
        try:
            await TCPServer(*args)
        finally:
            gate.open -= 1

    server_factory: Callable[..., Awaitable[None]] = gated
    hypercorn_run.TCPServer = server_factory  # type: ignore[misc,assignment]


def rate_limited_loop_errors(reports: RateLimitedLog) -> None:
    """The event loop's own errors (a failed accept, say) once per condition per interval."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", "event loop error"))
        error = context.get("exception")
        reports.warning(f"loop:{message}", "%s: %s", message, error or "")

    asyncio.get_running_loop().set_exception_handler(handle)
