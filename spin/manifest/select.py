"""`spin up -c ID`: run a subset of an app's components, as Spin's `retain_components` does.

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
