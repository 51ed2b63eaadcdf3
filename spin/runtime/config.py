"""How the Wasm runtime is configured: cache, per-call deadline, memory limit, file writes.

`RUNTIME_OPTIONS` are the command-line options of an executor that runs Wasm, `RuntimeOptions`
their values (and defaults); the shared trigger library turns them into a `RuntimeConfig`
(`TriggerContext.runtime_config`), so every executor (HTTP, Redis, external ones) configures the
runtime the same way. The runtime itself knows nothing of triggers or command lines beyond these
declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spin.runtime.services.runtime_config import RuntimeConfigFile

if TYPE_CHECKING:
    import click

DEFAULT_INSTANCE_TIMEOUT = 30.0
MEBIBYTE = 1024 * 1024
#: What one guest call may write to stdout and stderr together, in MiB: generous for logs (a
#: call that logs a line per millisecond for 30 s writes ~3 MiB), and reached in ~6 ms by a
#: guest that floods stdout (~1.7 GiB/s measured).
DEFAULT_OUTPUT_LIMIT_MB = 10.0


@dataclass(frozen=True)
class RuntimeConfig:
    """Settings of one `Runtime`; the defaults suit tests and embedding."""

    cache_dir: Path | None = None
    instance_timeout: float | None = DEFAULT_INSTANCE_TIMEOUT
    memory_limit: int | None = None
    #: bytes one call may write to stdout and stderr together; None means no limit
    output_limit: int | None = int(DEFAULT_OUTPUT_LIMIT_MB * MEBIBYTE)
    allow_transient_write: bool = False
    transient_dir: Path | None = None
    #: a wasmtime cache configuration file (`--cache`), used instead of our own artefact cache
    cache_config: Path | None = None
    #: The app's own base URL (`http://127.0.0.1:3000`), where guests' relative outbound
    #: requests go; set by the HTTP executor once it has bound its socket, None elsewhere.
    self_origin: str | None = None
    #: Where the default key-value store and SQLite database live (the app's `.spin`); None
    #: keeps them in memory.
    state_dir: Path | None = None
    #: What the runtime config file (`--runtime-config-file`) configures.
    services: RuntimeConfigFile = field(default_factory=RuntimeConfigFile)


@dataclass(frozen=True)
class RuntimeOptions:
    """The values of `RUNTIME_OPTIONS`: the defaults of an executor that does not declare them."""

    #: seconds a guest call may take; 0 means no deadline
    wasm_timeout: float = DEFAULT_INSTANCE_TIMEOUT
    #: MiB of linear memory per instance; None (or 0) means no limit
    wasm_memory_limit: float | None = None
    #: guest worker processes started on demand; None means one per CPU
    wasm_workers: int | None = None
    #: what the pool may grow to for calls held out by others; None means twice `wasm_workers`
    wasm_workers_max: int | None = None
    #: MiB one call may write to stdout and stderr; 0 means no limit
    wasm_output_limit: float = DEFAULT_OUTPUT_LIMIT_MB
    #: guest workers kept running while idle; None means the executor's own choice
    wasm_workers_min: int | None = None
    #: seconds a guest worker beyond `wasm_workers_min` may stay idle before it exits
    wasm_idle_timeout: float = 30.0


def _runtime_options() -> list[click.Option]:
    import click

    return [
        click.Option(
            ["--wasm-timeout"],
            type=click.FloatRange(min=0),
            envvar="SPIN_WASM_TIMEOUT",
            default=RuntimeOptions.wasm_timeout,
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
            ["--wasm-output-limit"],
            type=click.FloatRange(min=0),
            envvar="SPIN_WASM_OUTPUT_LIMIT",
            default=RuntimeOptions.wasm_output_limit,
            show_default=True,
            metavar="MB",
            help="Output (stdout and stderr together) one guest call may write, in MiB (0: no "
            "limit); a guest past it fails with an error.",
        ),
        click.Option(
            ["--wasm-workers"],
            type=click.IntRange(min=1),
            envvar="SPIN_WASM_WORKERS",
            default=None,
            metavar="N",
            help="Worker processes that run guest calls, started as calls wait for one "
            "(default: one per CPU).",
        ),
        click.Option(
            ["--wasm-workers-max"],
            type=click.IntRange(min=1),
            envvar="SPIN_WASM_WORKERS_MAX",
            default=None,
            metavar="N",
            help="Worker processes the pool may grow to while other components' calls hold every "
            "one (default: 2x --wasm-workers).",
        ),
        click.Option(
            ["--wasm-workers-min"],
            type=click.IntRange(min=0),
            envvar="SPIN_WASM_WORKERS_MIN",
            default=None,
            metavar="N",
            help="Worker processes kept running while idle (default: 1 for HTTP, 0 for others).",
        ),
        click.Option(
            ["--wasm-idle-timeout"],
            type=click.FloatRange(min=0),
            envvar="SPIN_WASM_IDLE_TIMEOUT",
            default=RuntimeOptions.wasm_idle_timeout,
            show_default=True,
            metavar="SECONDS",
            help="A guest worker idle this long exits (down to --wasm-workers-min).",
        ),
    ]


def __getattr__(name: str) -> Any:
    """`RUNTIME_OPTIONS`, the click options, built when an executor's command line asks for
    them: a guest worker imports this module too, and click is 2.8 MB of its private memory."""
    if name == "RUNTIME_OPTIONS":
        options = _runtime_options()
        globals()["RUNTIME_OPTIONS"] = options
        return options
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
