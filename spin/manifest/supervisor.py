"""Our extension to the manifest: `[supervisor.<type>]` tables that tune how `spin up`
supervises the executor of one trigger type (see docs/operations.md).

    [supervisor.redis]
    restart = "always"
    backoff_max = 5
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from spin.manifest.checks import Checker, key_path

RESTART_POLICIES = ("always", "on-failure", "never")
SECONDS_KEYS = ("backoff_max", "stable_after", "restart_window", "shutdown_timeout")
COUNT_KEYS = ("max_restarts",)
KEYS = ("restart", *SECONDS_KEYS, *COUNT_KEYS)


def parse_supervisor(
    check: Checker, raw: object, trigger_types: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Per-trigger-type supervisor settings; seconds become floats."""
    fix = "Write one `[supervisor.<trigger type>]` table per trigger type."
    table = check.table(raw, "supervisor", fix)
    settings: dict[str, dict[str, Any]] = {}
    for trigger_type, entry in table.items():
        field = key_path("supervisor", trigger_type)
        if trigger_type not in trigger_types:
            used = ", ".join(trigger_types) or "none"
            check.fail(
                field,
                f"the app has no `{trigger_type}` triggers (its trigger types: {used}).",
                "Name a trigger type the app uses, or remove this table.",
            )
        entry = check.table(entry, field, fix)
        check.only_keys(entry, field, KEYS)
        settings[trigger_type] = {
            key: _setting(check, key, value, key_path(field, key)) for key, value in entry.items()
        }
    return settings


def _setting(check: Checker, key: str, value: object, field: str) -> Any:
    if key == "restart":
        if not isinstance(value, str) or value not in RESTART_POLICIES:
            check.fail(
                field,
                f"expected one of {', '.join(map(repr, RESTART_POLICIES))}, found {value!r}.",
                'Write e.g. `restart = "on-failure"`.',
            )
        return value
    if key in COUNT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            check.fail(
                field,
                f"expected a non-negative integer, found {value!r}.",
                f"Write e.g. `{key} = 5`.",
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e12:
        check.fail(
            field,
            f"expected a non-negative number of seconds, found {value!r}.",
            f"Write e.g. `{key} = 10`.",
        )
    return float(value)
