"""The messages between an executor and its guest worker processes (see `pool`, `worker`).

Each message is a frame: a 4-byte little-endian length, then a pickle of plain tuples (pickle
protocol 5 on tuples of str/bytes/int measured a little faster than marshal, and both far below
the cost of a guest call; dataclasses would cost a class lookup per message). Both ends are this
package, so the payloads are trusted.

    executor -> worker   setup: (RuntimeConfig, [(component dict, log dir, echo)], variables)
    worker -> executor   ready: (READY, [(id, kind, exports)]) or (FAILED, message)
    executor -> worker   call:  (guest index, operation, arguments)
    worker -> executor   reply: (OK, result), (GUEST_ERROR, reason) or (FAILED, message)
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

#: Frame header: the length of the pickle that follows.
HEADER = struct.Struct("<I")

#: Reply tags.
OK = 0
READY = 1
GUEST_ERROR = 2
FAILED = 3  # a bug or a load error on the worker's side, with its message

#: Operations: the `Guest` methods a call names.
HANDLE_HTTP = 0
RUN_COMMAND = 1
HANDLE_REDIS = 2
HANDLE_TIMER = 3
OPERATION_NAMES = ("handle_http", "run_command", "handle_redis", "handle_timer")


def frame(message: Any) -> bytes:
    """A message, ready to send."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(payload)) + payload


def unframe(payload: bytes) -> Any:
    """A message from the bytes that followed its header."""
    return pickle.loads(payload)
