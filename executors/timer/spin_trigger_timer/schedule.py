"""The timer's configuration: which component runs how often, read from the locked app.

The manifest says::

    [application.trigger.timer]
    speedup = 10            # optional, default 1: divides every interval

    [[trigger.timer]]
    component = "tick"
    interval_secs = 5

The two tables are typed (`TimerConfig`, `TimerAppConfig`): the shared trigger library checks
every value before anything runs, so that a typo is one clear error naming the trigger and the
field rather than a failure at the first tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from spin.trigger import ConfiguredTrigger, Setting, positive

TRIGGER_TYPE = "timer"

ABOVE_ZERO = "a number above 0"


@dataclass(frozen=True, kw_only=True)
class TimerConfig:
    """One `[[trigger.timer]]` table."""

    component: Annotated[str, Setting(example='component = "tick"')]
    interval_secs: Annotated[
        float, Setting(example="interval_secs = 5", must=ABOVE_ZERO, valid=positive)
    ]


@dataclass(frozen=True, kw_only=True)
class TimerAppConfig:
    """`[application.trigger.timer]`."""

    speedup: Annotated[float, Setting(example="speedup = 10", must=ABOVE_ZERO, valid=positive)] = (
        1.0
    )


@dataclass(frozen=True)
class Schedule:
    """One `[[trigger.timer]]`: run `component_id` every `interval` (real) seconds."""

    trigger_id: str
    component_id: str
    interval: float


def load_schedules(
    triggers: list[ConfiguredTrigger[TimerConfig]], app_config: TimerAppConfig
) -> list[Schedule]:
    """The app's timer schedules, with `speedup` already applied to every interval."""
    return [
        Schedule(t.id, t.config.component, t.config.interval_secs / app_config.speedup)
        for t in triggers
    ]
