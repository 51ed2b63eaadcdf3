"""How the supervisor behaves: restart policy, backoff, crash-loop limits, shutdown, logs.

App-wide values come from `spin up` options; the manifest's `[supervisor.<type>]` tables
override the policy keys for one trigger type.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import click

RestartPolicy = Literal["always", "on-failure", "never"]

#: Keys a `[supervisor.<type>]` table may set (they match the option names with `_`).
POLICY_KEYS = (
    "restart",
    "backoff_max",
    "stable_after",
    "max_restarts",
    "restart_window",
    "shutdown_timeout",
)


@dataclass(frozen=True)
class Policy:
    """The supervision policy of one trigger type."""

    restart: RestartPolicy = "on-failure"
    backoff_max: float = 30.0
    stable_after: float = 10.0
    max_restarts: int = 5
    restart_window: float = 60.0
    shutdown_timeout: float = 10.0

    def with_overrides(self, overrides: dict[str, Any]) -> Policy:
        return replace(self, **{k: v for k, v in overrides.items() if k in POLICY_KEYS})


@dataclass(frozen=True)
class SupervisorSettings:
    policy: Policy = field(default_factory=Policy)
    log_format: Literal["text", "json"] = "text"
    stats_interval: float | None = None

    @classmethod
    def from_click(cls, params: dict[str, Any]) -> SupervisorSettings:
        """Take (pop) the supervisor's options out of `spin up`'s parsed parameters."""
        policy = Policy(**{key: params.pop(key) for key in POLICY_KEYS})
        return cls(
            policy=policy,
            log_format=params.pop("log_format"),
            stats_interval=params.pop("stats_interval"),
        )

    def policy_for(self, trigger_type: str, overrides: dict[str, dict[str, Any]]) -> Policy:
        return self.policy.with_overrides(overrides.get(trigger_type, {}))


_SECONDS = click.FloatRange(min=0)

SUPERVISOR_OPTIONS: list[click.Option] = [
    click.Option(
        ["--restart"],
        type=click.Choice(["always", "on-failure", "never"]),
        default="on-failure",
        show_default=True,
        help="When to restart an executor that exits.",
    ),
    click.Option(
        ["--backoff-max"],
        type=_SECONDS,
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Longest wait between restarts (the wait doubles from an immediate first restart).",
    ),
    click.Option(
        ["--stable-after"],
        type=_SECONDS,
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="An executor up this long is healthy again: its backoff is reset.",
    ),
    click.Option(
        ["--max-restarts"],
        type=click.IntRange(min=0),
        default=5,
        show_default=True,
        help="Give up (stop the app) after this many restarts within --restart-window.",
    ),
    click.Option(
        ["--restart-window"],
        type=_SECONDS,
        default=60.0,
        show_default=True,
        metavar="SECONDS",
        help="The window for --max-restarts.",
    ),
    click.Option(
        ["--shutdown-timeout"],
        type=_SECONDS,
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="How long executors may drain before they are killed.",
    ),
    click.Option(
        ["--log-format"],
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Supervisor log lines as text or one JSON object per line.",
    ),
    click.Option(
        ["--stats-interval"],
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Log each executor's memory, CPU and open files this often.",
    ),
]
