"""Fan-out: every message goes to every component on its channel, concurrently.

Each call is awaited in a task of its own (the guest runs in one of the runtime's worker
processes, which also bounds how many run at once). At most `max_pending` calls are in flight;
the subscriber waits for a free slot before reading on, so a flood of messages cannot pile up
without bound.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import anyio
from anyio.abc import TaskGroup

from spin.runtime.errors import GuestError

log = logging.getLogger("spin.redis")


class RedisGuest(Protocol):
    """What the dispatcher needs of a loaded component (`spin.runtime.pool.pool.PooledGuest` is
    one)."""

    id: str

    async def handle_redis(self, payload: bytes) -> None: ...


class MessageDispatcher:
    """Runs handlers in `task_group`, so whoever owns the group can wait for them to finish."""

    def __init__(self, task_group: TaskGroup, max_pending: int) -> None:
        self.task_group = task_group
        self._slots = anyio.Semaphore(max_pending)

    async def dispatch(self, channel: str, payload: bytes, guests: Sequence[RedisGuest]) -> None:
        """Start one call per component; returns once they are in flight (not when done)."""
        for guest in guests:
            await self._slots.acquire()
            self.task_group.start_soon(self._call, guest, channel, payload)

    async def _call(self, guest: RedisGuest, channel: str, payload: bytes) -> None:
        try:
            await guest.handle_redis(payload)
        except GuestError as err:
            log.error(
                "component %r failed to handle a message on channel %r: %s",
                guest.id,
                channel,
                err.reason,
            )
        except Exception:  # a bug on our side: show it, but keep serving the other messages
            log.exception(
                "component %r: internal error handling a message on channel %r", guest.id, channel
            )
        finally:
            self._slots.release()
