"""What every WASI 0.2 host function works with: the call's state and its resource table.

A guest call runs in a fresh store on one thread. `WasiCall` is that call's state: the table of
resources the guest holds handles to (the handle's `rep` is the table key), its environment,
where its output goes, its mounted files and its deadline. Host functions receive it as their
first argument (`registry` finds it through `current()`, set for the duration of the call).

Host functions return the `ok` value of a `result<T, E>` and raise `Err(payload)` for its
`err`; nested results are written `Ok(value)` / `Err(payload)`. Variants are
`wasmtime.component.Variant`, enums are `str`, records are dicts, own handles are `Resource`
objects (the table gives them a handle), `list<u8>` is `bytes`. `Trap(reason)` traps the guest.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class Trap(Exception):
    """Trap the guest; the reason is what the call's GuestError says."""


class Exit(Trap):
    """`wasi:cli/exit.exit`: the guest ended itself (not a failure when the status is ok)."""

    def __init__(self, ok: bool) -> None:
        super().__init__(f"the guest exited with status {'0' if ok else '1'}")
        self.ok = ok


class Err(Exception):
    """The `err` case of a result (raised by a host function, or as a nested value)."""

    def __init__(self, payload: Any = None) -> None:
        super().__init__(payload)
        self.payload = payload


@dataclass(frozen=True)
class Ok:
    """The `ok` case of a result nested in another value."""

    value: Any = None


class Resource:
    """A host object the guest holds handles to. `close` runs when the guest drops the handle
    (or the call ends with it still in the table)."""

    def close(self) -> None:
        pass


class ResourceTable:
    """The call's resources by `rep`."""

    def __init__(self) -> None:
        self._items: dict[int, Resource] = {}
        self._next = 1

    def add(self, item: Resource) -> int:
        rep = self._next
        self._next += 1
        self._items[rep] = item
        return rep

    def get(self, rep: int) -> Any:
        try:
            return self._items[rep]
        except KeyError:
            raise Trap(f"unknown resource handle {rep}") from None

    def take(self, rep: int) -> Any:
        """Remove an entry whose ownership the guest passed to the host."""
        try:
            return self._items.pop(rep)
        except KeyError:
            raise Trap(f"unknown resource handle {rep}") from None

    def drop(self, rep: int) -> None:
        item = self._items.pop(rep, None)
        if item is not None:
            item.close()

    def close_all(self) -> None:
        items, self._items = list(self._items.values()), {}
        for item in reversed(items):
            item.close()


@dataclass
class WasiCall:
    """One guest call's state. `extensions` holds what other host parts keep per call (the
    wasi:http exchange, for instance), by a key of their own."""

    env: list[tuple[str, str]]
    stdout_fd: int | None = None
    stderr_fd: int | None = None
    files: Any = None  # spin.runtime.wasi.files.MountedFiles
    timeout: float | None = None
    table: ResourceTable = field(default_factory=ResourceTable)
    extensions: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    #: run before the guest waits (a timer, a poll): what is held back must go out first
    before_waiting: list[Callable[[], None]] = field(default_factory=list)

    @property
    def deadline(self) -> float | None:
        return self.started + self.timeout if self.timeout is not None else None

    def waiting(self) -> None:
        """The guest is about to wait."""
        for flush in self.before_waiting:
            flush()

    def sleep_until(self, when: float) -> None:
        """Block until the monotonic time `when`; a trap if the call's deadline comes first."""
        self.waiting()
        deadline = self.deadline
        if deadline is not None and when > deadline:
            time.sleep(max(0.0, deadline - time.monotonic()))
            raise Trap(f"exceeded the {self.timeout:g} s deadline")
        delay = when - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def check_deadline(self) -> None:
        deadline = self.deadline
        if deadline is not None and time.monotonic() > deadline:
            raise Trap(f"exceeded the {self.timeout:g} s deadline")

    def write_output(self, fd: int | None, data: bytes) -> None:
        if fd is None:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]


_local = threading.local()


def current() -> WasiCall:
    call: WasiCall | None = getattr(_local, "call", None)
    if call is None:
        raise Trap("a WASI function was called outside of a guest call")
    return call


def current_or_none() -> WasiCall | None:
    return getattr(_local, "call", None)


@contextmanager
def running(call: WasiCall) -> Iterator[WasiCall]:
    """Make `call` the current one on this thread; its resources are closed afterwards."""
    previous = getattr(_local, "call", None)
    _local.call = call
    try:
        yield call
    finally:
        _local.call = previous
        call.table.close_all()
