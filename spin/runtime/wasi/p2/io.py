"""wasi:io: `error`, `poll` (pollables) and `streams` (input and output streams).

Streams and pollables are Python classes that the other interfaces subclass: stdout writes a
file descriptor, a request body reads the executor's chunks, a response body sends them. A
guest call runs on one thread, so "blocking" means this thread waits (up to the call's
deadline); a non-blocking read with nothing buffered waits too, since nothing else could make
progress in the meantime.
"""

from __future__ import annotations

import time
from typing import Any

from wasmtime.component import Variant

from spin.runtime.wasi.p2.host import Err, Resource, Trap, WasiCall
from spin.runtime.wasi.p2.registry import Interface

error = Interface("wasi:io/error")
poll = Interface("wasi:io/poll")
streams = Interface("wasi:io/streams", error=Variant("closed"))

#: What `check-write` allows at once; a write may be up to this many bytes.
WRITE_BUDGET = 1 << 20
CLOSED = Variant("closed")


class IoError(Resource):
    def __init__(self, message: str) -> None:
        self.message = message


def failed(message: str) -> Err:
    """`stream-error.last-operation-failed` with an error saying `message`."""
    return Err(Variant("last-operation-failed", IoError(message)))


@error.func("[method]error.to-debug-string")
def to_debug_string(call: WasiCall, err: IoError) -> str:
    return err.message


# -- pollables -------------------------------------------------------------------------------


class Pollable(Resource):
    """Ready now (the default), at a time, or when a stream has something."""

    def ready(self) -> bool:
        return True

    def block(self, call: WasiCall, until: float | None = None) -> None:
        """Wait until ready, or until the monotonic time `until` if that comes first."""


class TimerPollable(Pollable):
    def __init__(self, at: float) -> None:
        self.at = at  # time.monotonic() seconds

    def ready(self) -> bool:
        return time.monotonic() >= self.at

    def block(self, call: WasiCall, until: float | None = None) -> None:
        call.sleep_until(self.at if until is None else min(self.at, until))


