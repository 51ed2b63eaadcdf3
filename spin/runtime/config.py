"""How the Wasm runtime is configured: cache, per-call deadline, memory limit, file writes.

`RuntimeConfig.from_context` turns an executor's command-line options into this value, so every
executor (HTTP, Redis, external ones) configures the runtime the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from spin.trigger.context import TriggerContext

DEFAULT_INSTANCE_TIMEOUT = 30.0
MEBIBYTE = 1024 * 1024


@dataclass(frozen=True)
class RuntimeConfig:
    """Settings of one `Runtime`; the defaults suit tests and embedding."""

    cache_dir: Path | None = None
    instance_timeout: float | None = DEFAULT_INSTANCE_TIMEOUT
    memory_limit: int | None = None
    allow_transient_write: bool = False
    transient_dir: Path | None = None
    #: a wasmtime cache configuration file (`--cache`), used instead of our own artefact cache
    cache_config: Path | None = None

    @classmethod
    def from_context(cls, context: TriggerContext) -> RuntimeConfig:
        """The runtime settings an executor was started with.

        The compiled-artefact cache lives under `<state dir>/cache` unless `--disable-cache`
        (`--cache FILE` hands caching to wasmtime's own cache with that configuration);
        `--wasm-timeout` / `--wasm-memory-limit` come from `RUNTIME_OPTIONS` when the executor
        declared them (0 or absent means no limit for memory).
        """
        options = context.options
        writable = options.allow_transient_write
        timeout = context.extra.get("wasm_timeout", DEFAULT_INSTANCE_TIMEOUT)
        memory_mb = context.extra.get("wasm_memory_limit")
        return cls(
            cache_dir=None if options.disable_cache else context.state_dir / "cache",
            instance_timeout=timeout if timeout and timeout > 0 else None,
            memory_limit=int(memory_mb * MEBIBYTE) if memory_mb else None,
            allow_transient_write=writable,
            transient_dir=context.state_dir / "transient" if writable else None,
            cache_config=None if options.disable_cache else options.cache,
        )


RUNTIME_OPTIONS: list[click.Option] = [
    click.Option(
        ["--wasm-timeout"],
        type=click.FloatRange(min=0),
        envvar="SPIN_WASM_TIMEOUT",
        default=DEFAULT_INSTANCE_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="Deadline of one guest call (0: none); a guest past it fails with an error.",
    ),
    click.Option(
        ["--wasm-memory-limit"],
        type=click.FloatRange(min=0),
        envvar="SPIN_WASM_MEMORY_LIMIT",
        default=None,
        metavar="MB",
        help="Linear memory one guest instance may use, in MiB (default: no limit).",
    ),
    click.Option(
        ["--wasm-workers"],
        type=click.IntRange(min=1),
        envvar="SPIN_WASM_WORKERS",
        default=None,
        metavar="N",
        help="Worker processes that run guest calls (default: one per CPU).",
    ),
]
