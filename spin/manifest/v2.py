"""Manifest version 2 (`spin_manifest_version = 2`): validation and Spin's normalisation.

Normalisation, as Spin does it:
- a trigger without an `id` gets `<component>-<type>-trigger` when it names its component by
  id and that id is free, else the first free `<type>-trigger<N>`;
- a component written inline in a trigger (`component = { source = ... }`) moves to the
  app's components under `<trigger id>-component` when that is a free, valid id and the trigger
  has only one component, else under the first free `inline-component<N>`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spin.manifest.checks import Checker, index_path, key_path
from spin.manifest.components import ComponentScope, parse_component
from spin.manifest.ids import check_kebab_id, check_trigger_type, is_kebab_id
from spin.manifest.model import AppManifest, Component, Trigger
from spin.manifest.sections import DETAIL_KEYS, parse_details, parse_variables
from spin.manifest.supervisor import parse_supervisor

TOP_KEYS = (
    "spin_manifest_version",
    "application",
    "variables",
    "trigger",
    "component",
    "supervisor",
)
APPLICATION_KEYS = (*DETAIL_KEYS, "trigger", "tool")
_TRIGGER_KEYS = ("id", "component", "components")
_TRIGGER_FIX = (
    'Write `[[trigger.<type>]]` tables, e.g. `[[trigger.http]]` with `component = "..."`.'
)
_SPEC_FIX = (
    'Name a component (`component = "my-component"`) or write one inline (`{ source = ... }`).'
)


@dataclass
class _ComponentSpec:
    """A trigger's reference to a component: an id, or an inline table that gets one later."""

    field: str
    id: str = ""
    inline: dict[str, Any] | None = None


@dataclass
class _TriggerEntry:
    trigger_type: str
    field: str
    id: str
    config: dict[str, Any]
    component: _ComponentSpec | None = None
    components: dict[str, list[_ComponentSpec]] = dataclasses.field(default_factory=dict)

    def specs(self) -> list[_ComponentSpec]:
        named = [spec for specs in self.components.values() for spec in specs]
        return [self.component, *named] if self.component else named


def load_v2(check: Checker, document: dict[str, Any], path: Path) -> AppManifest:
    check.only_keys(document, "", TOP_KEYS)
    application = check.table(
        check.required(document, "", "application", 'Add `[application]` with `name = "..."`.'),
        "application",
    )
    check.only_keys(application, "application", APPLICATION_KEYS)
    details = parse_details(check, application, "application")
    global_config = _global_trigger_config(check, application.get("trigger", {}))
    check.table(application.get("tool", {}), "application.tool")  # settings for other tools
    variables = parse_variables(check, document.get("variables", {}))
    declared = _component_tables(check, document.get("component", {}))
    entries = _trigger_entries(check, check.required(document, "", "trigger", _TRIGGER_FIX))
    _name_triggers(entries)
    inline = _name_inline_components(entries, set(declared))

    scope = ComponentScope(check, path.parent, variables, manifest_version=2)
    components = {
        cid: parse_component(scope, cid, table, key_path("component", cid))
        for cid, table in declared.items()
    }
    for spec in inline:
        assert spec.inline is not None
        components[spec.id] = parse_component(scope, spec.id, spec.inline, spec.field)
    triggers = tuple(_trigger(check, entry, components) for entry in entries)
    used_types = list(dict.fromkeys(t.trigger_type for t in triggers))
    return AppManifest(
        path=path,
        name=details.name,
        version=details.version,
        description=details.description,
        authors=details.authors,
        trigger_global_config=global_config,
        variables=variables,
        triggers=triggers,
        components=components,
        manifest_version=2,
        supervisor=parse_supervisor(check, document.get("supervisor", {}), used_types),
    )


def _global_trigger_config(check: Checker, raw: object) -> dict[str, dict[str, Any]]:
    fix = "Write one `[application.trigger.<type>]` table per trigger type."
    table = check.table(raw, "application.trigger", fix)
    return {
        trigger_type: dict(check.table(config, key_path("application.trigger", trigger_type), fix))
        for trigger_type, config in table.items()
    }


def _component_tables(check: Checker, raw: object) -> dict[str, dict[str, Any]]:
    fix = 'Write `[component.<id>]` tables with `source = "..."`.'
    tables = check.table(raw, "component", fix)
    for cid, table in tables.items():
        check_kebab_id(check, cid, key_path("component", cid), "component id")
        check.table(table, key_path("component", cid), fix)
    return tables


