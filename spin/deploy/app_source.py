"""The app an export describes: `--from` a local manifest (or its directory), read as `spin up`
locks it, and what the deployed `spin up -f` is given to find the same app."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from spin.errors import SpinError
from spin.locked import LockedApp, lock_app
from spin.manifest import load_manifest
from spin.up.app_source import find_manifest


@dataclass(frozen=True)
class AppToDeploy:
    """The locked app, and the `spin up -f` argument that finds it where it will run."""

    app: LockedApp
    run_from: str

    def components_of(self, trigger_type: str) -> list[str]:
        """The ids of the components the triggers of this type call (`component`, or the
        `components` map of a multi-component trigger)."""
        ids: list[str] = []
        for trigger in self.app.triggers_of(trigger_type):
            if trigger.component:
                ids.append(trigger.component)
            for named in trigger.config.get("components", {}).values():
                ids.extend([named] if isinstance(named, str) else named)
        return list(dict.fromkeys(ids))

    @property
    def trigger_types(self) -> list[str]:
        return list(dict.fromkeys(t.trigger_type for t in self.app.triggers))

    def running_from(self, run_from: str) -> AppToDeploy:
        return dataclasses.replace(self, run_from=run_from)

    def check_types(self, trigger_types: list[str]) -> None:
        """SpinError for a type the app does not use."""
        for trigger_type in trigger_types:
            if trigger_type not in self.trigger_types:
                raise SpinError(
                    f"--trigger-type {trigger_type}: the app {self.app.name!r} has no "
                    f"[[trigger.{trigger_type}]]; its trigger types are "
                    f"{', '.join(self.trigger_types)}. Give one of those."
                )


def load_app(source: str, run_from: str | None) -> AppToDeploy:
    """The app at `source` (a manifest, or a directory holding spin.toml); `run_from` is what
    the deployment's `spin up -f` gets (default: the manifest's path itself, for systemd)."""
    path = Path(source)
    if not path.exists():
        raise SpinError(
            f"--from {source}: no such file or directory. Give the app's spin.toml or the "
            "directory that holds it."
        )
    manifest_path = find_manifest(path)
    app = LockedApp(lock_app(load_manifest(manifest_path)))
    if not app.triggers:
        raise SpinError(
            f"{manifest_path} has no triggers, so there is nothing to deploy. Add a "
            "[[trigger.<type>]] table that names a component."
        )
    return AppToDeploy(app, run_from or str(manifest_path))
