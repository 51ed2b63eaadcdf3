"""Manifest version 1 (`spin_manifest_version = "1"`), converted to the version 2 model as
Spin converts it.

A v1 app has one trigger type (`trigger = { type = "http", ...global config }`) and a list of
`[[component]]` tables, each with its own `[component.trigger]` config. Each component becomes
a v2 component and one trigger `trigger-<component id>`. Component ids that are not kebab-case
are repaired the way Spin repairs them (`_` becomes `-`, everything lower case).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spin.manifest.checks import Checker, index_path, key_path
from spin.manifest.components import ComponentScope, parse_component
from spin.manifest.ids import KEBAB, check_kebab_id, check_trigger_type, id_problem
from spin.manifest.model import AppManifest, Component, Trigger
from spin.manifest.sections import DETAIL_KEYS, parse_details, parse_variables
from spin.manifest.supervisor import parse_supervisor

VERSION_KEYS = ("spin_manifest_version", "spin_version")
TOP_KEYS = (*VERSION_KEYS, *DETAIL_KEYS, "trigger", "variables", "component", "supervisor")
_TRIGGER_FIX = 'Write `trigger = { type = "http" }` (plus any settings for all triggers).'
_COMPONENT_FIX = "Write `[[component]]` tables with `id`, `source` and a `[component.trigger]`."


def load_v1(check: Checker, document: dict[str, Any], path: Path) -> AppManifest:
    check.only_keys(document, "", TOP_KEYS)
    if all(key in document for key in VERSION_KEYS):
        check.fail(
            "spin_version",
            "both `spin_manifest_version` and its alias `spin_version` are set.",
            'Keep only `spin_manifest_version = "1"`.',
        )
    details = parse_details(check, document, "")
    app_trigger = check.table(
        check.required(document, "", "trigger", _TRIGGER_FIX), "trigger", _TRIGGER_FIX
    )
    trigger_type = check.string(
        check.required(app_trigger, "trigger", "type", _TRIGGER_FIX), "trigger.type"
    )
    check_trigger_type(check, trigger_type, "trigger.type")
    variables = parse_variables(check, document.get("variables", {}))
    scope = ComponentScope(check, path.parent, variables, manifest_version=1)
    components: dict[str, Component] = {}
    triggers: list[Trigger] = []
    raw_components = check.array(document.get("component", []), "component", _COMPONENT_FIX)
    for i, raw in enumerate(raw_components):
        field = index_path("component", i)
        table = dict(check.table(raw, field, _COMPONENT_FIX))
        component_id = _component_id(check, table, field)
        if component_id in components:
            check.fail(
                key_path(field, "id"),
                f"cannot have duplicate component ids: {component_id!r} is used twice.",
                "Give every component a different id.",
            )
        trigger_field = key_path(field, "trigger")
        trigger_config = check.table(
            check.required(table, field, "trigger", "Add a `[component.trigger]` table."),
            trigger_field,
        )
        del table["id"], table["trigger"]
        components[component_id] = parse_component(scope, component_id, table, field)
        triggers.append(
            Trigger(
                id=f"trigger-{component_id}",
                trigger_type=trigger_type,
                component=component_id,
                config=dict(trigger_config),
            )
        )
    return AppManifest(
        path=path,
        name=details.name,
        version=details.version,
        description=details.description,
        authors=details.authors,
        trigger_global_config={trigger_type: {k: v for k, v in app_trigger.items() if k != "type"}},
        variables=variables,
        triggers=tuple(triggers),
        components=components,
        manifest_version=1,
        supervisor=parse_supervisor(check, document.get("supervisor", {}), [trigger_type]),
    )


def _component_id(check: Checker, table: dict[str, Any], field: str) -> str:
    """The component's id, with Spin's repair of snake_case and mixed case."""
    id_field = key_path(field, "id")
    raw = check.string(check.required(table, field, "id", 'Add `id = "my-component"`.'), id_field)
    if id_problem(raw, KEBAB) is None:
        return raw
    return check_kebab_id(check, raw.replace("_", "-").lower(), id_field, "component id")
