"""A pulled locked app as the application model `spin up` runs (spin/manifest/model.py), so a
registry app goes through the same steps as a local one: `-c`, `-e`, `--exec`, executor
discovery, locking into the working directory, supervision.

Only what a locked app made from a manifest holds is read back; a lock needing features this
spin lacks (`must_understand`) is refused first, as for any lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spin.locked import LockedApp, path_from_url
from spin.manifest.model import (
    AppManifest,
    Component,
    ComponentSource,
    FileMount,
    FilesEntry,
    Trigger,
    Variable,
)


def manifest_from_lock(path: Path) -> AppManifest:
    """The app of the locked app at `path` (its sources and files local paths)."""
    locked = LockedApp.from_file(path)
    metadata: dict[str, Any] = locked.raw.get("metadata", {})
    return AppManifest(
        path=path,
        name=locked.name,
        version=locked.version,
        description=str(metadata.get("description", "")),
        authors=tuple(metadata.get("authors", [])),
        trigger_global_config={k: dict(v) for k, v in metadata.get("triggers", {}).items()},
        variables={
            name: Variable(
                name,
                default=spec.get("default"),
                required="default" not in spec,
                secret=bool(spec.get("secret", False)),
            )
            for name, spec in locked.variables.items()
        },
        triggers=tuple(
            Trigger(
                id=trigger.id,
                trigger_type=trigger.trigger_type,
                component=trigger.component,
                config={k: v for k, v in trigger.config.items() if k != "component"},
            )
            for trigger in locked.triggers
        ),
        components={
            component.id: _component(component.raw) for component in locked.components.values()
        },
    )


def _component(raw: dict[str, Any]) -> Component:
    metadata: dict[str, Any] = raw.get("metadata", {})
    mounts = [
        (path_from_url(entry["source"]), str(entry["path"])) for entry in raw.get("files", [])
    ]
    return Component(
        id=str(raw["id"]),
        source=ComponentSource(path=path_from_url(raw["source"]["source"])),
        description=str(metadata.get("description", "")),
        variables=dict(raw.get("config", {})),
        environment=dict(raw.get("env", {})),
        files=tuple(FileMount(path, guest) for path, guest in mounts),
        files_as_written=tuple(
            FilesEntry(f"{raw['id']}.files[{n}]", str(path), path, guest)
            for n, (path, guest) in enumerate(mounts)
        ),
        allowed_outbound_hosts=tuple(metadata.get("allowed_outbound_hosts", [])),
        key_value_stores=tuple(metadata.get("key_value_stores", [])),
        sqlite_databases=tuple(metadata.get("databases", [])),
        ai_models=tuple(metadata.get("ai_models", [])),
        build=metadata.get("build"),
    )
