"""Guest calls in worker processes: how executors run Wasm without stalling their event loop.

A guest call makes many small ctypes calls into wasmtime, each of which releases and re-takes
the GIL; on a worker thread of the executor those hand-offs fought the event loop for the
interpreter and cost more CPU than the Wasm itself. So the pool runs single-threaded worker
processes (`worker`), each with its own `Runtime` holding the same components (the
compiled-artefact cache makes loading them a deserialisation). A call goes to an idle worker
over its socket and is awaited without blocking the loop; calls queue when every worker is
busy, and one slow guest occupies one worker, not the server.

Workers start on demand: the pool starts `warm` of them (at least one, which checks that the
app loads), starts another whenever a call has to wait, up to `workers`, and lets a worker that
stayed idle for `idle_timeout` exit, down to `warm`. Each worker is ~23 MB of PSS, so an idle
app costs one (HTTP, whose first request after a quiet period must not wait for a worker to
start) or none (Redis, timers) per executor instead of one per CPU.

    async with open_pool(RuntimeConfig(...), loads, variables, workers=4) as pool:
        response = await pool.guests["hello"].handle_http(request)

A worker that dies (a crash, SIGKILL) or stays silent well past the call deadline fails the
call in flight with a `GuestError` and is replaced. Workers die with the executor (see
`worker`) and are stopped when the pool closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from spin.errors import SpinError
from spin.proctitle import current_title
from spin.runtime.config import RuntimeConfig
from spin.runtime.errors import GuestError
from spin.runtime.http.exchange import RequestHead
from spin.runtime.http_types import HttpRequest, HttpResponse
from spin.runtime.pool import wire
from spin.runtime.pool.turns import Turns

if TYPE_CHECKING:
    from spin.locked import LockedComponent
    from spin.runtime.logs import ComponentLogs

log = logging.getLogger("spin.runtime.pool")

#: How long past the guest deadline a silent worker is presumed hung (and replaced).
HANG_MARGIN = 10.0
#: Pause between attempts to start a replacement worker that failed to start.
RESPAWN_DELAY = 1.0
#: How long a worker may take to exit once its socket is closed, before it is killed.
EXIT_WAIT = 5.0
#: How long a worker may take to interrupt an abandoned call before it is replaced instead.
CANCEL_WAIT = 2.0
#: How long a worker beyond the pool's `warm` ones may stay idle before it exits, by default
#: (`--wasm-idle-timeout`): long enough that steady traffic keeps its workers, short enough
#: that a burst's extra ~23 MB each are given back within a minute.
IDLE_TIMEOUT = 30.0
#: A raw buffer is handed to the socket this much at a time, as it drains: the transport
#: copies what the socket does not take at once, so it never holds more than this of a body.
WRITE_SLICE = 1024 * 1024
#: Unread messages from a worker at which its socket stops being read, and where it resumes.
QUEUE_HIGH = 16
QUEUE_LOW = 4


@dataclass(frozen=True)
class GuestLoad:
    """A component to load in every worker, and where its output goes."""

    component: LockedComponent
    logs: ComponentLogs


#: Receives a streamed call's messages: (tag, value, channel) -> an answer for the worker or None.
OnMessage = Callable[[int, Any, "WorkerChannel"], Awaitable[Any]]


class WorkerDied(Exception):
    """The worker's socket closed mid-call: the process is gone."""


class WorkerFailure(Exception):
    """A bug on the worker's side (not the guest's); the message is its traceback."""


class PooledGuest:
    """A guest loaded in every worker: `Guest`'s calls, awaited instead of blocking."""

    def __init__(
        self, pool: WorkerPool, index: int, guest_id: str, kind: str, exports: frozenset[str]
    ) -> None:
        self.id = guest_id
        self.kind = kind
        self.exports = exports
        self._pool = pool
        self._index = index

    async def handle_http(self, request: HttpRequest) -> HttpResponse:
        body = wire.raw(request.body)
        arguments = (request.method, request.uri, request.headers, request.params, body)
        status, headers, body = await self._pool.call(self, "handle_http", arguments)
        return HttpResponse(status, headers, body)

    async def serve_http(
        self, head: RequestHead, first_chunk: wire.Bytes, more_body: bool, on_message: OnMessage
    ) -> None:
        """A wasi:http request, streamed both ways (see `wire`): the response's messages and
        the worker's requests for more body go to `on_message`."""
        head_tuple = (
            head.method,
            head.path_with_query,
            head.scheme,
            head.authority,
            head.headers,
        )
        arguments = (head_tuple, wire.raw(first_chunk), more_body)
        await self._pool.call(self, "serve_http", arguments, on_message)

    async def run_command(
        self,
        argv: list[str],
        env: dict[str, str],
        stdin: wire.Bytes,
        stdout_limit: int | None = None,
    ) -> bytes:
        arguments = (argv, env, wire.raw(stdin), stdout_limit)
        stdout: bytes = await self._pool.call(self, "run_command", arguments)
        return stdout

    async def handle_redis(self, payload: bytes) -> None:
        await self._pool.call(self, "handle_redis", (payload,))

    async def handle_redis_batch(self, payloads: list[bytes]) -> list[str | None]:
        failures: list[str | None] = await self._pool.call(
            self, "handle_redis_batch", (payloads,), calls=len(payloads)
        )
        return failures

    async def handle_timer(self) -> None:
        await self._pool.call(self, "handle_timer", ())

    async def handle_export(self, name: str, arguments: dict[str, Any]) -> None:
        """Call the export `name` with arguments by WIT parameter name (`Guest.handle_export`):
        how external triggers (cron, MQTT) call the handlers of their own WIT worlds."""
        await self._pool.call(self, "handle_export", (name, arguments))


