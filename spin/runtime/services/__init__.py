"""Spin's host interfaces as plain Python services, apart from any guest ABI.

`key_value` (stores), `sqlite` (databases), `variables` (the provider chain) and
`runtime_config` (the file that configures them). The ABI adapters of each guest family (Spin
1.x modules, components, the WASI 0.2 host) translate their calls into these services and the
services' errors into each interface's own error values, so every executor, internal or
external, gets the same behaviour without writing a line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from spin.runtime.services.key_value import DEFAULT_LABEL, KeyValueStores
from spin.runtime.services.runtime_config import RuntimeConfigFile
from spin.runtime.services.sqlite import Databases


@dataclass
class HostServices:
    """The stores and databases one process's guests share (each worker process has its own;
    variables are resolved per component, `variables.Variables`)."""

    key_value: KeyValueStores
    sqlite: Databases

    @classmethod
    def create(
        cls,
        state_dir: Path | None,
        runtime_config: RuntimeConfigFile,
    ) -> HostServices:
        return cls(
            key_value=KeyValueStores.for_state_dir(state_dir, runtime_config.key_value_stores),
            sqlite=Databases.for_state_dir(state_dir, runtime_config.sqlite_databases),
        )

    def seed(self, key_values: Iterable[tuple[str, str]], sqlite_scripts: Iterable[str]) -> None:
        """`--key-value KEY=VALUE` into the default store and `--sqlite` statements into the
        default database, before the executor serves anything (Spin does the same)."""
        store = self.key_value.open(DEFAULT_LABEL, [DEFAULT_LABEL])
        for key, value in key_values:
            store.set(key, value.encode())
        database = self.sqlite.open(DEFAULT_LABEL, [DEFAULT_LABEL])
        for script in sqlite_scripts:
            database.execute_script(script)
