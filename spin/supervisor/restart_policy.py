"""Restart decisions: restart policy, exponential backoff with jitter, crash-loop give-up.

Decided when an exit is reaped, from how long the run lasted, never on a timer tick, so a
quick crash is never mistaken for a successful start.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Literal

from spin.supervisor.process import ExitStatus
from spin.supervisor.settings import Policy

#: The second restart waits this long; each further one twice as long, up to backoff_max.
BACKOFF_BASE = 0.1
#: Each delay is shortened by a random fraction up to this, so that executors that failed
#: together (e.g. their database went away) do not come back in lockstep.
JITTER = 0.25


@dataclass(frozen=True)
class Decision:
    """What to do after an exit."""

    action: Literal["restart", "end", "give-up", "terminate"]
    delay: float = 0.0  # restart: seconds to wait first
    attempt: int = 0  # restart: 1 for the first restart since the last stable run
    reason: str = ""


class RestartTracker:
    """The restart history of one trigger type."""

    def __init__(self, policy: Policy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.attempt = 0  # restarts since the last stable run
        self.restarts = 0  # restarts in total, for status
        self._recent: deque[float] = deque()  # monotonic times of restarts in the window
        self._rng = rng or random.Random()

    def delay_for(self, attempt: int) -> float:
        """Attempt 1 is immediate; then BACKOFF_BASE doubling, capped, minus jitter."""
        if attempt <= 1:
            return 0.0
        delay = min(self.policy.backoff_max, BACKOFF_BASE * 2 ** (attempt - 2))
        return delay * (1 - JITTER * self._rng.random())

    def after_exit(self, status: ExitStatus, ran_for: float, now: float) -> Decision:
        """Decide, at reap time, what follows an exit after a run of `ran_for` seconds."""
        policy = self.policy
        if policy.restart == "never":
            if status.failed:
                return Decision("terminate", reason="restart policy is never")
            return Decision("end", reason="exited 0 and restart policy is never")
        if policy.restart == "on-failure" and not status.failed:
            return Decision("end", reason="exited 0 and restart policy is on-failure")
        if ran_for >= policy.stable_after:
            self.attempt = 0
        while self._recent and now - self._recent[0] > policy.restart_window:
            self._recent.popleft()
        if len(self._recent) >= policy.max_restarts:
            return Decision(
                "give-up",
                reason=f"{len(self._recent)} restarts within {policy.restart_window:g}s "
                f"(max_restarts {policy.max_restarts})",
            )
        self.attempt += 1
        self.restarts += 1
        self._recent.append(now)
        return Decision("restart", delay=self.delay_for(self.attempt), attempt=self.attempt)
