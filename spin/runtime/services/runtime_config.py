"""Spin's runtime config file (`--runtime-config-file`): where stores, databases and variables
come from on this machine, kept out of the manifest.

    [key_value_store.cache]          type = "spin", path = "cache.db"  |  type = "redis", url
    [sqlite_database.reports]        type = "spin", path = "reports.db"
    [[variables_provider]]           type = "env" (prefix, dotenv_path) | "static" (values)
                                     | "vault" (url, token, mount, prefix)
                                     (`[[config_provider]]` is Spin 1's name for the same list)

Relative paths are resolved against the file's directory. Every error names the file, the
field and the fix. Tables Spin knows that this runtime does not use (`llm_compute`,
`outbound_*`, `client_tls`...) are reported once as ignored; anything else is refused, as Spin
refuses keys nothing reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spin.errors import SpinError
from spin.runtime.services.key_value import StoreDefinition

log = logging.getLogger("spin.runtime")

#: Tables Spin reads that this runtime has nothing for: accepted, with a warning.
IGNORED_TABLES = (
    "llm_compute",
    "client_tls",
    "outbound_networking",
    "outbound_http",
    "outbound_redis",
    "outbound_pg",
    "outbound_mysql",
    "outbound_mqtt",
    "state_dir",
    "log_dir",
    "max_instance_memory",
)

PROVIDER_FIELDS = {
    "env": {"prefix", "dotenv_path"},
    "static": {"values"},
    "vault": {"url", "token", "mount", "prefix"},
}


@dataclass(frozen=True)
class VariablesProvider:
    """One `[[variables_provider]]` entry: its type and its fields."""

    type: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuntimeConfigFile:
    """What a runtime config file configures; empty when there is none."""

    key_value_stores: dict[str, StoreDefinition] = field(default_factory=dict)
    sqlite_databases: dict[str, Path | None] = field(default_factory=dict)
    variables_providers: tuple[VariablesProvider, ...] = ()


def load_runtime_config(path: Path | None) -> RuntimeConfigFile:
    if path is None:
        return RuntimeConfigFile()
    import tomllib  # only an executor given a file parses one; a guest worker never does

    try:
        table = tomllib.loads(path.read_text())
    except OSError as err:
        raise SpinError(
            f"Cannot read the runtime config file {path}: {err.strerror}. "
            "Check the path given to --runtime-config-file."
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise SpinError(f"{path} is not valid TOML: {err}. Fix the file's syntax.") from None
    return _Parser(path).parse(table)


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent

    def fail(self, where: str, problem: str, fix: str) -> SpinError:
        return SpinError(f"{self.path}: `{where}` {problem}. {fix}")

    def parse(self, table: dict[str, Any]) -> RuntimeConfigFile:
        for key in table:
            if key in IGNORED_TABLES:
                log.warning("%s: [%s] is not used by this runtime and is ignored", self.path, key)
            elif key not in (
                "key_value_store",
                "sqlite_database",
                "variables_provider",
                "config_provider",
            ):
                raise self.fail(
                    key,
                    "is not a runtime config setting",
                    "Remove it; the settings are key_value_store, sqlite_database and "
                    "variables_provider (see docs/user-guide.md).",
                )
        providers = table.get("variables_provider", table.get("config_provider", []))
        field_name = "variables_provider" if "variables_provider" in table else "config_provider"
        return RuntimeConfigFile(
            key_value_stores={
                label: self.store(label, entry)
                for label, entry in self.labelled(table, "key_value_store").items()
            },
            sqlite_databases={
                label: self.database(label, entry)
                for label, entry in self.labelled(table, "sqlite_database").items()
            },
            variables_providers=tuple(
                self.provider(f"{field_name}[{i}]", entry)
                for i, entry in enumerate(self.array(providers, field_name))
            ),
        )

    def labelled(self, table: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
        entries = table.get(name, {})
        if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
            raise self.fail(
                name, "must be tables by label", f'Write `[{name}.<label>]` with `type = "spin"`.'
            )
        return entries

    def array(self, value: Any, name: str) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, "must be an array of tables", f"Write `[[{name}]]` entries.")
        return value

    def only(self, where: str, entry: dict[str, Any], allowed: set[str]) -> None:
        for key in entry:
            if key not in allowed | {"type"}:
                raise self.fail(
                    f"{where}.{key}",
                    "is not a setting of this type",
                    f"Remove it; the settings here are {', '.join(sorted(allowed)) or 'none'}.",
                )

    def text(self, where: str, entry: dict[str, Any], key: str, *, required: bool) -> str | None:
        value = entry.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where}.{key}", "must be a non-empty string", f'Set `{key} = "..."`.')
        return value

    def local_path(self, where: str, entry: dict[str, Any]) -> Path | None:
        value = self.text(where, entry, "path", required=False)
        return None if value is None else self.base / value

    def store(self, label: str, entry: dict[str, Any]) -> StoreDefinition:
        where = f"key_value_store.{label}"
        kind = entry.get("type")
        if kind == "spin":
            self.only(where, entry, {"path"})
            return StoreDefinition("spin", path=self.local_path(where, entry))
        if kind == "redis":
            self.only(where, entry, {"url"})
            return StoreDefinition("redis", url=self.text(where, entry, "url", required=True))
        raise self.fail(
            f"{where}.type",
            f"is {kind!r}, which this runtime does not provide",
            'Use type = "spin" (a SQLite file, `path`) or type = "redis" (`url`).',
        )

    def database(self, label: str, entry: dict[str, Any]) -> Path | None:
        where = f"sqlite_database.{label}"
        if entry.get("type") != "spin":
            raise self.fail(
                f"{where}.type",
                f"is {entry.get('type')!r}, which this runtime does not provide",
                'Use type = "spin" with an optional `path` (a local SQLite file).',
            )
        self.only(where, entry, {"path"})
        return self.local_path(where, entry)

    def provider(self, where: str, entry: dict[str, Any]) -> VariablesProvider:
        kind = entry.get("type")
        if kind not in PROVIDER_FIELDS:
            raise self.fail(
                f"{where}.type",
                f"is {kind!r}, which this runtime does not provide",
                'Use type = "env", "static" or "vault".',
            )
        self.only(where, entry, PROVIDER_FIELDS[kind])
        settings = {k: v for k, v in entry.items() if k != "type"}
        if kind == "vault":
            for key in ("url", "token", "mount"):
                self.text(where, entry, key, required=True)
        if kind == "static" and not (
            isinstance(entry.get("values"), dict)
            and all(isinstance(v, str) for v in entry["values"].values())
        ):
            raise self.fail(
                f"{where}.values",
                "must be a table of strings",
                'Write `values = { name = "value" }`.',
            )
        if kind == "env" and "dotenv_path" in settings:
            settings["dotenv_path"] = self.base / str(settings["dotenv_path"])
        return VariablesProvider(kind, settings)
