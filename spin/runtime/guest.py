"""A loaded guest: what the executors call. One class per kind of Wasm behind one interface.

Every call is synchronous and blocking (executors make it through the worker pool, `pool`, so
it runs in a worker process), happens in a fresh instance, enforces the deadline and memory
limit, sends the guest's stdout/stderr to its component logs, and raises `GuestError` for
anything that went wrong inside the guest.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from spin.runtime.errors import GuestError
from spin.runtime.http.exchange import HttpExchange, RequestHead
from spin.runtime.http_types import HttpRequest, HttpResponse

#: Exports that make a core module a Spin 1.x guest: handlers that take values need the guest's
#: `canonical_abi_realloc`; the timer's handler takes none.
SPIN1_HANDLERS = ("handle-http-request", "handle-redis-message")
TIMER_HANDLER = "handle-timer-request"
COMMAND_ENTRY = "_start"


def wasm_layer(wasm: bytes) -> str:
    """ "module" or "component", from the binary's header; raises ValueError if not Wasm."""
    if len(wasm) < 8 or wasm[:4] != b"\0asm":
        raise ValueError("not a WebAssembly binary (no \\0asm header)")
    return "component" if int.from_bytes(wasm[6:8], "little") == 1 else "module"


def core_module_kind(exports: frozenset[str]) -> str | None:
    """ "spin1", "command" or None (nothing we can call) for a core module's exports."""
    if "canonical_abi_realloc" in exports and any(h in exports for h in SPIN1_HANDLERS):
        return "spin1"
    if TIMER_HANDLER in exports:
        return "spin1"
    if COMMAND_ENTRY in exports:
        return "command"
    return None


class Guest(ABC):
    """A compiled, linked guest, ready for calls from any thread."""

    id: str
    kind: str  # "spin1", "component", "wasi-http" or "command"
    exports: frozenset[str]

    def _unsupported(self, what: str) -> GuestError:
        return GuestError(self.id, f"a {self.kind} guest cannot {what}")

    @abstractmethod
    def handle_http(self, request: HttpRequest) -> HttpResponse:
        """Spin 1.x `handle-http-request` or component `fermyon:spin/inbound-http`."""

    def serve_http(self, head: RequestHead, exchange: HttpExchange) -> None:
        """A wasi:http `incoming-handler` request, its response streamed to `exchange`."""
        raise self._unsupported("serve wasi:http requests (it exports no incoming-handler)")

    @abstractmethod
    def run_command(
        self, argv: list[str], env: dict[str, str], stdin: bytes, stdout_limit: int | None = None
    ) -> bytes:
        """Run a WASI command's `_start`; returns what it wrote to stdout, which may be at most
        `stdout_limit` bytes (default: the output limit)."""

    @abstractmethod
    def handle_redis(self, payload: bytes) -> None:
        """Spin 1.x `handle-redis-message` or component `fermyon:spin/inbound-redis`."""

    def handle_redis_batch(self, payloads: list[bytes]) -> list[str | None]:
        """`handle_redis` for each payload in turn: for each, None or why it failed. One call
        for many messages: a burst costs the executor one round trip per batch, not per
        message (its loop has then time to read from Redis as fast as it sends)."""
        failures: list[str | None] = []
        for payload in payloads:
            try:
                self.handle_redis(payload)
            except GuestError as err:
                failures.append(err.reason)
            else:
                failures.append(None)
        return failures

    @abstractmethod
    def handle_timer(self) -> None:
        """The `handle-timer-request` export (core module or component)."""

    def handle_export(self, name: str, arguments: dict[str, Any]) -> None:
        """Call the function export `name` (top-level, else from any exported interface) of a
        trigger whose interface the runtime does not know (cron, MQTT): `arguments` maps the
        function's WIT parameter names to plain values (records as dicts, `list<u8>` as
        bytes); a parameter the function does not declare is left out. An error `result`
        raises `GuestError`."""
        raise self._unsupported(f"call `{name}` (only components export named handlers)")

    @abstractmethod
    def close(self) -> None:
        """Release what the guest holds on the host (staged files)."""
