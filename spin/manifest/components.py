"""One component table (`[component.<id>]` in v2, `[[component]]` in v1) into a `Component`.

Both versions share the fields; v1 names the component's variables `config` and, when it has no
`allowed_outbound_hosts`, keeps the database access Spin gave it before that field existed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spin.allowed_hosts.rules import FIX as OUTBOUND_FIX
from spin.allowed_hosts.rules import invalid_entries
from spin.manifest.checks import Checker, index_path, key_path
from spin.manifest.files import file_mounts
from spin.manifest.hosts import outbound_from_http_hosts
from spin.manifest.ids import check_kebab_id, check_label, check_variable_name
from spin.manifest.model import Component, ComponentSource, Variable
from spin.variables import TEMPLATE

_SHARED_KEYS = (
    "source",
    "description",
    "environment",
    "files",
    "exclude_files",
    "allowed_http_hosts",
    "allowed_outbound_hosts",
    "key_value_stores",
    "sqlite_databases",
    "ai_models",
    "build",
)
V2_KEYS = (*_SHARED_KEYS, "variables", "tool")
V1_KEYS = (*_SHARED_KEYS, "config")
_UNSUPPORTED = ("dependencies", "dependencies_inherit_configuration")
_BUILD_KEYS = ("command", "workdir", "watch")
_SOURCE_FIX = (
    'Write `source = "path/to/app.wasm"` or `source = { url = "...", digest = "sha256:..." }`.'
)
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


@dataclass(frozen=True)
class ComponentScope:
    """What a component is checked against: where the app lives and which variables it declares."""

    check: Checker
    app_dir: Path
    variables: Mapping[str, Variable]
    manifest_version: int


def parse_component(
    scope: ComponentScope, component_id: str, table: dict[str, Any], field: str
) -> Component:
    """Validate the component table at TOML path `field` and normalise it."""
    check = scope.check
    v1 = scope.manifest_version == 1
    for key in _UNSUPPORTED:
        if key in table:
            check.fail(
                key_path(field, key),
                "component dependencies are not supported by this implementation of Spin.",
                "Compose the component before running it, and remove this field.",
            )
    check.only_keys(table, field, V1_KEYS if v1 else V2_KEYS)
    check.table(table.get("tool", {}), key_path(field, "tool"))  # settings for other tools
    variables_key = "config" if v1 else "variables"
    files, files_as_written, exclude_files = file_mounts(
        check, scope.app_dir, table.get("files", []), table.get("exclude_files", []), field
    )
    return Component(
        id=component_id,
        source=_source(check, scope.app_dir, table, field),
        description=check.string(table.get("description", ""), key_path(field, "description")),
        variables=_variables(scope, table.get(variables_key, {}), key_path(field, variables_key)),
        environment=check.string_table(
            table.get("environment", {}), key_path(field, "environment")
        ),
        files=files,
        files_as_written=files_as_written,
        exclude_files=exclude_files,
        allowed_outbound_hosts=_outbound_hosts(scope, table, field),
        key_value_stores=_labels(check, table, field, "key_value_stores"),
        sqlite_databases=_labels(check, table, field, "sqlite_databases"),
        ai_models=tuple(
            check_kebab_id(check, model, index_path(key_path(field, "ai_models"), i), "AI model")
            for i, model in enumerate(
                check.strings(table.get("ai_models", []), key_path(field, "ai_models"))
            )
        ),
        build=_build(check, table.get("build"), key_path(field, "build")),
    )


def _source(check: Checker, app_dir: Path, table: dict[str, Any], field: str) -> ComponentSource:
    raw = check.required(table, field, "source", _SOURCE_FIX)
    field = key_path(field, "source")
    if isinstance(raw, str):
        path = app_dir / check.path(raw, field, base=app_dir)
        with check.filesystem(field, raw):
            found, resolved = path.is_file(), path.resolve()
        if not found:
            check.fail(
                field,
                f"the Wasm file {raw!r} does not exist (looked for {path}).",
                "Build the component first, or fix the path (it is relative to the manifest's "
                "directory).",
            )
        return ComponentSource(path=resolved)
    if not isinstance(raw, dict):
        check.wrong_type(field, raw, "a path string or a `{ url, digest }` table", _SOURCE_FIX)
    if "package" in raw:
        check.fail(
            key_path(field, "package"),
            "registry sources are not supported by this implementation of Spin.",
            _SOURCE_FIX,
        )
    check.only_keys(raw, field, ("url", "digest"))
    url = check.string(check.required(raw, field, "url", _SOURCE_FIX), key_path(field, "url"))
    digest = check.string(
        check.required(raw, field, "digest", _SOURCE_FIX), key_path(field, "digest")
    )
    if not digest.startswith("sha256:"):
        check.fail(
            key_path(field, "digest"),
            f"invalid digest {digest!r}: it must start with 'sha256:'.",
            'Write `digest = "sha256:<hex>"`.',
        )
    return ComponentSource(url=url, digest=digest)


def _variables(scope: ComponentScope, raw: object, field: str) -> dict[str, str]:
    """Component variables: snake_case names, string values whose templates name app variables."""
    values = scope.check.string_table(raw, field)
    for name, value in values.items():
        value_field = key_path(field, name)
        check_variable_name(scope.check, name, value_field, "component variable")
        _check_template(scope, value, value_field)
    return values


def _check_template(scope: ComponentScope, value: str, field: str) -> None:
    check = scope.check
    for match in _TEMPLATE.finditer(value):
        name = match.group(1).strip()
        check_variable_name(check, name, field, f"template {match.group(0)!r} names")
        if name not in scope.variables:
            check.fail(
                field,
                f"the template {match.group(0)!r} names the variable `{name}`, which the app "
                "does not declare.",
                f'Declare it under `[variables]` (e.g. `{name} = {{ default = "..." }}`).',
            )
    if "{{" in _TEMPLATE.sub("", value):
        check.fail(field, f"unclosed template in {value!r}.", "Close it with `}}`.")


def _outbound_hosts(scope: ComponentScope, table: dict[str, Any], field: str) -> tuple[str, ...]:
    check = scope.check
    outbound_field = key_path(field, "allowed_outbound_hosts")
    outbound = check.strings(table.get("allowed_outbound_hosts", []), outbound_field)
    http_field = key_path(field, "allowed_http_hosts")
    http_hosts = check.strings(table.get("allowed_http_hosts", []), http_field)
    legacy = scope.manifest_version == 1 and "allowed_outbound_hosts" not in table
    entries = outbound + outbound_from_http_hosts(
        check, http_hosts, http_field, legacy_database_access=legacy
    )
    _check_outbound_hosts(scope, entries, outbound_field)
    return entries


def _check_outbound_hosts(scope: ComponentScope, entries: tuple[str, ...], field: str) -> None:
    """Spin's load-time check (templates rendered with the variables' defaults), every bad
    entry named in one error rather than the first only."""
    problems = invalid_entries(entries, lambda text: _render_defaults(scope, text))
    if not problems:
        return
    if len(problems) == 1 and problems[0][0] is None:
        scope.check.fail(field, problems[0][1], 'Write `["*://*:*"]`, or list the hosts.')
    lines = "".join(
        f"\n  [{index}] {problem.replace(OUTBOUND_FIX, '').strip()}" for index, problem in problems
    )
    scope.check.fail(
        field,
        f"{len(problems)} of {len(entries)} entries are not valid outbound hosts:{lines}\n",
        "Write each entry as `<scheme>://<host>[:<port>]`, e.g. `https://api.example.com`, "
        "`http://localhost:3000` or `*://*.example.com:*`.",
    )


def _render_defaults(scope: ComponentScope, text: str) -> str:
    """`text` with each `{{ name }}` replaced by that variable's default (KeyError if none)."""

    def default(match: re.Match[str]) -> str:
        value = scope.variables[match.group(1)].default
        if value is None:
            raise KeyError(match.group(1))
        return value

    return TEMPLATE.sub(default, text)


def _labels(check: Checker, table: dict[str, Any], field: str, key: str) -> tuple[str, ...]:
    field = key_path(field, key)
    labels = check.strings(table.get(key, []), field)
    for i, label in enumerate(labels):
        check_label(check, label, index_path(field, i))
    return labels


def _build(check: Checker, raw: object, field: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    fix = 'Write `build = { command = "..." }` (optionally `workdir` and `watch`).'
    table = check.table(raw, field, fix)
    check.only_keys(table, field, _BUILD_KEYS)
    command = check.required(table, field, "command", fix)
    if isinstance(command, list):
        check.strings(command, key_path(field, "command"))
    else:
        check.string(command, key_path(field, "command"), "Give a command or an array of them.")
    check.string(table.get("workdir", ""), key_path(field, "workdir"))
    check.strings(table.get("watch", []), key_path(field, "watch"))
    return dict(table)
