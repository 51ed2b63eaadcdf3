"""A guest worker process: one `Runtime`, the app's components, one call at a time.

Started by `pool.WorkerPool` as `python -m spin.runtime.pool.worker <fd> <executor pid> <title>`
(the title `ps` shows, e.g. `spin http executor: guest worker`). It reads its setup from the
socket, loads the components (through the compiled-artefact cache), says which guests it holds,
then answers calls until the socket closes. Calls run on the main thread, one at a time: a
guest call makes many small ctypes calls, each of which releases and re-takes the GIL, and in
the executor's process that hand-off fought the event loop for the interpreter. A second thread
only reads the socket (`Inbox`), so that a cancel request interrupts the call in progress.

It lives exactly as long as its executor: the kernel kills it when the executor dies
(`PR_SET_PDEATHSIG`), it exits when the socket closes, and it ignores the stop signals a
terminal sends the whole process group (the executor decides when calls end).
"""

from __future__ import annotations

import contextlib
import queue
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from spin.console_log import configure_logging
from spin.errors import SpinError
from spin.heap import give_back_free_memory
from spin.parent_death import die_with_parent
from spin.proctitle import set_title
from spin.runtime.errors import GuestError
from spin.runtime.guest import Guest
from spin.runtime.http.exchange import BodyFailed, Headers, HttpExchange, RequestHead
from spin.runtime.http_types import HttpRequest
from spin.runtime.limits import interrupt_running_calls
from spin.runtime.pool import wire

#: The reason a cancelled call fails with (the executor discards it: its caller is gone).
CANCELLED = "cancelled: its caller went away"


def read_message(reader: BinaryIO) -> Any | None:
    """The next message, or None when the executor closed the socket."""
    header = reader.read(wire.HEADER.size)
    if len(header) < wire.HEADER.size:
        return None
    (size,) = wire.HEADER.unpack(header)
    payload = reader.read(size)
    if len(payload) < size:
        return None
    return wire.unframe(payload)


