"""The messages between an executor and its guest worker processes (see `pool`, `worker`).

Each message is a frame: a 4-byte little-endian length, then the payload: the number of raw
buffers (4 bytes) and their lengths (8 bytes each), a pickle of plain tuples, then the raw
buffers. Pickle protocol 5 on tuples of str/bytes/int measured a little faster than marshal,
and both far below the cost of a guest call; dataclasses would cost a class lookup per message.
Both ends are this package, so the payloads are trusted.

A request body (or a WAGI stdin) of RAW_THRESHOLD or more is a raw buffer, out of the pickle
(`PickleBuffer`): the executor writes it from where the HTTP server read it and the worker
unpickles it as a view of the frame it read, so the wire copies it nowhere. Pickled in-band
with the header concatenated, a 200 MiB POST peaked at ~4x its size in the executor.

    executor -> worker   setup: (RuntimeConfig, [(component dict, log dir, echo)], variables)
    worker -> executor   ready: (READY, [(id, kind, exports)]) or (FAILED, message)
    executor -> worker   call:  (guest index, operation, arguments)
    executor -> worker   CANCEL_CALL while a call runs: its caller went away, interrupt it
    worker -> executor   reply: (OK, result), (GUEST_ERROR, reason) or (FAILED, message)

An operation is the name of the `Guest` method to call (`"handle_http"`), so the methods of
`Guest` are the one list of operations: a new one needs its `PooledGuest` method, and an
adapter in `worker` only if its arguments or result are not plain values. The name costs 12
bytes per call next to an integer code, and no measurable time.

A streamed call (`serve_http`, a wasi:http request) has more messages before its reply:

    worker -> executor   (HEAD, (status, headers)), then (BODY, chunk)..., then
                         (END, trailers or None) or (ABORT, reason): the response
    worker -> executor   (WANT_BODY, None): the guest reads the request body
    executor -> worker   (chunk, more): the answer to WANT_BODY (chunk b"" and more False at
                         the end of the request body)

The call message carries the request's first body chunk and whether more follows, so a
request whose body came in one piece (most) needs no WANT_BODY round trip.
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

#: Frame header: the length of the payload that follows.
HEADER = struct.Struct("<I")
#: Payload prefix: how many raw buffers follow the pickle; then each one's length.
BUFFER_COUNT = struct.Struct("<I")
BUFFER_LENGTH = struct.Struct("<Q")
#: Byte strings at least this long travel as raw buffers; smaller ones stay in the pickle.
RAW_THRESHOLD = 64 * 1024
#: The largest payload a frame can announce.
MAX_PAYLOAD = 2**32 - 1

#: Reply tags.
OK = 0
READY = 1
GUEST_ERROR = 2
FAILED = 3  # a bug or a load error on the worker's side, with its message

#: Messages of a streamed call, before its reply.
HEAD = 10
BODY = 11
END = 12
ABORT = 13
WANT_BODY = 14
STREAMED = frozenset({HEAD, BODY, END, ABORT, WANT_BODY})

#: Not a call: the request to interrupt the call in progress (ignored between calls).
CANCEL_CALL = ("cancel",)

#: The byte strings a frame carries: raw buffers may be any of these.
Bytes = bytes | bytearray | memoryview

_NO_BUFFERS = BUFFER_COUNT.pack(0)


def raw(data: Bytes) -> Any:
    """`data`, marked to travel as a raw buffer when it is large enough to matter."""
    return pickle.PickleBuffer(data) if len(data) >= RAW_THRESHOLD else data


def frame(message: Any) -> bytes:
    """A message without raw buffers, ready to send."""
    payload = pickle.dumps(message, protocol=5)
    return HEADER.pack(len(_NO_BUFFERS) + len(payload)) + _NO_BUFFERS + payload


def frame_pieces(message: Any) -> list[Bytes]:
    """A message as the pieces to send in order: its raw buffers are not copied."""
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    head = bytearray(BUFFER_COUNT.pack(len(views)))
    for view in views:
        head += BUFFER_LENGTH.pack(view.nbytes)
    size = len(head) + len(payload) + sum(view.nbytes for view in views)
    if size > MAX_PAYLOAD:
        raise ValueError(f"a message of {size} bytes is too large for the wire")
    return [HEADER.pack(size) + head + payload, *views]


def unframe(payload: Bytes) -> Any:
    """A message from the bytes that followed its header; its raw buffers come back as views
    of `payload` (read-only memoryviews, which the guests take where they take bytes)."""
    view = memoryview(payload)
    (count,) = BUFFER_COUNT.unpack_from(view)
    start = BUFFER_COUNT.size + BUFFER_LENGTH.size * count
    lengths = [length for (length,) in BUFFER_LENGTH.iter_unpack(view[BUFFER_COUNT.size : start])]
    pickle_end = offset = len(view) - sum(lengths)
    buffers = []
    for length in lengths:
        buffers.append(view[offset : offset + length])
        offset += length
    return pickle.loads(view[start:pickle_end], buffers=buffers)
