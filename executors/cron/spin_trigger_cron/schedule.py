"""The cron trigger's configuration and its clock, as the `spin-trigger-cron` plugin has them::

    [[trigger.cron]]
    component = "every2seconds"
    cron_expression = "1/2 * * * * *"   # sec min hour day-of-month month day-of-week, UTC

The plugin (tokio-cron-scheduler over the croner crate) requires the seconds field, reads the
expression in UTC and matches day of month AND day of week when both are restricted. croniter
reads it the same with `second_at_beginning=True, day_or=False`; an expression that is not
exactly six fields is refused at start, as the plugin refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from croniter import croniter

from spin.trigger import Setting

TRIGGER_TYPE = "cron"
#: Counting missed ticks stops here (an every-second schedule paused for a day has 86,400).
MISSED_COUNT_CAP = 1000


def six_fields(expression: str) -> bool:
    """A `valid` check: six fields, seconds first, that croniter accepts."""
    return len(expression.split()) == 6 and croniter.is_valid(expression, second_at_beginning=True)


@dataclass(frozen=True, kw_only=True)
class CronConfig:
    """One `[[trigger.cron]]` table."""

    component: Annotated[str, Setting(example='component = "every2seconds"')]
    cron_expression: Annotated[
        str,
        Setting(
            example='cron_expression = "1/2 * * * * *"',
            must="six cron fields, seconds first (sec min hour day-of-month month day-of-week)",
            valid=six_fields,
        ),
    ]


class CronClock:
    """The ticks of one expression, in seconds since the epoch (UTC)."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    def _after(self, moment: float) -> croniter:
        start = datetime.fromtimestamp(moment, UTC)
        return croniter(self.expression, start, second_at_beginning=True, day_or=False)

    def next_after(self, moment: float) -> float:
        """The first tick strictly after `moment`."""
        return float(self._after(moment).get_next(float))

    def catch_up(self, tick: float, now: float) -> tuple[float, int, float]:
        """At `now`, with `tick` due: the latest tick due by now, how many earlier due ticks
        are passed over (a pause, a slow loop; counted up to MISSED_COUNT_CAP), and the
        first tick after now."""
        ticks = self._after(tick)
        latest, missed = tick, 0
        upcoming = float(ticks.get_next(float))
        while upcoming <= now and missed < MISSED_COUNT_CAP:
            latest, missed = upcoming, missed + 1
            upcoming = float(ticks.get_next(float))
        if upcoming <= now:
            upcoming = self.next_after(now)
        return latest, missed, upcoming
