"""`spin up`'s supervisor options: their names, types and help.

No default is written here: each option shows the default of `SupervisorSettings` or `Policy`
(spin/supervisor/settings.py, spin/supervisor/restart_policy.py), and only the options given on
the command line are copied onto those settings.
"""

from __future__ import annotations

from typing import Any, get_args

import click
from click.core import ParameterSource

from spin.supervisor import SupervisorSettings
from spin.supervisor.log import LogFormat
from spin.supervisor.restart_policy import POLICY_KEYS, RESTART_CHOICES

DEFAULTS = SupervisorSettings()
_SECONDS = click.FloatRange(min=0)


def _option(
    name: str, kind: click.ParamType, text: str, metavar: str | None = None
) -> click.Option:
    """`--name-with-dashes` for the setting `name`, with its default shown in --help."""
    default = getattr(DEFAULTS.policy if name in POLICY_KEYS else DEFAULTS, name)
    return click.Option(
        [f"--{name.replace('_', '-')}"],
        type=kind,
        default=default,
        show_default=True,
        metavar=metavar,
        help=text,
    )


SUPERVISOR_OPTIONS: list[click.Option] = [
    _option("restart", click.Choice(RESTART_CHOICES), "When to restart an executor that exits."),
    _option(
        "backoff_max",
        _SECONDS,
        "Longest wait between restarts (the wait doubles from an immediate first restart).",
        "SECONDS",
    ),
    _option(
        "stable_after",
        _SECONDS,
        "An executor up this long is healthy again: its backoff is reset.",
        "SECONDS",
    ),
    _option(
        "max_restarts",
        click.IntRange(min=0),
        "Give up (stop the app) after this many restarts within --restart-window.",
    ),
    _option("restart_window", _SECONDS, "The window for --max-restarts.", "SECONDS"),
    _option(
        "shutdown_timeout",
        _SECONDS,
        "How long executors may drain before they are killed.",
        "SECONDS",
    ),
    _option(
        "log_format",
        click.Choice(get_args(LogFormat)),
        "Supervisor log lines as text or one JSON object per line.",
    ),
    _option(
        "stats_interval",
        click.FloatRange(min=0, min_open=True),
        "Log each executor's memory, CPU and open files this often.",
        "SECONDS",
    ),
]


def supervisor_settings(ctx: click.Context, params: dict[str, Any]) -> SupervisorSettings:
    """Take (pop) the supervisor's options out of `spin up`'s parameters; those given on the
    command line replace the defaults."""
    values = {option.name: params.pop(option.name) for option in SUPERVISOR_OPTIONS if option.name}
    given = {
        name: value
        for name, value in values.items()
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    }
    return SupervisorSettings().with_values(given)
