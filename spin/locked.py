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

from spin.allowed_hosts.rules import service_chaining_target
from spin.errors import SpinError

if TYPE_CHECKING:  # executors read locked apps without loading the manifest package
    from spin.manifest.model import AppManifest, Component, Variable

#: We read versions 0 and 1, as Spin does; like Spin we write 1 only when the lock has
#: `must_understand` or `host_requirements` (which a version-0 reader would miss), else 0.
LOCK_VERSIONS = (0, 1)
LOCK_FILE_NAME = "spin.lock"
#: The working directory inside the app directory, when none is given (`spin up --exec`, an
#: executor that locks the manifest itself).
APP_WORKING_DIR = Path(".spin") / "up"
#: A component's host requirement: it calls other components through `*.spin.internal`.
SERVICE_CHAINING = "local_service_chaining"
#: `must_understand` entries and host requirements this implementation honours; a lock that
#: needs anything else is refused, as Spin refuses it.
UNDERSTOOD = ("host_requirements", "component_host_requirements")
SUPPORTED_HOST_REQUIREMENTS = (SERVICE_CHAINING,)


def file_url(path: Path) -> str:
    """An absolute `file://` URL for a local path."""
    return path.resolve().as_uri()


def path_from_url(url: str) -> Path:
    """The local path of a `file://` URL; anything else is a user error."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise SpinError(f"Only file:// URLs are supported here, got {url!r}.")
    return Path(unquote(parsed.path))


def lock_app(
    app: AppManifest, extra_env: dict[str, str] | None = None, *, assets_dir: Path | None
) -> dict[str, Any]:
    """Resolve a loaded manifest into a locked-app document (a JSON-ready dict).

    The keys follow Spin's `spin.lock`; like Spin, empty values are left out. `extra_env` (from
    `spin up -e KEY=VALUE`) is added to every component's environment and wins over the
    manifest's values. With `assets_dir` (Spin's default, `<working dir>/assets`) each
    component's `files` are copied under it and mounted from there; with None they are
    mounted where they are, which works only for directories (`spin up --direct-mounts`).
    Callers say which: a default of None silently gave two of them direct mounts.
    """
    components = [
        _lock_component(c, extra_env or {}, _files(c, app.path, assets_dir))
        for c in app.components.values()
    ]
    must_understand = (
        ["component_host_requirements"] if any("host_requirements" in c for c in components) else []
    )
    document: dict[str, Any] = {"spin_lock_version": 1 if must_understand else 0}
    if must_understand:
        document["must_understand"] = must_understand
    document["metadata"] = _app_metadata(app)
    if app.variables:  # left out when empty, as Spin leaves it
        document["variables"] = {name: _variable(v) for name, v in sorted(app.variables.items())}
    document.update(
        {
            "triggers": [
                {
                    "id": trigger.id,
                    "trigger_type": trigger.trigger_type,
                    "trigger_config": _trigger_config(trigger.config, trigger.component),
                }
                for trigger in app.triggers
            ],
            "components": components,
        }
    )
    return document


def _app_metadata(app: AppManifest) -> dict[str, Any]:
    """`name`, `version`, ..., `origin`, `triggers` (the `[application.trigger.<type>]` tables
    the manifest has; a v1 manifest's `trigger` table), and (as Spin adds for single-type apps)
    `trigger` with that type's config and its `type`."""
    types = app.trigger_types()
    triggers = {
        trigger_type: dict(config)
        for trigger_type, config in sorted(app.trigger_global_config.items())
    }
    metadata: dict[str, Any] = _non_empty(
        name=app.name,
        version=app.version,
        description=app.description,
        authors=list(app.authors),
    )
    metadata["origin"] = file_url(app.path)
    metadata["triggers"] = triggers
    if len(types) == 1:
        metadata["trigger"] = {**triggers.get(types[0], {}), "type": types[0]}
    return metadata


def _variable(var: Variable) -> dict[str, Any]:
    """A required variable is one without a default."""
    entry: dict[str, Any] = {}
    if var.default is not None:
        entry["default"] = var.default
    if var.secret:
        entry["secret"] = True
    return entry


def _trigger_config(config: dict[str, Any], component: str | None) -> dict[str, Any]:
    locked = dict(config)
    if component is not None:
        locked["component"] = component
    return locked


def _files(component: Component, manifest: Path, assets_dir: Path | None) -> list[dict[str, Any]]:
    # Locking imports what only `spin up` needs (file_mounts: tempfile and shutil; a guest
    # worker reads a LockedComponent and never locks one).
    from spin.file_mounts import copied_mounts, direct_mounts

    if assets_dir is None:
        return direct_mounts(component, manifest)
    return copied_mounts(component, assets_dir)


def _lock_component(
    component: Component, extra_env: dict[str, str], files: list[dict[str, Any]]
) -> dict[str, Any]:
    source = component.source
    locked_source: dict[str, Any] = {"content_type": "application/wasm"}
    if source.path is not None:
        locked_source["source"] = file_url(source.path)
    else:  # downloaded (or cached): the lock names the local copy, as Spin's does
        assert source.url is not None and source.digest is not None
        from spin.remote_sources import fetch_source

        what = f"component {component.id!r}"
        locked_source["source"] = file_url(fetch_source(source.url, source.digest, what=what))
    metadata = _non_empty(
        description=component.description,
        allowed_outbound_hosts=list(component.allowed_outbound_hosts),
        key_value_stores=list(component.key_value_stores),
        databases=list(component.sqlite_databases),
        ai_models=list(component.ai_models),
        build=component.build,
    )
    locked: dict[str, Any] = {"id": component.id}
    if metadata:
        locked["metadata"] = metadata
    locked["source"] = locked_source
    locked.update(
        _non_empty(
            env={**component.environment, **extra_env},
            files=files,
            config=dict(component.variables),
        )
    )
    if any(service_chaining_target(e) for e in component.allowed_outbound_hosts):
        locked["host_requirements"] = {SERVICE_CHAINING: "required"}
    return locked


def _non_empty(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}


def write_lock(document: dict[str, Any], working_dir: Path) -> Path:
    """Write `spin.lock` into the working directory and return its path."""
    working_dir.mkdir(parents=True, exist_ok=True)
    path = working_dir / LOCK_FILE_NAME
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=_iso_text) + "\n")
    return path


