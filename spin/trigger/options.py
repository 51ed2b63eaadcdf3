"""The command-line options every trigger executor shares, as Spin's executors have them, and
how any executor's option values become a typed, frozen options object.

An executor's options are a frozen dataclass whose fields are named as its click options' values
(`--max-reconnect-time` is `max_reconnect_time`) and hold their defaults; the click options take
their defaults from it. `options_from_click` builds it from what click parsed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

Options = TypeVar("Options")


def options_from_click(options_class: type[Options], params: Mapping[str, Any]) -> Options:
    """`options_class` from click's values; a value click left at None takes the field's default.

    Every value must have its field: an option declared without one is a bug of the executor,
    reported here rather than silently dropped.
    """
    names = {field.name for field in dataclasses.fields(options_class)}  # type: ignore[arg-type]
    unknown = sorted(set(params) - names)
    if unknown:
        raise TypeError(
            f"{options_class.__name__} has no field for the option value(s) {', '.join(unknown)}: "
            "add one field per click option of the executor."
        )
    return options_class(**{name: value for name, value in params.items() if value is not None})


def take(params: dict[str, Any], options_class: type[Any]) -> dict[str, Any]:
    """Remove from `params` (and return) the values that are fields of `options_class`."""
    names = [field.name for field in dataclasses.fields(options_class)]
    return {name: params.pop(name) for name in names if name in params}


@dataclass(frozen=True)
class CommonOptions:
    """The values of the shared options, as parsed for one executor run."""

    #: `-L ""` (an empty path) turns the component log files off, as in Spin
    log_dir: Path | None = None
    log_files: bool = True
    follow: tuple[str, ...] = ()
    quiet: bool = False
    state_dir: Path | None = None
    runtime_config_file: Path | None = None
    disable_cache: bool = False
    cache: Path | None = None
    allow_transient_write: bool = False
    key_values: tuple[tuple[str, str], ...] = ()
    sqlite_statements: tuple[str, ...] = ()
    health_listen: str | None = None
    health_file: Path | None = None


def _key_value(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", ctx=ctx, param=param)
        pairs.append((key, val))
    return tuple(pairs)


PathOption = click.Path(path_type=Path)


def _log_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """`-L DIR`; `-L ""` (or `SPIN_LOG_DIR=`) turns log files off, which `log_files` says."""
    if value == "":
        ctx.params["log_files"] = False
        return None
    return Path(value) if value is not None else None


#: Spin's conflicting pairs: `--quiet` with `--follow`, `--disable-cache` with `--cache`.
_CONFLICTS = {
    "quiet": "follow",
    "follow": "quiet",
    "disable_cache": "cache",
    "cache": "disable_cache",
}
_FLAGS = {"quiet": "--quiet", "follow": "--follow", "disable_cache": "--disable-cache"}


def _conflicts(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A usage error (exit 2) when both of a conflicting pair are given, as clap makes it."""
    name = str(param.name)
    other = _CONFLICTS[name]
    if value and ctx.params.get(other):
        raise click.UsageError(
            f"{_FLAGS.get(name, '--cache')} cannot be used with {_FLAGS.get(other, '--cache')}.",
            ctx=ctx,
        )
    return value


COMMON_OPTIONS: list[click.Option] = [
    click.Option(
        ["-L", "--log-dir"],
        envvar="SPIN_LOG_DIR",
        metavar="DIR",
        callback=_log_dir,
        help='Where component stdout/stderr files go (default: <state dir>/logs; "" for none).',
    ),
    click.Option(
        ["--follow"],
        multiple=True,
        metavar="ID",
        callback=_conflicts,
        help="Show only these components' output on the console (repeatable).",
    ),
    click.Option(
        ["-q", "--quiet", "--sh", "--shush"],
        is_flag=True,
        callback=_conflicts,
        help="Do not show component output on the console.",
    ),
    click.Option(
        ["--state-dir"],
        type=PathOption,
        envvar="SPIN_STATE_DIR",
        help="Directory for logs and state (default: .spin beside the manifest).",
    ),
    click.Option(
        ["--runtime-config-file"],
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        envvar=["SPIN_RUNTIME_CONFIG_FILE", "RUNTIME_CONFIG_FILE"],
        help="Runtime configuration file (TOML).",
    ),
    click.Option(
        ["--disable-cache"],
        is_flag=True,
        envvar=["SPIN_DISABLE_CACHE", "DISABLE_WASMTIME_CACHE"],
        callback=_conflicts,
        help="Do not cache compiled Wasm on disk.",
    ),
    click.Option(
        ["--cache"],
        type=PathOption,
        envvar=["SPIN_CACHE_FILE", "WASMTIME_CACHE_FILE"],
        callback=_conflicts,
        help="wasmtime cache configuration file.",
    ),
    click.Option(
        ["--allow-transient-write"],
        is_flag=True,
        help="Let components write to their mounted files (in a temporary copy).",
    ),
    click.Option(
        ["--key-value", "key_values"],
        multiple=True,
        metavar="KEY=VALUE",
        callback=_key_value,
        help="Seed the default key-value store (repeatable).",
    ),
    click.Option(
        ["--sqlite", "sqlite_statements"],
        multiple=True,
        metavar="STATEMENT",
        help="Run this SQL against the default database at start (repeatable).",
    ),
    click.Option(
        ["--health-listen"],
        envvar="SPIN_HEALTH_LISTEN",
        metavar="HOST:PORT",
        help="Serve probes here: GET /ready (200 while ready, 503 before and while draining) "
        "and GET /live (spin/trigger/health.py).",
    ),
    click.Option(
        ["--health-file"],
        type=PathOption,
        envvar="SPIN_HEALTH_FILE",
        help="A file that exists exactly while the executor is ready (removed when draining).",
    ),
]


@dataclass(frozen=True)
class SelfTestOptions:
    """The `options_class` of an executor whose only option of its own is `self_test_option()`."""

    test: bool = False


def self_test_option(help: str = "Run each component once, then exit.") -> click.Option:
    """`--test`, as Spin's trigger plugins have it: run each component once, report, and exit
    (0 if every run succeeded, else 1) instead of serving."""
    return click.Option(["--test"], is_flag=True, help=help)
