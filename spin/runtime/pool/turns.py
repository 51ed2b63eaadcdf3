"""Which call gets the next free worker: a fair share per component, and a bounded wait.

Calls used to queue first come, first served for any worker, so two calls to a slow component
on a 2-worker pool made every other route wait behind them (/hello: 1,394 -> 60 req/s, p99
8.7 ms -> 5.1 s). Now:

- each component may run at most `guest_limit` calls at once (the pool sets it one below its
  maximum size when it holds several components), so one component can never hold every worker;
- a worker that comes free goes to the components with waiting calls in turn (round robin),
  oldest call first within a component;
- a call that has waited `max_wait` seconds fails with `QueueTimeout` (an HTTP executor answers
  503 with Retry-After) instead of waiting on towards its deadline;
- a waiting call that is cancelled (its client went away) leaves the queue and never runs.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from typing import Generic, TypeVar

from spin.runtime.errors import GuestError

W = TypeVar("W")


class QueueTimeout(GuestError):
    """No worker came free for the call within the pool's maximum queue wait."""

    def __init__(self, component_id: str, waited: float) -> None:
        super().__init__(component_id, f"no guest worker free within {waited:g} s")
        self.waited = waited


class Turns(Generic[W]):
    """Idle workers, and the calls waiting for one, per guest (by index)."""

    def __init__(self, guest_limit: int, max_wait: float | None) -> None:
        self.guest_limit = guest_limit
        self.max_wait = max_wait
        self.idle: list[W] = []
        self._waiting: dict[int, deque[asyncio.Future[W]]] = {}
        self._order: deque[int] = deque()  # guests with waiting calls, in turn
        self._running: Counter[int] = Counter()
        #: told when a call under its guest's limit has to wait, with whether its guest runs
        #: no call at all (starved by the others' calls)
        self.on_shortage: Callable[[bool], None] | None = None

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._waiting.values())

    def running(self, guest: int) -> int:
        return self._running[guest]

    async def take(self, guest: int, component_id: str) -> W:
        """A worker for one call of `guest`: at once if one is idle and the guest is under its
        limit, else in turn. Every worker taken is handed back with `put` or `forget`."""
        if self.idle and self._running[guest] < self.guest_limit:
            self._running[guest] += 1
            # No worker is started ahead of the next call when this takes the last idle one:
            # a lone request every few seconds would then keep a second worker (~23 MB) alive
            # for nothing, and start one (an interpreter, wasmtime, the components: 0.9-2 s on
            # the loaded 2-CPU machine) after every quiet period; one starts when a call waits.
            return self.idle.pop()
        turn: asyncio.Future[W] = asyncio.get_running_loop().create_future()
        queue = self._waiting.setdefault(guest, deque())
        queue.append(turn)
        if guest not in self._order:
            self._order.append(guest)
        if self.on_shortage is not None and self._running[guest] < self.guest_limit:
            self.on_shortage(self._running[guest] == 0)
        try:
            async with asyncio.timeout(self.max_wait):
                return await turn
        except TimeoutError:
            raise QueueTimeout(component_id, self.max_wait or 0) from None
        except BaseException:
            if turn.done() and not turn.cancelled():  # handed over as we were cancelled
                self.put(turn.result(), guest)
            raise
        finally:
            if turn in queue:
                queue.remove(turn)

    def put(self, worker: W, guest: int | None) -> None:
        """`worker` is free again (after a call of `guest`, or new): give it to the next call
        in turn, or keep it idle."""
        if guest is not None:
            self._running[guest] -= 1
        for _ in range(len(self._order)):
            candidate = self._order[0]
            self._order.rotate(-1)
            if self._running[candidate] >= self.guest_limit:
                continue
            queue = self._waiting.get(candidate)
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    self._running[candidate] += 1
                    turn.set_result(worker)
                    self._drop_if_done(candidate)
                    return
            self._drop_if_done(candidate)
        self.idle.append(worker)

    def forget(self, guest: int) -> None:
        """A call of `guest` ended without giving its worker back (the worker is gone)."""
        self._running[guest] -= 1

    def _drop_if_done(self, guest: int) -> None:
        if not self._waiting.get(guest) and guest in self._order:
            self._order.remove(guest)
