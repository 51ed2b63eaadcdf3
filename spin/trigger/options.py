"""The command-line options every trigger executor shares, as Spin's executors have them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click


@dataclass(frozen=True)
class CommonOptions:
    """The values of the shared options, as parsed for one executor run."""

    log_dir: Path | None = None
    follow: tuple[str, ...] = ()
    quiet: bool = False
    state_dir: Path | None = None
    runtime_config_file: Path | None = None
    disable_cache: bool = False
    cache: Path | None = None
    allow_transient_write: bool = False
    key_values: tuple[tuple[str, str], ...] = ()
    sqlite_statements: tuple[str, ...] = ()

    @classmethod
    def from_click(cls, params: dict[str, Any]) -> CommonOptions:
        return cls(
            log_dir=params.pop("log_dir"),
            follow=tuple(params.pop("follow")),
            quiet=params.pop("quiet"),
            state_dir=params.pop("state_dir"),
            runtime_config_file=params.pop("runtime_config_file"),
            disable_cache=params.pop("disable_cache"),
            cache=params.pop("cache"),
            allow_transient_write=params.pop("allow_transient_write"),
            key_values=tuple(params.pop("key_values")),
            sqlite_statements=tuple(params.pop("sqlite_statements")),
        )


def _key_value(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list:
    pairs = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", ctx=ctx, param=param)
        pairs.append((key, val))
    return pairs


PathOption = click.Path(path_type=Path)

COMMON_OPTIONS: list[click.Option] = [
    click.Option(
        ["-L", "--log-dir"],
        type=PathOption,
        envvar="SPIN_LOG_DIR",
        help="Where component stdout/stderr files go (default: <state dir>/logs).",
    ),
    click.Option(
        ["--follow"],
        multiple=True,
        metavar="ID",
        help="Show only these components' output on the console (repeatable).",
    ),
    click.Option(
        ["-q", "--quiet"], is_flag=True, help="Do not show component output on the console."
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
        envvar="SPIN_RUNTIME_CONFIG_FILE",
        help="Runtime configuration file (TOML).",
    ),
    click.Option(
        ["--disable-cache"],
        is_flag=True,
        envvar="SPIN_DISABLE_CACHE",
        help="Do not cache compiled Wasm on disk.",
    ),
    click.Option(
        ["--cache"],
        type=PathOption,
        envvar="SPIN_CACHE_FILE",
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
]


def common_option_names() -> set[str]:
    return {opt.name for opt in COMMON_OPTIONS if opt.name}


def add_options(options: list[click.Option]) -> Callable[[click.Command], click.Command]:
    def decorate(command: click.Command) -> click.Command:
        command.params.extend(options)
        return command

    return decorate
