"""Typed trigger configuration: an executor declares a dataclass for its `[[trigger.<type>]]`
tables (and one for `[application.trigger.<type>]`); the library reads them from the locked app.

As Spin's trigger configs (serde with `deny_unknown_fields`) do, an unknown key, a missing field
or a value of the wrong type is refused at start, with one `SpinError` naming the manifest, the
trigger, the field and the fix::

    @dataclass(frozen=True, kw_only=True)
    class TimerConfig:
        component: Annotated[str, Setting(example='component = "tick"')]
        interval_secs: Annotated[
            float, Setting(example="interval_secs = 5", must="a number above 0", valid=positive)
        ]

A field without a default is required; `Setting` (optional) says how to explain it. Supported
types: `str`, `int`, `float` (an integer is accepted), `bool`, `dict`, `list`, `Any`,
`Literal[...]`, unions (`str | None`) and nested dataclasses (a table, checked the same way).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import unquote, urlparse

from spin.errors import SpinError
from spin.locked import LockedApp

C = TypeVar("C")


@dataclass(frozen=True)
class Setting:
    """How a field is explained in errors (`Annotated[type, Setting(...)]`), and what else it
    must satisfy besides its type."""

    example: str = ""  # `route = "/..."`: shown as the fix
    must: str = ""  # "a number above 0": replaces the type's own description
    valid: Callable[[Any], bool] | None = None


def positive(value: float) -> bool:
    """A `valid` check: above 0 and finite."""
    return 0 < value < math.inf


@dataclass(frozen=True)
class ConfiguredTrigger(Generic[C]):
    """One trigger of the app: its id and its parsed configuration."""

    id: str
    config: C


@dataclass(frozen=True)
class Where:
    """Where a table is, for messages: the manifest, the trigger (or app table) that holds it,
    and the key path in front of its fields (`executor.` for a nested table)."""

    manifest: str
    owner: str
    path: str = ""
    owner_in_field: bool = True

    def field(self, name: str) -> str:
        shown = f"field `{self.path}{name}`"
        return f"{self.owner}: {shown}" if self.owner_in_field else shown

    def nested(self, name: str) -> Where:
        return dataclasses.replace(self, path=f"{self.path}{name}.")

    def fail(self, message: str) -> SpinError:
        return SpinError(f"{self.manifest}: {message}")


def manifest_name(app: LockedApp) -> str:
    """The manifest's path for messages (the locked app records it as a file URL)."""
    origin = urlparse(app.origin)
    if origin.scheme == "file":
        return str(Path(unquote(origin.path)))
    return app.origin or "the application manifest"


def trigger_configs(
    app: LockedApp, trigger_type: str, config_class: type[C]
) -> list[ConfiguredTrigger[C]]:
    """Every `[[trigger.<type>]]` of the app, parsed; a `component` field must name a
    component of the app."""
    configured = []
    for trigger in app.triggers_of(trigger_type):
        where = Where(manifest_name(app), f"{trigger_type} trigger {trigger.id!r}")
        config = parse_table(config_class, trigger.config, where)
        component = getattr(config, "component", None)
        if isinstance(component, str) and component not in app.components:
            raise where.fail(
                f"{where.field('component')} names {component!r}, which the app does not "
                "define. Add a `[component.<id>]` table or fix the name."
            )
        configured.append(ConfiguredTrigger(trigger.id, config))
    return configured


def app_trigger_config(app: LockedApp, trigger_type: str, config_class: type[C]) -> C:
    """`[application.trigger.<type>]` (a Spin 1.x manifest's `trigger = {...}`), parsed."""
    table = f"application.trigger.{trigger_type}"
    where = Where(manifest_name(app), f"`[{table}]`", f"{table}.", owner_in_field=False)
    return parse_table(config_class, app.trigger_global_config(trigger_type), where)


def parse_table(config_class: type[C], raw: object, where: Where) -> C:
    """An instance of the dataclass `config_class` from a manifest table, or a SpinError."""
    if not isinstance(raw, dict):
        raise where.fail(f"{where.owner} must be a table, not {raw!r}.")
    fields = dataclasses.fields(config_class)  # type: ignore[arg-type]
    known = [field.name for field in fields]
    for key in raw:
        if key not in known:
            raise where.fail(
                f"unknown field `{where.path}{key}` in {where.owner}. Remove it, or use one "
                f"of: {', '.join(f'`{name}`' for name in known)}."
            )
    hints = typing.get_type_hints(config_class, include_extras=True)
    values: dict[str, Any] = {}
    for field in fields:
        annotation, help_ = _explained(hints[field.name])
        if field.name in raw:
            values[field.name] = _value(annotation, raw[field.name], field.name, help_, where)
        elif field.default is MISSING and field.default_factory is MISSING:
            example = f", e.g. `{help_.example}`" if help_.example else ""
            raise where.fail(f"{where.owner} has no `{where.path}{field.name}`. Add it{example}.")
    return config_class(**values)


def _explained(annotation: Any) -> tuple[Any, Setting]:
    """`Annotated[str, Setting(...)]` -> (str, the Setting); a plain type has no help."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation, Setting()
    base, *extras = typing.get_args(annotation)
    return base, next((e for e in extras if isinstance(e, Setting)), Setting())


def _value(annotation: Any, value: Any, name: str, help_: Setting, where: Where) -> Any:
    table_class = next((t for t in _members(annotation) if dataclasses.is_dataclass(t)), None)
    if table_class is not None and isinstance(value, dict):
        return parse_table(table_class, value, where.nested(name))  # type: ignore[arg-type]
    if not _conforms(annotation, value) or (help_.valid is not None and not help_.valid(value)):
        example = f", e.g. `{help_.example}`" if help_.example else ""
        must = help_.must or _describe(annotation)
        raise where.fail(f"{where.field(name)} is {value!r}; it must be {must}{example}.")
    if float in _members(annotation) and isinstance(value, int):
        return float(value)
    return value


def _members(annotation: Any) -> tuple[Any, ...]:
    """The alternatives of a union (`str | None`), or the annotation itself."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _conforms(annotation: Any, value: Any) -> bool:
    return any(_accepts(member, value) for member in _members(annotation))


def _accepts(member: Any, value: Any) -> bool:
    origin = typing.get_origin(member) or member
    if member is Any or member is object:
        return True
    if origin is Literal:  # by type too: TOML's true is not the 1 of `Literal[0, 1]`
        return any(type(value) is type(v) and value == v for v in typing.get_args(member))
    if member is type(None):
        return value is None
    if isinstance(value, bool) != (origin is bool):
        return False  # TOML's true is not the number 1, nor 1 a boolean
    if origin is float:
        return isinstance(value, int | float)
    return isinstance(origin, type) and isinstance(value, origin)


_KINDS: dict[Any, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a table",
    list: "an array",
}


def _describe(annotation: Any) -> str:
    kinds = []
    for member in _members(annotation):
        origin = typing.get_origin(member) or member
        if origin is Literal:
            kinds.append("one of " + ", ".join(f'"{v}"' for v in typing.get_args(member)))
        elif dataclasses.is_dataclass(member):
            kinds.append("a table")
        elif member is not type(None):
            kinds.append(_KINDS.get(origin, getattr(origin, "__name__", str(origin))))
    return " or ".join(kinds)
