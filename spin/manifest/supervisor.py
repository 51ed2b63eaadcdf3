"""Our extension to the manifest: `[supervisor.<type>]` tables that tune how `spin up`
supervises the executor of one trigger type (see docs/operations.md). The keys, their types and
defaults are those of `Policy` (spin/supervisor/restart_policy.py); this module only parses.

    [supervisor.redis]
    restart = "always"
    backoff_max = 5
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal, get_args, get_origin, get_type_hints

from spin.manifest.checks import Checker, key_path
from spin.supervisor.restart_policy import POLICY_KEYS, Policy

#: The type of each key, as `Policy` declares it: a Literal of choices, int (a count) or float
#: (seconds).
KEY_TYPES = get_type_hints(Policy)
DEFAULTS = Policy()


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
        check.only_keys(entry, field, POLICY_KEYS)
        settings[trigger_type] = {
            key: _setting(check, key, value, key_path(field, key)) for key, value in entry.items()
        }
    return settings


def _setting(check: Checker, key: str, value: object, field: str) -> Any:
    kind = KEY_TYPES[key]
    if get_origin(kind) is Literal:
        choices = get_args(kind)
        if not isinstance(value, str) or value not in choices:
            check.fail(
                field,
                f"expected one of {', '.join(map(repr, choices))}, found {value!r}.",
                f'Write e.g. `{key} = "{getattr(DEFAULTS, key)}"`.',
            )
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            check.fail(
                field,
                f"expected a non-negative integer, found {value!r}.",
                f"Write e.g. `{key} = {getattr(DEFAULTS, key)}`.",
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e12:
        check.fail(
            field,
            f"expected a non-negative number of seconds, found {value!r}.",
            f"Write e.g. `{key} = 10`.",
        )
    return float(value)
