"""The app an export describes: `--from` a local manifest (or its directory) or a registry
reference (pulled into the cache), read as `spin up` reads it, and what the deployed
`spin up -f` is given to find the same app."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from spin.errors import SpinError
from spin.locked import LockedApp, lock_app
from spin.up.app_source import find_app
from spin.up.app_source import load_app as load_manifest_or_lock


@dataclass(frozen=True)
class AppToDeploy:
    """The locked app, and the `spin up -f` argument that finds it where it will run."""

    app: LockedApp
    run_from: str
    #: `--from` named a registry reference (run_from is then that reference)
    from_registry: bool = False

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


def load_app(source: str, *, insecure: bool = False) -> AppToDeploy:
    """The app at `source`: a manifest, a directory holding spin.toml, or a registry reference
    (as `spin up -f` guesses it: no such file, and it parses as one), pulled with `insecure`
    for a plain-HTTP registry. Deployed, it runs from the same place."""
    from_registry = not Path(source).exists()
    path = find_app(Path(source), None, insecure=insecure)
    with tempfile.TemporaryDirectory(prefix="spin-export-") as scratch:
        # Locked as `spin up` locks it (files copied, so globs and exclude_files lock too); the
        # copy is not needed: an export reads the triggers and components, not the files.
        app = LockedApp(lock_app(load_manifest_or_lock(path), assets_dir=Path(scratch)))
    if not app.triggers:
        raise SpinError(
            f"{source} has no triggers, so there is nothing to deploy. Add a "
            "[[trigger.<type>]] table that names a component."
        )
    return AppToDeploy(app, source if from_registry else str(path), from_registry)