class StreamPollable(Pollable):
    """Ready when its stream can be read (or written) without waiting."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def ready(self) -> bool:
        return bool(self.stream.ready())

    def block(self, call: WasiCall, until: float | None = None) -> None:
        self.stream.wait(call)


@poll.func("[method]pollable.ready")
def pollable_ready(call: WasiCall, pollable: Pollable) -> bool:
    return pollable.ready()


@poll.func("[method]pollable.block")
def pollable_block(call: WasiCall, pollable: Pollable) -> None:
    call.check_deadline()
    if not pollable.ready():
        call.waiting()
        pollable.block(call)


@poll.func("poll")
def poll_list(call: WasiCall, pollables: list[Pollable]) -> list[int]:
    if not pollables:
        raise Trap("poll: the list of pollables is empty")
    while True:
        call.check_deadline()
        ready = [index for index, pollable in enumerate(pollables) if pollable.ready()]
        if ready:
            return ready
        call.waiting()
        timers = [p.at for p in pollables if isinstance(p, TimerPollable)]
        soonest = min(timers) if timers else None
        waiting = [p for p in pollables if not isinstance(p, TimerPollable)]
        if waiting:
            waiting[0].block(call, soonest)
        elif soonest is not None:
            call.sleep_until(soonest)


# -- streams ---------------------------------------------------------------------------------


class InputStream(Resource):
    """Subclasses implement `read_chunk`; the rest follows."""

    def read_chunk(self, call: WasiCall, size: int) -> bytes | None:
        """Up to `size` bytes (waiting if need be); None at the end of the stream."""
        return None

    def ready(self) -> bool:
        return True

    def wait(self, call: WasiCall) -> None:
        pass

    def read(self, call: WasiCall, size: int) -> bytes:
        if size == 0:
            return b""
        data = self.read_chunk(call, size)
        if data is None:
            raise Err(CLOSED)
        return data


class BytesInput(InputStream):
    """A stream over bytes in memory (stdin, a file's contents)."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = memoryview(data)

    def read_chunk(self, call: WasiCall, size: int) -> bytes | None:
        if not self.data:
            return None
        chunk, self.data = self.data[:size], self.data[size:]
        return bytes(chunk)


class ChunkedInput(InputStream):
    """A stream over a source that yields chunks of its own sizes (a request or response body):
    each read takes up to `size` bytes of the current chunk. Subclasses implement `next_chunk`."""

    def __init__(self) -> None:
        self.buffer = memoryview(b"")
        self.ended = False

    def next_chunk(self, call: WasiCall) -> bytes | None:
        """The source's next chunk (waiting if need be); None at its end."""
        return None

    def read_chunk(self, call: WasiCall, size: int) -> bytes | None:
        while not self.buffer:
            if self.ended:
                return None
            chunk = self.next_chunk(call)
            if chunk is None:
                self.ended = True
                return None
            self.buffer = memoryview(chunk)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return bytes(data)


class OutputStream(Resource):
    """Subclasses implement `send`; `flush` when they buffer."""

    closed = False

    def send(self, call: WasiCall, data: bytes) -> None:
        pass

    def flush(self, call: WasiCall) -> None:
        pass

    def ready(self) -> bool:
        return True

    def wait(self, call: WasiCall) -> None:
        pass

    def check(self) -> None:
        if self.closed:
            raise Err(CLOSED)


class FdOutput(OutputStream):
    """Output to a file descriptor (the call's captured stdout or stderr)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def send(self, call: WasiCall, data: bytes) -> None:
        call.write_output(self.fd, data)


class NullOutput(OutputStream):
    pass


@streams.func("[method]input-stream.read")
def input_read(call: WasiCall, stream: InputStream, size: int) -> bytes:
    return stream.read(call, size)


@streams.func("[method]input-stream.blocking-read")
def input_blocking_read(call: WasiCall, stream: InputStream, size: int) -> bytes:
    return stream.read(call, size)


@streams.func("[method]input-stream.skip")
def input_skip(call: WasiCall, stream: InputStream, size: int) -> int:
    return len(stream.read(call, size))


@streams.func("[method]input-stream.blocking-skip")
def input_blocking_skip(call: WasiCall, stream: InputStream, size: int) -> int:
    return len(stream.read(call, size))


@streams.func("[method]input-stream.subscribe")
def input_subscribe(call: WasiCall, stream: InputStream) -> Pollable:
    return StreamPollable(stream)


@streams.func("[method]output-stream.check-write")
def output_check_write(call: WasiCall, stream: OutputStream) -> int:
    stream.check()
    return WRITE_BUDGET


@streams.func("[method]output-stream.write")
def output_write(call: WasiCall, stream: OutputStream, contents: bytes) -> None:
    stream.check()
    if len(contents) > WRITE_BUDGET:
        raise Trap(f"output-stream.write of {len(contents)} bytes: more than check-write allowed")
    stream.send(call, contents)


@streams.func("[method]output-stream.blocking-write-and-flush")
def output_write_and_flush(call: WasiCall, stream: OutputStream, contents: bytes) -> None:
    stream.check()
    stream.send(call, contents)
    stream.flush(call)


@streams.func("[method]output-stream.flush")
def output_flush(call: WasiCall, stream: OutputStream) -> None:
    stream.check()
    stream.flush(call)


@streams.func("[method]output-stream.blocking-flush")
def output_blocking_flush(call: WasiCall, stream: OutputStream) -> None:
    stream.check()
    stream.flush(call)


@streams.func("[method]output-stream.subscribe")
def output_subscribe(call: WasiCall, stream: OutputStream) -> Pollable:
    return StreamPollable(stream)


@streams.func("[method]output-stream.write-zeroes")
def output_write_zeroes(call: WasiCall, stream: OutputStream, size: int) -> None:
    stream.check()
    stream.send(call, bytes(size))


@streams.func("[method]output-stream.blocking-write-zeroes-and-flush")
def output_write_zeroes_and_flush(call: WasiCall, stream: OutputStream, size: int) -> None:
    stream.check()
    stream.send(call, bytes(size))
    stream.flush(call)


def _splice(call: WasiCall, stream: OutputStream, source: InputStream, size: int) -> int:
    stream.check()
    data = source.read(call, min(size, WRITE_BUDGET))
    stream.send(call, data)
    return len(data)


streams.func("[method]output-stream.splice")(_splice)
streams.func("[method]output-stream.blocking-splice")(_splice)

INTERFACES = (error, poll, streams)
