"""The locked application: the manifest resolved into the JSON document executors read.

Like Spin's `spin.lock`: every path is an absolute `file://` URL, every trigger names its
component, and the app-level trigger configuration sits in `metadata.triggers`. `spin up` writes
it to `<working dir>/spin.lock` and hands executors its URL in `SPIN_LOCKED_URL`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from spin.errors import SpinError

if TYPE_CHECKING:  # executors read locked apps without loading the manifest package
    from spin.manifest.model import AppManifest, Component

LOCK_VERSION = 1
LOCK_FILE_NAME = "spin.lock"


def file_url(path: Path) -> str:
    """An absolute `file://` URL for a local path."""
    return path.resolve().as_uri()


def path_from_url(url: str) -> Path:
    """The local path of a `file://` URL; anything else is a user error."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise SpinError(f"Only file:// URLs are supported here, got {url!r}.")
    return Path(unquote(parsed.path))


def lock_app(app: AppManifest, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Resolve a loaded manifest into a locked-app document (a JSON-ready dict).

    `extra_env` (from `spin up -e KEY=VALUE`) is added to every component's environment and
    wins over the manifest's values.
    """
    metadata: dict[str, Any] = {"name": app.name}
    if app.version:
        metadata["version"] = app.version
    if app.description:
        metadata["description"] = app.description
    if app.authors:
        metadata["authors"] = list(app.authors)
    metadata["origin"] = file_url(app.path)
    metadata["triggers"] = {
        trigger_type: dict(app.trigger_global_config.get(trigger_type, {}))
        for trigger_type in sorted({*app.trigger_types(), *app.trigger_global_config})
    }
    variables: dict[str, Any] = {}
    for name, var in sorted(app.variables.items()):
        entry: dict[str, Any] = {"secret": var.secret}
        if var.default is not None:
            entry["default"] = var.default
        variables[name] = entry
    triggers = []
    for trigger in app.triggers:
        config = dict(trigger.config)
        if trigger.component is not None:
            config["component"] = trigger.component
        triggers.append(
            {"id": trigger.id, "trigger_type": trigger.trigger_type, "trigger_config": config}
        )
    components = [_lock_component(c, extra_env or {}) for c in app.components.values()]
    return {
        "spin_lock_version": LOCK_VERSION,
        "metadata": metadata,
        "variables": variables,
        "triggers": triggers,
        "components": components,
    }


def _lock_component(component: Component, extra_env: dict[str, str]) -> dict[str, Any]:
    source = component.source
    content: dict[str, Any] = {}
    if source.path is not None:
        content["source"] = file_url(source.path)
    else:
        content["source"] = source.url
        if source.digest:
            content["digest"] = source.digest
    metadata: dict[str, Any] = {
        "allowed_outbound_hosts": list(component.allowed_outbound_hosts),
        "key_value_stores": list(component.key_value_stores),
        "sqlite_databases": list(component.sqlite_databases),
        "ai_models": list(component.ai_models),
    }
    if component.description:
        metadata["description"] = component.description
    return {
        "id": component.id,
        "metadata": metadata,
        "source": {"content_type": "application/wasm", "content": content},
        "env": {**component.environment, **extra_env},
        "files": [
            {"content": {"source": file_url(m.source)}, "path": m.destination}
            for m in component.files
        ],
        "config": dict(component.variables),
    }


def write_lock(document: dict[str, Any], working_dir: Path) -> Path:
    """Write `spin.lock` into the working directory and return its path."""
    working_dir.mkdir(parents=True, exist_ok=True)
    path = working_dir / LOCK_FILE_NAME
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


@dataclass(frozen=True)
class LockedComponent:
    """Read access to one component of a locked app, for executors."""

    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def source_path(self) -> Path:
        return path_from_url(self.raw["source"]["content"]["source"])

    @property
    def env(self) -> dict[str, str]:
        return dict(self.raw.get("env", {}))

    @property
    def files(self) -> list[tuple[Path, str]]:
        """(host path, guest path) pairs."""
        files = self.raw.get("files", [])
        return [(path_from_url(f["content"]["source"]), f["path"]) for f in files]

    @property
    def config(self) -> dict[str, str]:
        return dict(self.raw.get("config", {}))

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.raw.get("metadata", {}))


@dataclass(frozen=True)
class LockedTrigger:
    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def trigger_type(self) -> str:
        return str(self.raw["trigger_type"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.raw.get("trigger_config", {}))

    @property
    def component(self) -> str | None:
        component = self.raw.get("trigger_config", {}).get("component")
        return str(component) if component is not None else None


@dataclass(frozen=True)
class LockedApp:
    """A locked app as executors see it."""

    raw: dict[str, Any]

    @classmethod
    def from_file(cls, path: Path) -> LockedApp:
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise SpinError(f"Cannot read the locked app {path}: {err}.") from err
        if not isinstance(document, dict) or document.get("spin_lock_version") != LOCK_VERSION:
            raise SpinError(
                f"The locked app {path} is not a spin.lock of version {LOCK_VERSION}. "
                "Re-run `spin up` to regenerate it."
            )
        return cls(document)

    @property
    def name(self) -> str:
        return str(self.raw.get("metadata", {}).get("name", ""))

    @property
    def version(self) -> str:
        return str(self.raw.get("metadata", {}).get("version", ""))

    @property
    def origin(self) -> str:
        return str(self.raw.get("metadata", {}).get("origin", ""))

    def trigger_global_config(self, trigger_type: str) -> dict[str, Any]:
        return dict(self.raw.get("metadata", {}).get("triggers", {}).get(trigger_type, {}))

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw.get("variables", {}))

    @property
    def triggers(self) -> list[LockedTrigger]:
        return [LockedTrigger(t) for t in self.raw.get("triggers", [])]

    def triggers_of(self, trigger_type: str) -> list[LockedTrigger]:
        return [t for t in self.triggers if t.trigger_type == trigger_type]

    @property
    def components(self) -> dict[str, LockedComponent]:
        return {c["id"]: LockedComponent(c) for c in self.raw.get("components", [])}

    def component(self, component_id: str) -> LockedComponent:
        try:
            return self.components[component_id]
        except KeyError:
            raise SpinError(f"The locked app has no component {component_id!r}.") from None
