"""`spin up -c ID`: run a subset of an app's components, as Spin's `retain_components` does;
`spin up --trigger-type TYPE`: run a subset of its trigger types (one pod per type).

The triggers kept are those whose `component` is selected; the components kept are the ones
those triggers name (a selected component no trigger names runs nothing). A selected component
that calls another through service chaining (`http://<id>.spin.internal`) needs that one
selected too, and may not chain to `*.spin.internal` unless every component is selected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from spin.allowed_hosts.rules import service_chaining_target
from spin.errors import SpinError
from spin.manifest.model import AppManifest


def retain_components(app: AppManifest, selected: Sequence[str]) -> AppManifest:
    """The app with only the selected components and their triggers; unknown ids and chaining
    to an unselected component are errors."""
    if not selected:
        return app
    for component_id in selected:
        if component_id not in app.components:
            known = ", ".join(app.components) or "none"
            raise SpinError(
                f'Specified component "{component_id}" not found in application {app.path} '
                f"(its components: {known}). Fix the id given to -c/--component-id."
            )
    triggers = tuple(t for t in app.triggers if t.component in selected)
    kept = {t.component for t in triggers}
    for component_id in sorted(c for c in kept if c is not None):
        _check_chaining(app, component_id, selected)
    components = {cid: c for cid, c in app.components.items() if cid in kept}
    return dataclasses.replace(app, triggers=triggers, components=components)


def _check_chaining(app: AppManifest, component_id: str, selected: Sequence[str]) -> None:
    for entry in app.components[component_id].allowed_outbound_hosts:
        target = service_chaining_target(entry)
        if target is None or target in selected:
            continue
        if target == "*":
            problem = "cannot use wildcard service chaining"
        else:
            problem = "cannot use service chaining to unselected component"
        raise SpinError(
            f"Selected component '{component_id}' {problem}: allowed_outbound_hosts = "
            f'["{entry}"]. Select the component it calls with another -c.'
        )


def retain_trigger_types(
    app: AppManifest, selected: Sequence[str], component_ids: Sequence[str] = ()
) -> AppManifest:
    """The app with only the triggers of the selected types and the components they name
    (all of it when none is selected); a type the app does not use is an error (`component_ids`:
    the `-c` selection `app` was narrowed to already, which the error then names)."""
    if not selected:
        return app
    types = app.trigger_types()
    listed = ", ".join(types) or "none"
    for trigger_type in selected:
        if trigger_type in types:
            continue
        if component_ids:
            raise SpinError(
                f"--trigger-type {trigger_type}: the components selected with -c "
                f"({', '.join(component_ids)}) have no [[trigger.{trigger_type}]] in "
                f"{app.path}; their trigger types are {listed}. Give one of those to "
                "--trigger-type, or select with -c the components its triggers name."
            )
        raise SpinError(
            f"--trigger-type {trigger_type}: the application {app.path} has no "
            f"[[trigger.{trigger_type}]]; its trigger types are {listed}. "
            "Give one of those to --trigger-type."
        )
    triggers = tuple(t for t in app.triggers if t.trigger_type in selected)
    kept = {cid for trigger_type in selected for cid in app.components_of(trigger_type)}
    components = {cid: c for cid, c in app.components.items() if cid in kept}
    return dataclasses.replace(app, triggers=triggers, components=components)
