"""Fan-out: every message goes to every component on its channel, concurrently.

Messages are taken off the connection as fast as Redis sends them and kept in a buffer of at
most `max_buffered` payload bytes; from there a pump starts calls, at most `max_pending` in
flight (running in the runtime's worker processes, or queued for one). Messages waiting for the
same component go in one call, up to MAX_BATCH of them, so that a burst costs the executor's
event loop one worker round trip per batch rather than per message, and the loop keeps up with
reading. Reading used to wait for a free call slot, one message per call: a burst of 60k 1 KB
messages then piled up in Redis's output buffer for the subscriber until Redis dropped the
connection at its pub/sub limit (11% handled). Now the burst waits here, in the executor's
memory, and only a full buffer pauses reading.

The docs promise no order: messages are handled concurrently, so not necessarily in the order
they were published.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import anyio
from anyio.abc import TaskGroup

from spin.runtime.errors import GuestError

log = logging.getLogger("spin.redis")

#: Payload bytes waiting for a call slot before reading from Redis pauses.
MAX_BUFFERED = 256 * 1024 * 1024
#: Messages handed to one component in one call, at most.
MAX_BATCH = 64


class RedisGuest(Protocol):
    """What the dispatcher needs of a loaded component (`spin.runtime.pool.pool.PooledGuest` is
    one)."""

    id: str

    async def handle_redis(self, payload: bytes) -> None: ...

    async def handle_redis_batch(self, payloads: list[bytes]) -> list[str | None]: ...


class MessageDispatcher:
    """Runs handlers in `task_group`, so whoever owns the group can wait for them to finish."""

    def __init__(
        self, task_group: TaskGroup, max_pending: int, max_buffered: int = MAX_BUFFERED
    ) -> None:
        self.task_group = task_group
        self._slots = anyio.Semaphore(max_pending)
        self._buffer: deque[tuple[RedisGuest, str, bytes]] = deque()
        self._buffered = 0
        self._max_buffered = max_buffered
        self._space = anyio.Event()
        self._pumping = False

    @property
    def backlog(self) -> int:
        """Calls waiting in the buffer for a slot."""
        return len(self._buffer)

    async def dispatch(self, channel: str, payload: bytes, guests: Sequence[RedisGuest]) -> None:
        """Queue one call per component; returns at once unless the buffer is full."""
        while self._buffer and self._buffered + len(payload) > self._max_buffered:
            if self._space.is_set():
                self._space = anyio.Event()
            await self._space.wait()
        for guest in guests:
            self._buffer.append((guest, channel, payload))
            self._buffered += len(payload)
        if self._buffer and not self._pumping:
            self._pumping = True
            self.task_group.start_soon(self._pump)

    async def _pump(self) -> None:
        """Start the buffered calls as slots come free; ends when the buffer is empty."""
        try:
            while self._buffer:
                await self._slots.acquire()
                guest, batch = self._take_batch()
                self.task_group.start_soon(self._call, guest, batch)
        finally:
            self._pumping = False

    def _take_batch(self) -> tuple[RedisGuest, list[tuple[str, bytes]]]:
        """The next message, and those right behind it for the same component."""
        guest, channel, payload = self._buffer.popleft()
        batch = [(channel, payload)]
        while self._buffer and len(batch) < MAX_BATCH and self._buffer[0][0] is guest:
            _, channel, payload = self._buffer.popleft()
            batch.append((channel, payload))
        self._buffered -= sum(len(payload) for _, payload in batch)
        self._space.set()
        return guest, batch

    async def _call(self, guest: RedisGuest, batch: list[tuple[str, bytes]]) -> None:
        try:
            if len(batch) == 1:
                failures: list[str | None] = [None]
                await guest.handle_redis(batch[0][1])
            else:
                failures = await guest.handle_redis_batch([payload for _, payload in batch])
        except GuestError as err:
            failures = [err.reason] * len(batch)
        except Exception:  # a bug on our side: show it, but keep serving the other messages
            log.exception(
                "component %r: internal error handling %d messages on channel %r",
                guest.id,
                len(batch),
                batch[0][0],
            )
            failures = []
        finally:
            self._slots.release()
        for (channel, _), reason in zip(batch, failures, strict=False):
            if reason is not None:
                log.error(
                    "component %r failed to handle a message on channel %r: %s",
                    guest.id,
                    channel,
                    reason,
                )
