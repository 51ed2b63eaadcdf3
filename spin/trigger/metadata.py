"""Launch metadata: the flags an executor accepts, so `spin up` can route options to it.

`<executor> --launch-metadata-only` prints `{"all_flags": [{"short": "-L", "long": "--log-dir"},
...]}` on stderr, as Spin's executors do; `--help-args-only` prints just the options' help.
"""

from __future__ import annotations

import json

import click


def launch_metadata(command: click.Command) -> dict[str, list[dict[str, str | None]]]:
    flags = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = [*param.opts, *param.secondary_opts]
        short = next((n for n in names if not n.startswith("--")), None)
        long = next((n for n in names if n.startswith("--")), None)
        flags.append({"short": short, "long": long})
    return {"all_flags": flags}


def print_launch_metadata(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(json.dumps(launch_metadata(ctx.command)), err=True)
    ctx.exit(0)


def print_help_args(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    formatter = ctx.make_formatter()
    ctx.command.format_options(ctx, formatter)
    click.echo(formatter.getvalue().rstrip("\n"))
    ctx.exit(0)


METADATA_OPTIONS: list[click.Option] = [
    click.Option(
        ["--launch-metadata-only"],
        is_flag=True,
        hidden=True,
        expose_value=False,
        is_eager=True,
        callback=print_launch_metadata,
    ),
    click.Option(
        ["--help-args-only"],
        is_flag=True,
        hidden=True,
        expose_value=False,
        is_eager=True,
        callback=print_help_args,
    ),
]
