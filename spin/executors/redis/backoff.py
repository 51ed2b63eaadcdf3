"""Capped exponential backoff between reconnection attempts."""

from __future__ import annotations


class Backoff:
    """Delays of `initial`, doubling up to `cap`; `reset()` after a success starts over."""

    def __init__(self, initial: float = 0.1, cap: float = 5.0, factor: float = 2.0) -> None:
        self.initial = initial
        self.cap = cap
        self.factor = factor
        self._next = initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self.cap, self._next * self.factor)
        return delay

    def reset(self) -> None:
        self._next = self.initial
