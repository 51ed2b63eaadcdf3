"""Launch metadata: what `spin up` must know of an executor before it starts it.

`<executor> --launch-metadata-only` prints `{"all_flags": [{"short": "-L", "long": "--log-dir"},
...], "sd_notify": true}` on stderr. `all_flags` is Spin's own field (the flags the executor
accepts, so `spin up` can route options to it); `sd_notify: true` is ours: the executor sends
`READY=1` to NOTIFY_SOCKET once serving, so the supervisor waits for it instead of taking it as
ready after a grace. Spin reads this document with serde, which ignores fields it does not know.
`--help-args-only` prints just the options' help.
"""

from __future__ import annotations

import json

import click

#: The field saying that the executor sends READY=1 (see the module's docstring).
SD_NOTIFY_FIELD = "sd_notify"


def launch_metadata(command: click.Command) -> dict[str, object]:
    """The metadata of an executor built on this library: its flags, and that it notifies
    (`TriggerExecutor.run()` calls `context.notify_ready()` once serving)."""
    flags = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = [*param.opts, *param.secondary_opts]
        short = next((n for n in names if not n.startswith("--")), None)
        long = next((n for n in names if n.startswith("--")), None)
        flags.append({"short": short, "long": long})
    return {"all_flags": flags, SD_NOTIFY_FIELD: True}


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
