"""Capped exponential backoff with optional jitter: how long to wait before the next attempt.

One class for every retry loop: the supervisor's restarts (spin/supervisor/restart_policy.py)
and the Redis executor's reconnections (spin/executors/redis/subscriber.py).
"""

from __future__ import annotations

import random

#: The first delay of both users: short enough that a one-off failure costs little.
INITIAL_DELAY = 0.1


class Backoff:
    """Delays of `initial` seconds, doubling up to `cap`; `reset()` after a success starts over.

    With `jitter` j, each delay is shortened by a random fraction of up to j, so that clients
    that failed together (their server went away) do not retry in lockstep. `rng` makes that
    fraction reproducible in tests.
    """

    def __init__(
        self,
        *,
        cap: float,
        initial: float = INITIAL_DELAY,
        jitter: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.cap = cap
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._next = initial

    def next_delay(self) -> float:
        delay = min(self.cap, self._next)
        self._next = min(self.cap, self._next * 2)
        return delay * (1 - self.jitter * self._rng.random())

    def reset(self) -> None:
        self._next = self.initial
