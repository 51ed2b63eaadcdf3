"""The supervision policy of one trigger type, and the restart decisions taken from it.

`Policy` is the one definition of the policy's keys, their types and their defaults: the
manifest's `[supervisor.<type>]` tables (spin/manifest/supervisor.py) and `spin up`'s options
(spin/up/supervisor_options.py) are derived from it.

A decision is taken when an exit is reaped, from how long the run lasted, never on a timer
tick, so a quick crash is never mistaken for a successful start.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

from spin.backoff import Backoff

if TYPE_CHECKING:
    from spin.supervisor.process import ExitStatus

RestartPolicy = Literal["always", "on-failure", "never"]
RESTART_CHOICES: tuple[str, ...] = get_args(RestartPolicy)

#: Each restart delay is shortened by a random fraction up to this, so that executors that failed
#: together (e.g. their database went away) do not come back in lockstep.
JITTER = 0.25


@dataclass(frozen=True)
class Policy:
    """How the executor of one trigger type is supervised; every field has its default here."""

    #: always: restart after any exit; on-failure: after a non-zero exit or a signal;
    #: never: the first failure stops the app (an exit 0 ends that executor).
    restart: RestartPolicy = "on-failure"
    #: The longest wait (seconds) between restarts; the first is immediate, then 0.1 s doubling.
    backoff_max: float = 30.0
    #: A run this long (seconds) before an exit counts as healthy: the backoff starts afresh.
    stable_after: float = 10.0
    #: Give up (stop the app) after this many restarts within restart_window seconds.
    max_restarts: int = 5
    restart_window: float = 60.0
    #: How long (seconds) an executor may drain after SIGTERM before it is killed.
    shutdown_timeout: float = 10.0

    def with_overrides(self, overrides: dict[str, Any]) -> Policy:
        return replace(self, **{k: v for k, v in overrides.items() if k in POLICY_KEYS})


#: The policy's keys: `[supervisor.<type>]` table keys, and `spin up` options (with `-`).
POLICY_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Policy))


@dataclass(frozen=True)
class Decision:
    """What to do after an exit."""

    action: Literal["restart", "end", "give-up", "terminate"]
    delay: float = 0.0  # restart: seconds to wait first
    attempt: int = 0  # restart: 1 for the first restart since the last stable run
    exit_code: int = 0  # give-up, terminate: the app exits with this code (the executor's)
    reason: str = ""


class RestartTracker:
    """The restart history of one trigger type."""

    def __init__(self, policy: Policy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.attempt = 0  # restarts since the last stable run
        self.restarts = 0  # restarts in total, for status
        self._recent: deque[float] = deque()  # monotonic times of restarts in the window
        self._backoff = Backoff(cap=policy.backoff_max, jitter=JITTER, rng=rng)

    def after_exit(self, status: ExitStatus, ran_for: float, now: float) -> Decision:
        """Decide, at reap time, what follows an exit after a run of `ran_for` seconds."""
        policy = self.policy
        if policy.restart == "never":
            if status.failed:
                return Decision(
                    "terminate", exit_code=status.exit_code, reason="restart policy is never"
                )
            return Decision("end", reason="exited 0 and restart policy is never")
        if policy.restart == "on-failure" and not status.failed:
            return Decision("end", reason="exited 0 and restart policy is on-failure")
        if ran_for >= policy.stable_after:
            self.attempt = 0
            self._backoff.reset()
        while self._recent and now - self._recent[0] > policy.restart_window:
            self._recent.popleft()
        if len(self._recent) >= policy.max_restarts:
            return Decision(
                "give-up",
                exit_code=status.exit_code,
                reason=f"{len(self._recent)} restarts within {policy.restart_window:g}s "
                f"(max_restarts {policy.max_restarts})",
            )
        self.attempt += 1
        self.restarts += 1
        self._recent.append(now)
        # The first restart after a stable run is immediate: most crashes are one-offs.
        delay = 0.0 if self.attempt == 1 else self._backoff.next_delay()
        return Decision("restart", delay=delay, attempt=self.attempt)
