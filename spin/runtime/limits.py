"""Per-call limits: the deadline (epoch interruption), the memory cap (store limiter) and the
periodic check of what the call has written.

Every guest call gets a fresh `Store`; `CallLimits.apply` arms it, and `CallLimits.explain`
turns whatever the call raised into the reason a `GuestError` reports.

With a `watch` (the call's output check), the store's epoch deadline is one tick away and
wasmtime calls back at each tick: the callback runs the watch, checks the deadline itself, and
either gives the guest one more tick or stops it with the reason (in `host_failures`, as a host
function's trap would). `interrupt_running_calls` (a worker whose caller went away) stops the
calls running at that moment the same way, deadline or not. The callback runs on the guest's
thread while the guest is paused, at 100 Hz only while a call runs.
"""

from __future__ import annotations

import ctypes
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

import wasmtime
from wasmtime import _ffi as ffi

from spin.runtime.config import MEBIBYTE, RuntimeConfig
from spin.runtime.engine import WasmEngine
from spin.runtime.errors import host_failures

#: An epoch deadline far enough away to mean "none" (wasmtime wants some deadline).
NO_DEADLINE = 2**62
#: wasmtime_update_deadline_kind_t: go on running the guest (rather than yield).
UPDATE_DEADLINE_CONTINUE = 0

#: A check run at every tick: the reason to stop the call, or None.
Watch = Callable[[], "str | None"]


@dataclass(frozen=True)
class CallLimits:
    timeout: float | None
    memory_limit: int | None
    deadline_ticks: int
    output_limit: int | None = None

    @classmethod
    def from_config(cls, config: RuntimeConfig) -> CallLimits:
        timeout = config.instance_timeout
        ticks = WasmEngine.ticks_for(timeout) if timeout is not None else NO_DEADLINE
        return cls(
            timeout=timeout,
            memory_limit=config.memory_limit,
            deadline_ticks=ticks,
            output_limit=config.output_limit,
        )

    def apply(self, store: wasmtime.Store, watch: Watch | None = None) -> None:
        """Arm `store`; with `watch`, run it at every tick (see the module's docstring)."""
        # The deadline counts from now: set it last, right before instantiating.
        if self.memory_limit is not None:
            store.set_limits(memory_size=self.memory_limit)
        if watch is None:
            store.set_epoch_deadline(self.deadline_ticks)
            return
        deadline = time.monotonic() + self.timeout if self.timeout is not None else None
        key = next(_keys)
        _ticking[key] = _Ticking(watch, deadline, self.timeout, _interruptions)
        ffi.wasmtime_store_epoch_deadline_callback(
            store.ptr(), _on_tick, ctypes.c_void_p(key), _forget
        )
        store.set_epoch_deadline(1)

    def explain(self, err: BaseException, memory_bytes: int | None = None) -> str:
        """A one-line reason for a failed call; names the deadline when it was hit, and the
        guest's memory use against the limit when there is one."""
        message = _summary(err)
        text = str(err)
        if "interrupt" in text and self.timeout is not None:
            return f"exceeded the {self.timeout:g} s deadline"
        if self.memory_limit is not None and memory_bytes is not None:
            # wasmtime does not say whether a growth was refused: show how close the guest was.
            return (
                f"{message} (memory: {memory_bytes / MEBIBYTE:.1f} MiB of the "
                f"{self.memory_limit / MEBIBYTE:g} MiB limit)"
            )
        return message


def _summary(err: BaseException) -> str:
    """The useful line of a wasmtime error: its cause, without the backtrace."""
    text = str(err).strip()
    if "Caused by:" in text:
        causes = text.split("Caused by:", 1)[1].strip().splitlines()
        return "; ".join(line.strip() for line in causes if line.strip())
    return text.splitlines()[0] if text else type(err).__name__


def interrupt_running_calls() -> None:
    """Stop every call running now (at its next tick), from any thread: a worker's caller
    went away. Calls armed afterwards are not affected."""
    global _interruptions
    _interruptions += 1


@dataclass(frozen=True)
class _Ticking:
    """What the tick callback checks for one store."""

    watch: Watch
    deadline: float | None  # time.monotonic() at which the call has run too long
    timeout: float | None
    interruptions: int  # `_interruptions` when the call started

    def reason_to_stop(self) -> str | None:
        if _interruptions != self.interruptions:
            return "interrupted: its caller went away"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return f"exceeded the {self.timeout:g} s deadline"
        return self.watch()


#: How many times `interrupt_running_calls` was called (an int: one assignment is atomic).
_interruptions = 0


#: The stores being watched, by the key their callback receives (removed when wasmtime drops
#: the store and calls `_forget`).
_ticking: dict[int, _Ticking] = {}
_keys = itertools.count(1)


@ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)
def _on_tick(context: object, key: int | None, delta: object, kind: object) -> int:
    ticking = _ticking.get(key or 0)
    try:
        reason = ticking.reason_to_stop() if ticking is not None else None
    except Exception as err:  # nothing may cross back into wasmtime
        reason = f"the runtime failed to check the call: {err!r}"
    if reason is None:
        delta[0] = 1  # type: ignore[index]
        kind[0] = UPDATE_DEADLINE_CONTINUE  # type: ignore[index]
        return 0
    host_failures.reason = reason
    error = ffi.wasmtime_error_new(reason.encode())
    return ctypes.cast(error, ctypes.c_void_p).value or 0


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _forget(key: int | None) -> None:
    _ticking.pop(key or 0, None)
