"""Which of an app's stores can be split across pods.

A key-value store or SQLite database of Spin's default kind is a SQLite file in the state
directory: on one machine every executor of `spin up` shares it, but pods do not share files,
so each replica, and each trigger type's Deployment, would get an empty store of its own. Only a
store the runtime config points at a server (a key-value store of `type = "redis"`) is shared.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from spin.deploy.app_source import AppToDeploy
from spin.errors import SpinError
from spin.runtime.services.runtime_config import RuntimeConfigFile


@dataclass(frozen=True)
class StoreUse:
    """One store label and who uses it."""

    kind: str  # "key-value store" or "SQLite database"
    label: str
    shared: bool  # kept on a server every pod reaches
    trigger_types: tuple[str, ...]
    components: tuple[str, ...]

    def problem(self, replicated: Collection[str]) -> str | None:
        """Why a local store breaks when deployed, or None when one pod alone uses it."""
        if self.shared:
            return None
        if len(self.trigger_types) > 1:
            return (
                f"the {' and '.join(self.trigger_types)} Deployments would each have their "
                "own file and never see each other's data"
            )
        if self.trigger_types[0] in replicated:
            return "each replica would have its own file"
        return None

    def describe(self) -> str:
        return (
            f"the {self.kind} {self.label!r} (used by "
            f"{', '.join(repr(c) for c in self.components)})"
        )


def store_uses(app: AppToDeploy, runtime_config: RuntimeConfigFile) -> list[StoreUse]:
    """Every store label the app's components use, with where its data lives."""
    uses: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for trigger_type in app.trigger_types:
        for component_id in app.components_of(trigger_type):
            component = app.app.component(component_id)
            labels = [("key-value store", label) for label in component.key_value_stores]
            labels += [("SQLite database", label) for label in component.sqlite_databases]
            for key in labels:
                types, components = uses.setdefault(key, ([], []))
                types.extend([trigger_type] if trigger_type not in types else [])
                components.extend([component_id] if component_id not in components else [])
    kv = runtime_config.key_value_stores
    return [
        StoreUse(
            kind,
            label,
            shared=kind == "key-value store" and label in kv and kv[label].kind == "redis",
            trigger_types=tuple(types),
            components=tuple(components),
        )
        for (kind, label), (types, components) in uses.items()
    ]


def check_stores(
    uses: list[StoreUse], replicated: Collection[str], *, allow_local: bool
) -> list[str]:
    """Warnings for the local stores; SpinError for one that pods would split, unless
    `allow_local`."""
    warnings = []
    for use in uses:
        if use.shared:
            continue
        problem = use.problem(replicated)
        if problem is None:
            warnings.append(
                f"{use.describe()} is a SQLite file in the pod's state directory (an emptyDir): "
                "its data is lost whenever the pod is replaced."
            )
        elif allow_local:
            warnings.append(f"{use.describe()} is a local SQLite file: {problem}.")
        else:
            fix = (
                "point it at a shared server in a runtime config file "
                f'(`[key_value_store.{use.label}]` with `type = "redis"` and '
                '`url = "redis://..."`) and pass it with --runtime-config-file'
                if use.kind == "key-value store"
                else "this runtime has no shared SQLite backend: keep the components that use it "
                "in one single-replica Deployment"
            )
            raise SpinError(
                f"Cannot split {use.describe()} across pods: it is a SQLite file, and {problem}. "
                f"Fix: {fix}; or pass --allow-local-stores to write the manifests anyway."
            )
    return warnings