def _iso_text(value: object) -> str:
    """TOML dates and times (kept as they are in opaque trigger config) become ISO 8601 text."""
    import datetime  # only `spin up` writes a lock; a guest worker reads one

    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written to a locked app")


def _content_source(content: dict[str, Any]) -> str:
    """The `source` URL of a content reference (flattened into its parent, as Spin writes it)."""
    return str(content["source"])


@dataclass(frozen=True)
class LockedComponent:
    """Read access to one component of a locked app, for executors."""

    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def source_path(self) -> Path:
        return path_from_url(_content_source(self.raw["source"]))

    @property
    def env(self) -> dict[str, str]:
        return dict(self.raw.get("env", {}))

    @property
    def files(self) -> list[tuple[Path, str]]:
        """(host directory, guest path) pairs."""
        files = self.raw.get("files", [])
        return [(path_from_url(_content_source(f)), f["path"]) for f in files]

    @property
    def config(self) -> dict[str, str]:
        return dict(self.raw.get("config", {}))

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.raw.get("metadata", {}))

    @property
    def key_value_stores(self) -> list[str]:
        """The key-value store labels the component may open (Spin's permission list)."""
        return list(self.metadata.get("key_value_stores", []))

    @property
    def sqlite_databases(self) -> list[str]:
        """The SQLite database labels the component may open (`databases` in the lock)."""
        return list(self.metadata.get("databases", []))


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
        if not isinstance(document, dict) or document.get("spin_lock_version") not in LOCK_VERSIONS:
            raise SpinError(
                f"The locked app {path} is not a spin.lock of version 0 or 1. "
                "Re-run `spin up` to regenerate it."
            )
        _check_understood(document, path)
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


def _check_understood(document: dict[str, Any], path: Path) -> None:
    """Refuse a lock that needs what we do not do, as Spin does: an unknown `must_understand`
    entry, or a host requirement other than local service chaining that is not `optional`."""
    unknown = [str(e) for e in document.get("must_understand", []) if e not in UNDERSTOOD]
    requirements = [document.get("host_requirements", {})] + [
        component.get("host_requirements", {}) for component in document.get("components", [])
    ]
    unknown += [
        str(key)
        for table in requirements
        if isinstance(table, dict)
        for key, value in table.items()
        if value != "optional" and key not in SUPPORTED_HOST_REQUIREMENTS
    ]
    if unknown:
        raise SpinError(
            f"The locked app {path} needs features this implementation of Spin does not "
            f"support: {', '.join(dict.fromkeys(unknown))}. Run it with a Spin that does, or "
            "lock it again from a manifest without them."
        )
