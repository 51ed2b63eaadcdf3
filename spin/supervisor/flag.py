"""A one-shot flag that tasks can wait for, usable before the event loop runs."""

from __future__ import annotations

import anyio


class Flag:
    """Like anyio.Event, but its Event is made on the first wait: the executors are started
    (and may be stopped) before the loop exists, and creating an anyio Event outside the loop
    would import the async back-end too early."""

    def __init__(self) -> None:
        self._set = False
        self._event: anyio.Event | None = None

    def set(self) -> None:
        self._set = True
        if self._event is not None:
            self._event.set()

    def is_set(self) -> bool:
        return self._set

    async def wait(self) -> None:
        if self._set:
            return
        if self._event is None:
            self._event = anyio.Event()
        await self._event.wait()
