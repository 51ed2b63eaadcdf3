"""What an executor is given to run: its app, its typed options and trigger configs, readiness
and the stop signal."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from spin.errors import SpinError
from spin.heap import give_back_free_memory
from spin.locked import LockedApp, LockedTrigger
from spin.notify import notify
from spin.runtime.config import MEBIBYTE, RuntimeConfig, RuntimeOptions
from spin.runtime.logs import ComponentLogs
from spin.runtime.services import HostServices
from spin.runtime.services.key_value import KeyValueError
from spin.runtime.services.runtime_config import RuntimeConfigFile, load_runtime_config
from spin.runtime.services.sqlite import SqliteError
from spin.trigger.config import ConfiguredTrigger
from spin.trigger.health import Health
from spin.trigger.options import CommonOptions

if TYPE_CHECKING:
    from spin.runtime.pool.pool import WorkerPool

log = logging.getLogger("spin.trigger")


@dataclass
class TriggerContext:
    """Everything an executor needs from the shared library.

    `stopping` is set when a graceful stop begins (SIGINT/SIGTERM): stop taking new work, finish
    what is in flight and return from `run()`. The runner cancels `run()` if it takes longer than
    `grace_period` seconds.

    `executor_options` is the executor's `options_class` built from its own options,
    `trigger_configs` / `app_config` its `trigger_config` / `app_config` read from the app (empty
    and None when it declares none).
    """

    trigger_type: str
    app: LockedApp
    app_dir: Path
    working_dir: Path
    options: CommonOptions
    grace_period: float
    runtime_options: RuntimeOptions = field(default_factory=RuntimeOptions)
    executor_options: Any = None
    trigger_configs: list[ConfiguredTrigger[Any]] = field(default_factory=list)
    app_config: Any = None
    stopping: anyio.Event = field(default_factory=anyio.Event)
    _logs: dict[str, ComponentLogs] = field(default_factory=dict)

    @property
    def triggers(self) -> list[LockedTrigger]:
        """This executor's triggers (those of its type) in manifest order."""
        return self.app.triggers_of(self.trigger_type)

    @property
    def state_dir(self) -> Path:
        return self.options.state_dir or self.app_dir / ".spin"

    @property
    def log_dir(self) -> Path | None:
        """Where component log files go; None after `-L ""` (no log files)."""
        if not self.options.log_files:
            return None
        return self.options.log_dir or self.state_dir / "logs"

    def component_logs(self, component_id: str) -> ComponentLogs:
        """The stdout/stderr log files of a component (created on first use)."""
        logs = self._logs.get(component_id)
        if logs is None:
            echo = not self.options.quiet and (
                not self.options.follow or component_id in self.options.follow
            )
            logs = self._logs[component_id] = ComponentLogs(self.log_dir, component_id, echo=echo)
        return logs

    def runtime_config(self) -> RuntimeConfig:
        """The Wasm runtime settings this executor was started with.

        The compiled-artefact cache lives under `<state dir>/cache` unless `--disable-cache`
        (`--cache FILE` hands caching to wasmtime's own cache with that configuration);
        `--wasm-timeout` / `--wasm-memory-limit` / `--wasm-output-limit` come from
        `RUNTIME_OPTIONS` when the executor declared them, else their defaults (0 means no
        limit).
        """
        options = self.options
        writable = options.allow_transient_write
        timeout = self.runtime_options.wasm_timeout
        memory_mb = self.runtime_options.wasm_memory_limit
        output_mb = self.runtime_options.wasm_output_limit
        return RuntimeConfig(
            cache_dir=None if options.disable_cache else self.state_dir / "cache",
            instance_timeout=timeout if timeout and timeout > 0 else None,
            memory_limit=int(memory_mb * MEBIBYTE) if memory_mb else None,
            output_limit=max(1, int(output_mb * MEBIBYTE)) if output_mb else None,
            allow_transient_write=writable,
            transient_dir=self.state_dir / "transient" if writable else None,
            cache_config=None if options.disable_cache else options.cache,
            state_dir=self.state_dir,
            services=self.runtime_config_file,
        )

    @cached_property
    def runtime_config_file(self) -> RuntimeConfigFile:
        """What `--runtime-config-file` configures (stores, databases, variables providers)."""
        return load_runtime_config(self.options.runtime_config_file)

    def prepare_host_services(self) -> None:
        """Check the runtime config file and seed the default store and database from
        `--key-value` and `--sqlite` (a statement, or `@file.sql`), before serving anything."""
        config = self.runtime_config_file
        options = self.options
        if not (options.key_values or options.sqlite_statements):
            return
        scripts = [_sql_script(statement) for statement in options.sqlite_statements]
        try:
            HostServices.create(self.state_dir, config).seed(options.key_values, scripts)
        except (KeyValueError, SqliteError) as err:
            raise SpinError(
                f"Cannot seed the app's default store or database: {err}. Check the "
                "--key-value and --sqlite options."
            ) from None

    def wasm_workers(self) -> int:
        """`--wasm-workers` (RUNTIME_OPTIONS), else one guest worker process per CPU."""
        return self.runtime_options.wasm_workers or os.cpu_count() or 1

    def wasm_workers_max(self) -> int:
        """`--wasm-workers-max`, else twice `wasm_workers()`: the pool grows while calls wait
        for a worker, so that a slow component cannot hold every one."""
        workers = self.wasm_workers()
        return max(workers, self.runtime_options.wasm_workers_max or 2 * workers)

    def wasm_workers_min(self, default: int) -> int:
        """`--wasm-workers-min`, else the executor's `default`: guest workers kept while idle
        (the rest start as calls wait for one)."""
        chosen = self.runtime_options.wasm_workers_min
        return default if chosen is None else chosen

    def wasm_idle_timeout(self) -> float:
        """`--wasm-idle-timeout`: how long a guest worker may stay idle before it exits."""
        return self.runtime_options.wasm_idle_timeout

    def open_guest_pool(
        self,
        component_ids: Iterable[str],
        *,
        warm_workers: int,
        runtime_config: RuntimeConfig | None = None,
        **pool_options: Any,
    ) -> AbstractAsyncContextManager[WorkerPool]:
        """The worker pool that runs these components (each loaded once), sized by this
        executor's runtime options: `warm_workers` is the executor's own default for
        `--wasm-workers-min`; `pool_options` are `open_pool`'s other settings."""
        from spin.runtime.pool.pool import GuestLoad, open_pool  # loads nothing of wasmtime

        loads = [
            GuestLoad(self.app.component(c), self.component_logs(c))
            for c in dict.fromkeys(component_ids)
        ]
        return open_pool(
            runtime_config or self.runtime_config(),
            loads,
            self.app.variables,
            workers=self.wasm_workers(),
            warm_workers=self.wasm_workers_min(warm_workers),
            idle_timeout=self.wasm_idle_timeout(),
            **pool_options,
        )

    @cached_property
    def health(self) -> Health:
        """What the probes (`--health-listen`, `--health-file`) report."""
        return Health(self.options.health_file)

    def notify_ready(self) -> None:
        """Tell whoever started us (spin up, systemd, probes) that the trigger is serving;
        what the start-up freed (the lock, the server's set-up) goes back to the system."""
        give_back_free_memory()
        self.health.set_ready()
        if notify("READY=1"):
            log.debug("readiness notified")

    def notify_stopping(self) -> None:
        """Tell them that the trigger drains: no new work should come here."""
        self.health.set_not_ready()
        notify("STOPPING=1")

    def close(self) -> None:
        self.health.set_not_ready()
        for logs in self._logs.values():
            logs.close()


def _sql_script(statement: str) -> str:
    """`--sqlite STATEMENT`, or `--sqlite @FILE` for the statements in a file (as Spin)."""
    if not statement.startswith("@"):
        return statement
    path = Path(statement[1:])
    try:
        return path.read_text()
    except OSError as err:
        raise SpinError(
            f"--sqlite {statement}: cannot read {path}: {err.strerror}. Give the path of a SQL "
            "file after the @."
        ) from None