def _trigger_entries(check: Checker, raw: object) -> list[_TriggerEntry]:
    by_type = check.table(raw, "trigger", _TRIGGER_FIX)
    entries: list[_TriggerEntry] = []
    explicit_ids: dict[str, str] = {}
    for trigger_type, raw_list in by_type.items():
        type_field = key_path("trigger", trigger_type)
        check_trigger_type(check, trigger_type, type_field)
        if not isinstance(raw_list, list):
            check.wrong_type(type_field, raw_list, "an array of tables", _TRIGGER_FIX)
        for i, raw_entry in enumerate(raw_list):
            entry = _trigger_entry(check, trigger_type, raw_entry, index_path(type_field, i))
            if entry.id in explicit_ids:
                check.fail(
                    key_path(entry.field, "id"),
                    f"the trigger id {entry.id!r} is already used by {explicit_ids[entry.id]}.",
                    "Give every trigger a different id.",
                )
            if entry.id:
                explicit_ids[entry.id] = entry.field
            entries.append(entry)
    return entries


def _trigger_entry(check: Checker, trigger_type: str, raw: object, field: str) -> _TriggerEntry:
    table = check.table(raw, field, _TRIGGER_FIX)
    entry = _TriggerEntry(
        trigger_type=trigger_type,
        field=field,
        id=check.string(table.get("id", ""), key_path(field, "id")),
        config={k: v for k, v in table.items() if k not in _TRIGGER_KEYS},
    )
    if "component" in table:
        entry.component = _component_spec(check, table["component"], key_path(field, "component"))
    components_field = key_path(field, "components")
    named = check.table(table.get("components", {}), components_field, _SPEC_FIX)
    for name, value in named.items():
        name_field = key_path(components_field, name)
        values = value if isinstance(value, list) else [value]
        entry.components[name] = [
            _component_spec(check, v, index_path(name_field, j) if value is values else name_field)
            for j, v in enumerate(values)
        ]
    return entry


def _component_spec(check: Checker, raw: object, field: str) -> _ComponentSpec:
    if isinstance(raw, str):
        return _ComponentSpec(field, id=check_kebab_id(check, raw, field, "component id"))
    if isinstance(raw, dict):
        return _ComponentSpec(field, inline=raw)
    check.wrong_type(field, raw, "a component id or an inline component table", _SPEC_FIX)


def _name_triggers(entries: list[_TriggerEntry]) -> None:
    """Give every trigger without an id one, by Spin's rule (see the module docstring)."""
    taken = {entry.id for entry in entries}
    counters: dict[str, int] = {}
    for entry in entries:
        if entry.id:
            continue
        if entry.component is not None and entry.component.inline is None:
            natural = f"{entry.component.id}-{entry.trigger_type}-trigger"
            if natural not in taken:
                entry.id = natural
                taken.add(natural)
                continue
        entry.id = _first_free(f"{entry.trigger_type}-trigger", taken, counters, entry.trigger_type)


def _name_inline_components(entries: list[_TriggerEntry], taken: set[str]) -> list[_ComponentSpec]:
    """Give every inline component an id, by Spin's rule; return the inline specs."""
    inline: list[_ComponentSpec] = []
    for entry in entries:
        specs = entry.specs()
        counters: dict[str, int] = {}
        for spec in specs:
            if spec.inline is None:
                continue
            natural = f"{entry.id}-component"
            if len(specs) == 1 and is_kebab_id(natural) and natural not in taken:
                spec.id = natural
                taken.add(natural)
            else:
                spec.id = _first_free("inline-component", taken, counters, "")
            inline.append(spec)
    return inline


def _first_free(prefix: str, taken: set[str], counters: dict[str, int], key: str) -> str:
    """The first `<prefix><N>` not taken, counting on from the last one handed out for `key`."""
    counter = counters.get(key, 1)
    while f"{prefix}{counter}" in taken:
        counter += 1
    counters[key] = counter
    name = f"{prefix}{counter}"
    taken.add(name)
    return name


def _trigger(check: Checker, entry: _TriggerEntry, components: dict[str, Component]) -> Trigger:
    for spec in entry.specs():
        if spec.id not in components:
            known = ", ".join(components) or "none"
            check.fail(
                spec.field,
                f"the trigger names the component {spec.id!r}, which the app does not define "
                f"(its components: {known}).",
                f"Add a `[component.{spec.id}]` table or fix the id.",
            )
    config = dict(entry.config)
    if entry.components:
        config["components"] = {
            name: [spec.id for spec in specs] for name, specs in entry.components.items()
        }
    return Trigger(
        id=entry.id,
        trigger_type=entry.trigger_type,
        component=entry.component.id if entry.component else None,
        config=config,
    )
