"""Sections both manifest versions share: the app's details and its `[variables]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spin.manifest.checks import Checker, key_path
from spin.manifest.ids import check_variable_name
from spin.manifest.model import Variable

DETAIL_KEYS = ("name", "version", "description", "authors")
_VARIABLE_KEYS = ("required", "default", "secret")
_VARIABLE_FIX = (
    'Write `{ default = "value" }` or `{ required = true }` (optionally `secret = true`).'
)


@dataclass(frozen=True)
class AppDetails:
    name: str
    version: str
    description: str
    authors: tuple[str, ...]


def parse_details(check: Checker, table: dict[str, Any], field: str) -> AppDetails:
    """`name` (required), `version`, `description` and `authors` of the table at `field`."""
    name = check.string(
        check.required(table, field, "name", 'Add `name = "my-app"`.'), key_path(field, "name")
    )
    return AppDetails(
        name=name,
        version=check.string(table.get("version", ""), key_path(field, "version")),
        description=check.string(table.get("description", ""), key_path(field, "description")),
        authors=check.strings(table.get("authors", []), key_path(field, "authors")),
    )


def parse_variables(check: Checker, raw: object) -> dict[str, Variable]:
    """The `[variables]` table: each variable is required or has a default, never both."""
    table = check.table(raw, "variables", "Write `[variables]` with one entry per variable.")
    variables = {}
    for name, spec in table.items():
        field = key_path("variables", name)
        check_variable_name(check, name, field, "variable name")
        spec = check.table(spec, field, _VARIABLE_FIX)
        check.only_keys(spec, field, _VARIABLE_KEYS)
        required = check.boolean(spec.get("required", False), key_path(field, "required"))
        default = spec.get("default")
        if default is not None:
            check.string(default, key_path(field, "default"), "Defaults are strings.")
        if required == (default is not None):
            problem = (
                "has both `required = true` and a `default`."
                if required
                else "has neither `required = true` nor a `default`."
            )
            check.fail(field, f"variable `{name}` {problem}", _VARIABLE_FIX)
        secret = check.boolean(spec.get("secret", False), key_path(field, "secret"))
        variables[name] = Variable(name=name, default=default, required=required, secret=secret)
    return variables
