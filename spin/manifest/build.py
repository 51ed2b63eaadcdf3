"""The `[component.<id>.build]` tables of a manifest, read without the rest of the validation,
as Spin's `spin build` reads them: the Wasm files a build makes need not exist yet.

`command` is one shell command or an array of them, run in order; `workdir` is relative to the
manifest's directory (an absolute one is refused, as Spin refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import tomli

from spin.errors import ManifestError
from spin.manifest.checks import Checker, index_path, key_path


@dataclass(frozen=True)
class ComponentBuild:
    """How to build one component: its commands, run in `workdir`."""

    component_id: str
    commands: tuple[str, ...]
    workdir: Path


def build_configs(manifest: Path) -> list[ComponentBuild | None]:
    """Each component's build, in manifest order (None for a component without one)."""
    manifest = manifest.absolute()
    check = Checker(manifest)
    try:
        document = tomli.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as err:
        raise ManifestError(manifest, "", f"cannot read the manifest: {err}.") from None
    return [
        _build(check, manifest.parent, component_id, table, field)
        for component_id, table, field in _component_tables(check, document)
    ]


def _component_tables(check: Checker, document: dict[str, Any]) -> list[tuple[str, Any, str]]:
    raw = document.get("component", {})
    if isinstance(raw, list):  # version 1: [[component]] with `id`
        return [
            (str(table.get("id", "")), table, index_path("component", i))
            for i, table in enumerate(raw)
            if isinstance(table, dict)
        ]
    tables = check.table(raw, "component")
    return [(cid, table, key_path("component", cid)) for cid, table in tables.items()]


def _build(
    check: Checker, app_dir: Path, component_id: str, table: object, field: str
) -> ComponentBuild | None:
    if not isinstance(table, dict) or "build" not in table:
        return None
    field = key_path(field, "build")
    build = check.table(table["build"], field, 'Write `build = { command = "..." }`.')
    command = check.required(build, field, "command", 'Add `command = "..."`.')
    commands = (
        check.strings(command, key_path(field, "command"))
        if isinstance(command, list)
        else (check.string(command, key_path(field, "command")),)
    )
    workdir = check.string(build.get("workdir", ""), key_path(field, "workdir"))
    if PurePosixPath(workdir).is_absolute():
        check.fail(
            key_path(field, "workdir"),
            f"the workdir {workdir!r} is absolute.",
            "The workdir specified in the application file must be relative (to the manifest).",
        )
    return ComponentBuild(component_id, commands, app_dir / workdir)
