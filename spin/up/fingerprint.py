"""What part of the app each executor sees, as a digest: a reload (SIGHUP) restarts only the
executors whose part changed, so a route edit does not restart the timer.

An executor's part is its triggers, the components they name (their locked form: source, files,
environment, variables, permissions) with the size and modification time of each file those
components read, the application-level settings of its trigger type, and the app's variables.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from spin.locked import path_from_url


def executor_fingerprints(locked: dict[str, Any]) -> dict[str, str]:
    """A digest per trigger type of the locked app (`spin.lock` as a dict)."""
    components = {component["id"]: component for component in locked.get("components", [])}
    app_triggers = locked.get("metadata", {}).get("triggers", {})
    by_type: dict[str, list[dict[str, Any]]] = {}
    for trigger in locked.get("triggers", []):
        by_type.setdefault(trigger["trigger_type"], []).append(trigger)
    return {
        trigger_type: _digest(
            {
                "triggers": triggers,
                "components": [
                    _with_file_stats(components[name])
                    for name in sorted(_named_components(triggers, components))
                ],
                "app_trigger_config": app_triggers.get(trigger_type),
                "variables": locked.get("variables", {}),
            }
        )
        for trigger_type, triggers in by_type.items()
    }


def _named_components(triggers: list[dict[str, Any]], components: dict[str, Any]) -> set[str]:
    """Every component id a trigger's configuration mentions (`component`, or nested)."""
    named: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, str) and value in components:
            named.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for trigger in triggers:
        visit(trigger.get("trigger_config", {}))
    return named


def _with_file_stats(component: dict[str, Any]) -> dict[str, Any]:
    """The locked component plus (size, mtime) of its Wasm and mounted files: a rebuilt
    component or an edited asset changes its executor's part."""
    sources = [component.get("source", {}).get("source")]
    sources += [entry.get("source") for entry in component.get("files", [])]
    return {"locked": component, "files": [_stat(url) for url in sources if url]}


def _stat(url: str) -> list[Any]:
    try:
        path = path_from_url(url)
        stat = os.stat(path)
    except (OSError, ValueError):
        return [url, None]
    if path.is_dir():  # a mounted directory: every file under it
        entries = sorted(
            (str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_file()
        )
        return [url, entries]
    return [url, stat.st_size, stat.st_mtime_ns]


def _digest(part: dict[str, Any]) -> str:
    text = json.dumps(part, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