class Inbox:
    """The executor's messages, read on a thread of their own, so that a cancel request is
    acted on while the main thread is inside a guest call (the Wasm runs without the GIL)."""

    def __init__(self, reader: BinaryIO, interrupt: Callable[[], object]) -> None:
        self._reader = reader
        self._interrupt = interrupt
        self._messages: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self.cancelled = False
        threading.Thread(target=self._read, name="executor-inbox", daemon=True).start()

    def _read(self) -> None:
        try:
            while (message := read_message(self._reader)) is not None:
                if message == wire.CANCEL_CALL:
                    self._cancel()
                else:
                    self._messages.put(message)
        except OSError:
            pass  # the executor is gone: so are we
        finally:
            self._messages.put(None)

    def _cancel(self) -> None:
        with self._lock:
            if self._running and not self.cancelled:
                self.cancelled = True
                self._interrupt()

    def next(self) -> Any | None:
        """The next call (or other message); None once the executor closed the socket."""
        return self._messages.get()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Around one call: a cancel request that comes meanwhile interrupts it."""
        with self._lock:
            self._running, self.cancelled = True, False
        try:
            yield
        finally:
            with self._lock:
                self._running = False


def interrupter(runtime: Any) -> Callable[[], None]:
    """What interrupts the call in progress: the calls running now are marked interrupted and
    the epoch is moved on, so the guest's tick callback stops it at its next epoch check (the
    worker runs one call at a time, so no other call is affected; see `limits`)."""
    engine = runtime.engine.engine

    def interrupt() -> None:
        interrupt_running_calls()
        engine.increment_epoch()

    return interrupt


def load_guests(setup: tuple[Any, list[tuple[dict[str, Any], str, bool]], dict[str, Any]]) -> Any:
    """The runtime and the guests the setup message names, in its order."""
    from spin.locked import LockedComponent
    from spin.runtime.logs import ComponentLogs
    from spin.runtime.runtime import Runtime

    config, components, variables = setup
    runtime = Runtime(config, compile_in_child=True)  # see spin.runtime.compiler
    guests = []
    try:
        for raw, log_dir, echo in components:
            logs = ComponentLogs(log_dir, raw["id"], echo=echo)
            guests.append(runtime.load(LockedComponent(raw), logs, variables))
    except BaseException:
        runtime.close()
        raise
    return runtime, guests


class WireExchange(HttpExchange):
    """A wasi:http request's exchange over the worker's socket (see `wire`).

    The response head is held until the first body write, the end, a read of the request
    body or a wait of the guest's (a timer, a poll), and goes out in the same write: a small
    response then reaches the executor in two writes instead of three, and more often in one
    read, which the executor answers with one send to the client.
    """

    def __init__(
        self, sock: socket.socket, inbox: Inbox, first_chunk: bytes, more_body: bool
    ) -> None:
        self._sock = sock
        self._inbox = inbox
        self._first: bytes | None = first_chunk
        self._more = more_body
        self._held = b""

    def _send(self, message: Any) -> None:
        frame = wire.frame(message)
        if self._held:
            frame, self._held = self._held + frame, b""
        self._sock.sendall(frame)

    def read_body(self) -> bytes | None:
        first, self._first = self._first, None
        if first:
            return first
        while self._more:
            self._send((wire.WANT_BODY, None))
            message = self._inbox.next()
            if message is None:
                raise ExecutorGone()
            chunk, more = message
            if chunk is None:  # the executor refused the rest of the body; `more` says why
                self._more = False
                raise BodyFailed(more)
            self._more = more
            if chunk:
                return bytes(chunk)
        return None

    def start(self, status: int, headers: Headers) -> None:
        self._held = wire.frame((wire.HEAD, (status, headers)))

    def flush(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            self._sock.sendall(held)

    def send(self, chunk: bytes) -> None:
        self._send((wire.BODY, chunk))

    def finish(self, trailers: Headers | None) -> None:
        self._send((wire.END, trailers))

    def abort(self, reason: str) -> None:
        self._send((wire.ABORT, reason))


class ExecutorGone(Exception):
    """The executor closed the socket in the middle of a call."""


def _handle_http(guest: Guest, arguments: tuple[Any, ...], _sock: Any, _inbox: Any) -> Any:
    response = guest.handle_http(HttpRequest(*arguments))
    return response.status, response.headers, response.body


def _serve_http(
    guest: Guest, arguments: tuple[Any, ...], sock: socket.socket, inbox: Inbox
) -> None:
    head, first_chunk, more_body = arguments
    guest.serve_http(RequestHead(*head), WireExchange(sock, inbox, first_chunk, more_body))


#: Operations whose arguments or result are not plain values, and how they are run. Any other
#: operation is the `Guest` method of that name, called with the arguments as they came.
ADAPTERS: dict[str, Callable[..., Any]] = {"handle_http": _handle_http, "serve_http": _serve_http}
#: What a call may name: the public methods of `Guest`, but for `close`.
OPERATIONS = frozenset(
    name for name, member in vars(Guest).items() if callable(member) and not name.startswith("_")
) - {"close"}


def call(
    guest: Guest,
    operation: str,
    arguments: tuple[Any, ...],
    sock: socket.socket | None = None,
    inbox: Inbox | None = None,
) -> Any:
    """Run one operation and turn its result into plain values."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    adapter = ADAPTERS.get(operation)
    if adapter is not None:
        return adapter(guest, arguments, sock, inbox)
    return getattr(guest, operation)(*arguments)


def serve(sock: socket.socket) -> None:
    reader = sock.makefile("rb")
    setup = read_message(reader)
    if setup is None:
        return
    try:
        runtime, guests = load_guests(setup)
    except SpinError as err:
        sock.sendall(wire.frame((wire.FAILED, str(err))))
        return
    except Exception:
        sock.sendall(wire.frame((wire.FAILED, traceback.format_exc())))
        return
    del setup
    give_back_free_memory()  # the setup message, compiler buffers: 1.6 MB
    try:
        sock.sendall(wire.frame((wire.READY, [(g.id, g.kind, sorted(g.exports)) for g in guests])))
        inbox = Inbox(reader, interrupter(runtime))
        while (message := inbox.next()) is not None:
            index, operation, arguments = message
            with inbox.running():
                try:
                    reply = (wire.OK, call(guests[index], operation, arguments, sock, inbox))
                except GuestError as err:
                    reply = (wire.GUEST_ERROR, CANCELLED if inbox.cancelled else err.reason)
                except Exception:  # a bug of ours: the executor logs it and keeps serving
                    reply = (wire.FAILED, traceback.format_exc())
            sock.sendall(wire.frame(reply))
    finally:
        runtime.close()


def main() -> None:
    fd, parent_pid, title = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    set_title(title)  # e.g. "spin http executor: guest worker"
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        signal.signal(stop_signal, signal.SIG_IGN)
    if not die_with_parent(parent_pid):  # the executor is already gone
        sys.exit(0)
    configure_logging()
    # A closed socket mid-reply means the executor is gone; so are we.
    with (
        socket.socket(fileno=fd) as sock,
        contextlib.suppress(BrokenPipeError, ConnectionResetError),
    ):
        serve(sock)


if __name__ == "__main__":
    main()
