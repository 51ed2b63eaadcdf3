"""The timer's configuration: which component runs how often, read from the locked app.

The manifest says::

    [application.trigger.timer]
    speedup = 10            # optional, default 1: divides every interval

    [[trigger.timer]]
    component = "tick"
    interval_secs = 5

Every value is checked here, before anything runs, so that a typo is one clear error naming
the trigger and the field rather than a failure at the first tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from spin.trigger import LockedApp, SpinError

TRIGGER_TYPE = "timer"


@dataclass(frozen=True)
class Schedule:
    """One `[[trigger.timer]]`: run `component_id` every `interval` (real) seconds."""

    trigger_id: str
    component_id: str
    interval: float


def load_schedules(app: LockedApp) -> list[Schedule]:
    """The app's timer schedules, with `speedup` already applied to every interval."""
    manifest = _manifest_name(app)
    speedup = _positive_number(
        app.trigger_global_config(TRIGGER_TYPE).get("speedup", 1),
        what=f"{manifest}: field `application.trigger.timer.speedup`",
        example="speedup = 10",
    )
    schedules = []
    for trigger in app.triggers_of(TRIGGER_TYPE):
        where = f"{manifest}: timer trigger {trigger.id!r}"
        component_id = trigger.component
        if not component_id:
            raise SpinError(
                f'{where} has no `component`. Name the component to run, e.g. `component = "tick"`.'
            )
        if component_id not in app.components:
            raise SpinError(
                f"{where}: field `component` names {component_id!r}, which the app does not "
                "define. Add a `[component.<id>]` table or fix the name."
            )
        if "interval_secs" not in trigger.config:
            raise SpinError(
                f"{where} has no `interval_secs`. Set the number of seconds between runs, "
                "e.g. `interval_secs = 5`."
            )
        interval = _positive_number(
            trigger.config["interval_secs"],
            what=f"{where}: field `interval_secs`",
            example="interval_secs = 5",
        )
        schedules.append(Schedule(trigger.id, component_id, interval / speedup))
    return schedules


def _positive_number(value: object, *, what: str, example: str) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 < value < math.inf:  # type: ignore[operator]
        raise SpinError(f"{what} is {value!r}; it must be a number above 0, e.g. `{example}`.")
    return float(value)


def _manifest_name(app: LockedApp) -> str:
    """The manifest's path for error messages (the locked app records it as a file URL)."""
    origin = urlparse(app.origin)
    if origin.scheme == "file":
        return str(Path(unquote(origin.path)))
    return app.origin or "the application manifest"
