"""The normalised application model: what a v1 or v2 `spin.toml` means, after validation.

Both manifest versions load into these types (v1 is converted on load), so everything after the
loader (locking, executor discovery, the supervisor) sees one shape. Paths are absolute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Variable:
    """An application variable: exactly one of `required` or `default`."""

    name: str
    default: str | None = None
    required: bool = False
    secret: bool = False


@dataclass(frozen=True)
class ComponentSource:
    """Where a component's Wasm comes from: a local file, or a URL with its digest."""

    path: Path | None = None
    url: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class FileMount:
    """A file or directory made visible to the guest.

    `source` is an absolute path on the host; `destination` is the absolute path in the guest.
    Glob patterns from the manifest are expanded to one mount per matched file.
    """

    source: Path
    destination: str


@dataclass(frozen=True)
class FilesEntry:
    """One entry of a component's `files` as written: what `--direct-mounts` mounts in place.

    `host` is the app directory joined with the pattern or `source` (it need not exist: a glob);
    `destination` is where the guest would see it; `field` is its TOML path, for errors.
    """

    field: str
    written: str
    host: Path
    destination: str


@dataclass(frozen=True)
class Component:
    id: str
    source: ComponentSource
    description: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    #: already without the `exclude_files` matches
    files: tuple[FileMount, ...] = ()
    #: the same `files`, entry by entry as written, and the `exclude_files` patterns
    files_as_written: tuple[FilesEntry, ...] = ()
    exclude_files: tuple[str, ...] = ()
    allowed_outbound_hosts: tuple[str, ...] = ()
    key_value_stores: tuple[str, ...] = ()
    sqlite_databases: tuple[str, ...] = ()
    ai_models: tuple[str, ...] = ()
    build: dict[str, Any] | None = None


@dataclass(frozen=True)
class Trigger:
    """One `[[trigger.<type>]]` entry.

    `config` holds the trigger's own keys (opaque to spin up), everything but `id` and
    `component`; a `components` map is kept there with its inline components replaced by ids.
    """

    id: str
    trigger_type: str
    component: str | None
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppManifest:
    """A loaded, validated and normalised application."""

    path: Path
    name: str
    version: str = ""
    description: str = ""
    authors: tuple[str, ...] = ()
    trigger_global_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    components: dict[str, Component] = field(default_factory=dict)
    manifest_version: int = 2
    #: `[supervisor.<type>]` overrides of the supervision policy (our extension; see
    #: docs/operations.md), by trigger type.
    supervisor: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def app_dir(self) -> Path:
        return self.path.parent

    def trigger_types(self) -> list[str]:
        """The trigger types the app uses, in order of first appearance."""
        seen: dict[str, None] = {}
        for trigger in self.triggers:
            seen.setdefault(trigger.trigger_type, None)
        return list(seen)

    def components_of(self, trigger_type: str) -> list[str]:
        """The ids of the components that triggers of this type call."""
        ids: list[str] = []
        for trigger in self.triggers:
            if trigger.trigger_type != trigger_type:
                continue
            if trigger.component:
                ids.append(trigger.component)
            for named in trigger.config.get("components", {}).values():
                ids.extend(named)
        return list(dict.fromkeys(ids))
