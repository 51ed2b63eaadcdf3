"""The restart decision, table-driven (the model is honcho's tests/test_manager.py HISTORIES).

Each history is the exits of one trigger type's executor, in order: how it ended, how long it
had run and when it exited, on an explicit clock. Beside each exit is the decision expected:
restart at once, restart after a nominal delay, end, give up or terminate with an exit code.
The tracker gets a seeded random generator; a jittered delay matches its nominal delay when it
is at most JITTER below it. The subprocess tests (test_lifecycle.py) check that a decision is
carried out (waits, signals, exit codes); this table checks which decision is taken.
"""

from __future__ import annotations

import random
import signal
from dataclasses import dataclass, replace
from typing import Any

import pytest

from spin.supervisor.process import ExitStatus
from spin.supervisor.restart_policy import JITTER, Decision, Policy, RestartTracker

SEED = 20261201

Expected = tuple[Any, ...]


@dataclass(frozen=True)
class Exit:
    """An exit at time `at` after a run of `ran` seconds: with `code`, or killed by `signal`."""

    at: float
    ran: float = 0.1
    code: int = 1
    signal: int | None = None

    @property
    def status(self) -> ExitStatus:
        if self.signal is not None:
            return ExitStatus(signal=self.signal)
        return ExitStatus(code=self.code)


def restart(attempt: int = 1, after: float = 0.0) -> Expected:
    return ("restart", attempt, after)


def give_up(code: int) -> Expected:
    return ("give-up", code)


def terminate(code: int) -> Expected:
    return ("terminate", code)


END: Expected = ("end",)
NOW = restart()

#: name: (policy values other than the defaults, [(exit, decision expected after it), ...])
HISTORIES: dict[str, tuple[dict[str, Any], list[tuple[Exit, Expected]]]] = {
    "on-failure restarts a crash at once": ({}, [(Exit(at=1, code=3), NOW)]),
    "on-failure restarts an executor killed by a signal": (
        {},
        [(Exit(at=1, signal=signal.SIGKILL), NOW)],
    ),
    "on-failure ends an executor that exits 0": ({}, [(Exit(at=1, code=0), END)]),
    "never stops the app with the failed executor's code": (
        {"restart": "never"},
        [(Exit(at=1, code=2), terminate(2))],
    ),
    "never counts a signal as 128 + its number": (
        {"restart": "never"},
        [(Exit(at=1, signal=signal.SIGTERM), terminate(128 + signal.SIGTERM))],
    ),
    "never ends an executor that exits 0": ({"restart": "never"}, [(Exit(at=1, code=0), END)]),
    "always restarts after exit 0 too, and gives up with code 0": (
        {"restart": "always", "max_restarts": 2},
        [
            (Exit(at=1, code=0), NOW),
            (Exit(at=2, code=0), restart(2, after=0.1)),
            (Exit(at=3, code=0), give_up(0)),
        ],
    ),
    "a crash loop backs off, then gives up with the executor's code": (
        {"max_restarts": 3, "restart_window": 60},
        [
            (Exit(at=0.1, code=3), NOW),
            (Exit(at=0.3, code=3), restart(2, after=0.1)),
            (Exit(at=0.6, code=3), restart(3, after=0.2)),
            (Exit(at=1.0, code=3), give_up(3)),
        ],
    ),
    "the wait doubles up to backoff_max": (
        {"backoff_max": 0.5, "max_restarts": 10},
        [
            (Exit(at=1), NOW),
            (Exit(at=2), restart(2, after=0.1)),
            (Exit(at=3), restart(3, after=0.2)),
            (Exit(at=4), restart(4, after=0.4)),
            (Exit(at=5), restart(5, after=0.5)),
            (Exit(at=6), restart(6, after=0.5)),
        ],
    ),
    "backoff_max 0 makes every restart immediate": (
        {"backoff_max": 0},
        [(Exit(at=1), NOW), (Exit(at=2), restart(2)), (Exit(at=3), restart(3))],
    ),
    "a run of stable_after seconds starts the backoff afresh": (
        {"stable_after": 10, "max_restarts": 10},
        [
            (Exit(at=1), NOW),
            (Exit(at=2), restart(2, after=0.1)),
            (Exit(at=3), restart(3, after=0.2)),
            (Exit(at=14, ran=10), NOW),
            (Exit(at=15), restart(2, after=0.1)),
        ],
    ),
    "a run just short of stable_after does not": (
        {"stable_after": 10},
        [(Exit(at=1), NOW), (Exit(at=12, ran=9.9), restart(2, after=0.1))],
    ),
    "a stable run resets the backoff, not the count of restarts in the window": (
        {"stable_after": 10, "max_restarts": 2, "restart_window": 60},
        [(Exit(at=11, ran=11), NOW), (Exit(at=22, ran=11), NOW), (Exit(at=33, ran=11), give_up(1))],
    ),
    "restarts older than restart_window are forgotten": (
        {"max_restarts": 2, "restart_window": 10},
        [(Exit(at=0), NOW), (Exit(at=1), restart(2, after=0.1)), (Exit(at=11.5), restart(3, 0.2))],
    ),
    "a restart exactly restart_window ago still counts": (
        {"max_restarts": 1, "restart_window": 10},
        [(Exit(at=0), NOW), (Exit(at=10), give_up(1))],
    ),
    "max_restarts 0 gives up at the first failure": (
        {"max_restarts": 0},
        [(Exit(at=1, code=4), give_up(4))],
    ),
}


def observed(decision: Decision, expected: Expected) -> Expected:
    """The decision in the table's shape. A restart's delay reads as the expected nominal delay
    when it lies within JITTER below it (else as itself, so that the mismatch shows)."""
    if decision.action == "restart":
        nominal = expected[2] if expected[0] == "restart" else decision.delay
        jittered = nominal * (1 - JITTER) <= decision.delay <= nominal
        return restart(decision.attempt, nominal if jittered else decision.delay)
    if decision.action in ("give-up", "terminate"):
        return (decision.action, decision.exit_code)
    return (decision.action,)


@pytest.mark.parametrize("name", HISTORIES)
def test_restart_decisions(name: str) -> None:
    values, history = HISTORIES[name]
    tracker = RestartTracker(replace(Policy(), **values), rng=random.Random(SEED))
    decisions = [tracker.after_exit(exit.status, exit.ran, exit.at) for exit, _ in history]
    expected = [decision for _, decision in history]
    assert [observed(d, e) for d, e in zip(decisions, expected, strict=True)] == expected


def test_the_restart_count_for_status_spans_stable_runs() -> None:
    tracker = RestartTracker(Policy(stable_after=10), rng=random.Random(SEED))
    for at, ran in ((1, 0.1), (2, 0.1), (20, 15)):
        tracker.after_exit(ExitStatus(code=1), ran, at)
    assert (tracker.restarts, tracker.attempt) == (3, 1)


def test_the_reasons_name_the_policy() -> None:
    never = RestartTracker(Policy(restart="never")).after_exit(ExitStatus(code=2), 1, 1)
    assert never.reason == "restart policy is never"
    ended = RestartTracker(Policy()).after_exit(ExitStatus(code=0), 1, 1)
    assert ended.reason == "exited 0 and restart policy is on-failure"
    crash_loop = RestartTracker(Policy(max_restarts=0)).after_exit(ExitStatus(code=1), 1, 1)
    assert crash_loop.reason == "0 restarts within 60s (max_restarts 0)"