class WorkerChannel(asyncio.Protocol):
    """The executor's end of a worker's socket: frames out, messages in, in order.

    A bare asyncio protocol and future: measured against anyio's socket stream, buffered reader
    and memory-stream dispatch, it cut the event loop's CPU per call from ~170 to ~80 µs, which
    is most of what the pool costs the server. A streamed call's messages queue here; past
    QUEUE_HIGH unread ones the socket is no longer read, so a worker that writes faster than
    the client reads blocks in its own send (backpressure up to the guest).
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._messages: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None  # set while the socket is full
        self._lost = False
        self._paused = False
        #: told when the socket closes (the worker is gone), whatever it was doing
        self.on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start = 0
        while len(buffer) - start >= wire.HEADER.size:
            (size,) = wire.HEADER.unpack_from(buffer, start)
            end = start + wire.HEADER.size + size
            if len(buffer) < end:
                break
            self._messages.append(bytes(buffer[start + wire.HEADER.size : end]))
            start = end
        if start:
            del buffer[:start]
        if self._messages:
            self._wake()
            if len(self._messages) >= QUEUE_HIGH and not self._paused and self.transport:
                self._paused = True
                self.transport.pause_reading()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._wake()
        if self.on_lost is not None:
            self.on_lost()

    async def send(self, message: bytes | list[wire.Bytes]) -> None:
        """Write a frame (or a frame's pieces, a slice at a time as the socket drains)."""
        if self._lost or self.transport is None:
            raise WorkerDied()
        if isinstance(message, bytes):
            self.transport.write(message)
            return
        for piece in message:
            view = memoryview(piece)
            for start in range(0, len(view), WRITE_SLICE):
                if self._writable is not None:
                    await self._writable
                if self._lost:
                    raise WorkerDied()
                self.transport.write(view[start : start + WRITE_SLICE])

    async def receive(self) -> Any:
        """The next message; WorkerDied if the socket closes first."""
        while not self._messages:
            if self._lost:
                raise WorkerDied()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        payload = self._messages.popleft()
        if self._paused and len(self._messages) <= QUEUE_LOW and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return wire.unframe(payload)

    def take_body_chunks(self, limit: int) -> list[bytes]:
        """Response body chunks already queued behind the current one (up to `limit` bytes),
        so that they go to the client in one write."""
        chunks: list[bytes] = []
        total = 0
        while self._messages and total < limit:
            tag, value = wire.unframe(self._messages[0])
            if tag != wire.BODY:
                break
            self._messages.popleft()
            chunks.append(value)
            total += len(value)
        return chunks

    def pending(self) -> int:
        """How many messages are queued, unread."""
        return len(self._messages)

    def take_end(self) -> tuple[bool, Any]:
        """(True, trailers) if the next queued message ends the response body (it is taken),
        else (False, None)."""
        if self._messages:
            tag, value = wire.unframe(self._messages[0])
            if tag == wire.END:
                self._messages.popleft()
                return True, value
        return False, None

    async def exchange(self, message: bytes | list[wire.Bytes]) -> Any:
        """Send one message and await the reply; WorkerDied if the socket closes first."""
        await self.send(message)
        return await self.receive()


class Worker:
    """One worker process and the executor's end of its socket."""

    def __init__(self, process: subprocess.Popen[bytes], channel: WorkerChannel) -> None:
        self.process = process
        self.channel = channel
        self.busy = False
        self.hung = False
        self.idle_since = 0.0

    @classmethod
    async def start(cls, setup: bytes, niceness: int = 0) -> tuple[Worker, Any]:
        """Start a worker, send it the setup, and wait for its ready (or failed) message.

        Called on the event loop's thread: the worker's PR_SET_PDEATHSIG fires when the
        *thread* that started it ends, and the loop's thread lives as long as the executor.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "spin.runtime.pool.worker",
                    str(theirs.fileno()),
                    str(os.getpid()),
                    f"{current_title()}: guest worker",
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        if niceness:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
        _, channel = await asyncio.get_running_loop().connect_accepted_socket(WorkerChannel, ours)
        worker = cls(process, channel)
        try:
            return worker, await worker.exchange(setup)
        except BaseException:
            worker.kill()
            process.wait()
            raise

    async def exchange(self, message: bytes | list[wire.Bytes]) -> Any:
        await self.send(message)
        return await self.receive()

    async def send(self, message: bytes | list[wire.Bytes]) -> None:
        try:
            await self.channel.send(message)
        except WorkerDied:
            await self.reap()
            raise WorkerDied(self.describe_exit()) from None

    async def receive(self) -> Any:
        try:
            return await self.channel.receive()
        except WorkerDied:
            await self.reap()  # the socket closes a moment before the exit status is there
            raise WorkerDied(self.describe_exit()) from None

    def describe_exit(self) -> str:
        code = self.process.poll()
        if code is None:
            return f"worker {self.process.pid} closed its socket"
        if code < 0:
            return f"worker {self.process.pid} was killed by {signal.Signals(-code).name}"
        return f"worker {self.process.pid} exited with code {code}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()

    def hang_up(self) -> None:
        """The call outlived the guest's own deadline by HANG_MARGIN: the worker is stuck
        outside the Wasm. Killing it fails the call (WorkerDied), which replaces it."""
        self.hung = True
        self.kill()

    async def close(self) -> None:
        """Close the socket (the worker exits on end of file); kill it if it lingers."""
        if self.channel.transport is not None:
            self.channel.transport.close()
        await self.reap()

    async def reap(self) -> None:
        """Wait for the process to exit (killing it after EXIT_WAIT) and collect its status."""
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(self.process.wait, EXIT_WAIT)
            except subprocess.TimeoutExpired:
                self.kill()
                await anyio.to_thread.run_sync(self.process.wait)


class WorkerPool:
    """The worker processes of one executor and the guests they all hold.

    It starts with `warm` workers (at least one) and grows, one worker at a time, while calls
    have to wait for one: up to `size` for any call, and on up to `max_size` for a call whose
    component runs nothing (the others' calls hold every worker). A worker beyond `warm` that
    has been idle for `idle_timeout` is stopped. Which waiting call gets a free worker is
    `turns.Turns`' decision.
    """

    def __init__(
        self,
        config: RuntimeConfig,
        setup: bytes,
        size: int,
        max_size: int | None = None,
        max_wait: float | None = None,
        niceness: int = 0,
        warm: int = 1,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.size = size
        self.max_size = max(size, max_size or size)
        self.warm = min(max(0, warm), self.max_size)
        self.idle_timeout = idle_timeout
        self.guests: dict[str, PooledGuest] = {}
        self._setup = setup
        self._niceness = niceness
        #: background work (replacing workers, the hang watchdog): plain asyncio tasks, so
        #: that the code using the pool does not run inside a task group of ours
        self._tasks: set[asyncio.Task[None]] = set()
        self._workers: set[Worker] = set()
        self._starting = 0
        self._turns: Turns[Worker] = Turns(self.max_size, max_wait)
        self._turns.on_shortage = self._grow
        self._retire_timer: asyncio.TimerHandle | None = None
        self._timeout = config.instance_timeout

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return sorted(worker.process.pid for worker in self._workers)

    @property
    def busy_pids(self) -> list[int]:
        """The ids of the workers running a call."""
        return sorted(w.process.pid for w in self._workers if w.busy)

    async def call(
        self,
        guest: PooledGuest,
        operation: str,
        arguments: tuple[Any, ...],
        on_message: OnMessage | None = None,
        *,
        calls: int = 1,
    ) -> Any:
        """Run one operation (a `Guest` method's name) on a worker, waiting in turn if none is
        free for it (see `turns`). A streamed operation's messages before the reply go to
        `on_message`, whose answer (if not None) goes back to the worker. A caller cancelled
        while waiting leaves the queue; cancelled while its call runs, the worker is told to
        interrupt it (`_abandon`). `calls` is how many guest calls the operation makes (each
        with its own deadline), for the hang watchdog."""
        message = wire.frame_pieces((guest._index, operation, arguments))
        worker = await self._turns.take(guest._index, guest.id)
        worker.busy = True
        sent = False
        # A timer per call, not a periodic sweep: an idle executor never wakes up for it.
        reply_limit = self._timeout * calls + HANG_MARGIN if self._timeout is not None else None
        watchdog = (
            asyncio.get_running_loop().call_later(reply_limit, worker.hang_up)
            if reply_limit is not None
            else None
        )
        try:
            await worker.send(message)
            sent = True
            tag, value = await worker.receive()
            while tag in wire.STREAMED:
                if on_message is None:
                    raise WorkerFailure(f"unexpected streamed message {tag} from the worker")
                answer = await on_message(tag, value, worker.channel)
                if answer is not None:
                    await worker.send(wire.frame_pieces(answer))
                tag, value = await worker.receive()
        except WorkerDied as died:
            self._turns.forget(guest._index)
            self._replace(worker)
            if worker.hung:
                reason = f"no answer within {reply_limit:g} s: its worker was replaced"
            else:
                reason = f"the call was lost: {died} (a new worker is starting)"
            raise GuestError(guest.id, reason) from None
        except BaseException:  # cancelled mid-call: free the worker without waiting for it
            self._in_background(self._abandon(worker, guest._index, sent))
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
        worker.busy = False
        self._release(worker, guest._index)
        if tag == wire.OK:
            return value
        if tag == wire.GUEST_ERROR:
            raise GuestError(guest.id, value)
        raise WorkerFailure(f"{operation} of {guest.id!r}: {value}")

    async def _abandon(self, worker: Worker, guest: int, sent: bool) -> None:
        """The caller of a running call went away: the worker interrupts the guest, its late
        messages are read and dropped, and it serves on (10 abandoned calls to a looping guest
        used to hold the workers until their deadline). A worker that does not answer within
        CANCEL_WAIT, or whose call went out in part, is replaced."""
        if sent and await self._interrupted(worker):
            worker.busy = False
            self._release(worker, guest)
        else:
            self._turns.forget(guest)
            self._replace(worker)

    @staticmethod
    async def _interrupted(worker: Worker) -> bool:
        try:
            async with asyncio.timeout(CANCEL_WAIT):
                await worker.send(wire.frame(wire.CANCEL_CALL))
                while True:
                    tag, _ = await worker.receive()
                    if tag == wire.WANT_BODY:  # a streamed call: its request body ends here
                        await worker.send(wire.frame((b"", False)))
                    elif tag not in wire.STREAMED:
                        return True
        except (TimeoutError, WorkerDied):
            return False

    def _add(self, worker: Worker) -> None:
        self._workers.add(worker)
        worker.channel.on_lost = lambda: self._lost_while_idle(worker)

    def _lost_while_idle(self, worker: Worker) -> None:
        """An idle worker died (a busy one fails its call, which replaces it): replace it if
        the pool needs it to stay warm, else just let it go."""
        if worker not in self._turns.idle:
            return
        self._turns.idle.remove(worker)
        if len(self._workers) - 1 + self._starting < self.warm:
            self._replace(worker)
            return
        self._workers.discard(worker)
        log.warning("idle guest worker %d is gone (%s)", worker.process.pid, worker.describe_exit())
        self._in_background(worker.close())

    def _release(self, worker: Worker, guest: int | None) -> None:
        worker.idle_since = time.monotonic()
        self._turns.put(worker, guest)
        if len(self._workers) > self.warm and self._retire_timer is None:
            self._retire_timer = asyncio.get_running_loop().call_later(
                self.idle_timeout, self._retire_idle
            )

    def _retire_idle(self) -> None:
        """Stop the workers beyond `warm` that stayed idle for `idle_timeout`; look again when
        the next one would have."""
        self._retire_timer = None
        now = time.monotonic()
        for worker in sorted(self._turns.idle, key=lambda w: w.idle_since):
            if len(self._workers) <= self.warm or now - worker.idle_since < self.idle_timeout:
                break
            self._turns.idle.remove(worker)
            self._workers.discard(worker)
            log.debug(
                "guest worker %d idle for %g s: stopping it", worker.process.pid, self.idle_timeout
            )
            self._in_background(worker.close())
        if len(self._workers) > self.warm:
            idle = [w.idle_since for w in self._turns.idle]
            due = min(idle) + self.idle_timeout - now if idle else self.idle_timeout
            self._retire_timer = asyncio.get_running_loop().call_later(
                max(due, 0.01), self._retire_idle
            )

    def _grow(self, starved: bool) -> None:
        """A call has to wait for want of a free worker: start one more, up to `size`, or up
        to `max_size` when the call's component runs nothing (others hold every worker)."""
        count = len(self._workers) + self._starting
        if count < self.size or (starved and count < self.max_size):
            self._starting += 1
            self._in_background(self._start_extra())

    async def _start_extra(self) -> None:
        try:
            worker, (tag, value) = await Worker.start(self._setup, self._niceness)
        except Exception as err:
            log.error("an extra guest worker could not start: %s", err)
            return
        finally:
            self._starting -= 1
        if tag != wire.READY:
            log.error("an extra guest worker could not load the app: %s", value)
            await worker.close()
            return
        log.debug("calls are waiting: started guest worker %d", worker.process.pid)
        self._add(worker)
        self._release(worker, None)

    # -- starting and replacing workers ---------------------------------------------------

    async def start(self) -> None:
        """Start the warm workers (at least one) at once; return when all are ready. SpinError
        if the components cannot be loaded (the message is the runtime's, from the first worker
        to say so)."""
        outcomes: list[tuple[Worker, Any] | BaseException] = []

        async def start_one() -> None:
            try:
                outcomes.append(await Worker.start(self._setup, self._niceness))
            except Exception as err:
                outcomes.append(err)

        async with anyio.create_task_group() as starting:
            for _ in range(max(1, self.warm)):
                starting.start_soon(start_one)
        problem = None
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                problem = problem or SpinError(f"A guest worker could not start: {outcome}")
                continue
            worker, (tag, value) = outcome
            self._add(worker)
            if tag != wire.READY:
                problem = problem or SpinError(value)
            elif not self.guests:
                self._describe_guests(value)
        if problem is not None:
            raise problem
        if len(self.guests) > 1:  # no component may hold every worker
            self._turns.guest_limit = max(1, self.max_size - 1)
        for worker in self._workers:
            self._release(worker, None)

    def _describe_guests(self, described: list[tuple[str, str, list[str]]]) -> None:
        for index, (guest_id, kind, exports) in enumerate(described):
            self.guests[guest_id] = PooledGuest(self, index, guest_id, kind, frozenset(exports))

    def _replace(self, worker: Worker) -> None:
        """Kill a worker whose state is unknown and start another in the background."""
        worker.kill()
        self._workers.discard(worker)
        self._starting += 1  # counted until it serves, so that the pool does not also grow
        self._in_background(self._respawn(worker))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self, dead: Worker) -> None:
        await dead.close()
        log.warning(
            "guest worker %d is gone (%s); starting another", dead.process.pid, dead.describe_exit()
        )
        while True:
            try:
                worker, (tag, value) = await Worker.start(self._setup, self._niceness)
            except Exception as err:
                log.error("a replacement guest worker could not start: %s", err)
            else:
                if tag == wire.READY:
                    self._starting -= 1
                    self._add(worker)
                    self._release(worker, None)
                    return
                log.error("a replacement guest worker could not load the app: %s", value)
                await worker.close()
            await anyio.sleep(RESPAWN_DELAY)

    async def close(self) -> None:
        """Stop every worker (they finish no call: callers are done or cancelled by now)."""
        if self._retire_timer is not None:
            self._retire_timer.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        workers, self._workers, self._turns.idle = list(self._workers), set(), []
        async with anyio.create_task_group() as closing:
            for worker in workers:
                closing.start_soon(worker.close)


@asynccontextmanager
async def open_pool(
    config: RuntimeConfig,
    loads: list[GuestLoad],
    variables: dict[str, dict[str, Any]] | None = None,
    *,
    workers: int,
    max_workers: int | None = None,
    max_wait: float | None = None,
    niceness: int = 0,
    warm_workers: int = 1,
    idle_timeout: float = IDLE_TIMEOUT,
) -> AsyncIterator[WorkerPool]:
    """A pool of worker processes holding `loads`: `warm_workers` (at least one) started now,
    more while calls wait, up to `workers` (`max_workers` for a component the others' calls
    hold out); those beyond `warm_workers` exit once idle for `idle_timeout` s. A call waits
    at most `max_wait` s (see `turns`). Workers run at `niceness`, so that the executor's loop
    wins the CPU from them. Every worker is stopped on exit."""
    setup = wire.frame(
        (
            config,
            [(load.component.raw, load.logs.log_dir, load.logs.echo) for load in loads],
            variables or {},
        )
    )
    pool = WorkerPool(
        config,
        setup,
        max(1, workers),
        max_workers,
        max_wait,
        niceness,
        warm_workers,
        idle_timeout,
    )
    try:
        await pool.start()
        yield pool
    finally:
        with anyio.CancelScope(shield=True):
            await pool.close()
