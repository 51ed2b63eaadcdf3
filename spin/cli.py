"""The `spin` command. Subcommands are imported only when used, so that `spin up` (the
supervisor) never loads the Wasm runtime, the HTTP server or the Redis client."""

from __future__ import annotations

import importlib
import os

import click

from spin import __version__
from spin.errors import SpinError, exit_on_error
from spin.executors import INTERNAL_EXECUTORS

#: Top-level subcommands: name -> "module:click command".
SUBCOMMANDS: dict[str, str] = {
    "up": "spin.up.command:up_command",
    "build": "spin.up.build:build_command",
    "plugins": "spin.up.plugins:plugins_group",
    "registry": "spin.registry.command:registry_group",
    "kube": "spin.deploy.command:kube_group",
    "export": "spin.deploy.command:export_group",
}


def _import(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


class LazyGroup(click.Group):
    """A click group whose subcommands live in modules imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            return self.load(name)
        return super().get_command(ctx, name)

    def load(self, name: str) -> click.Command:
        command = _import(self.lazy[name])
        assert isinstance(command, click.Command)
        return command


class TriggerGroup(LazyGroup):
    """`spin trigger <type>`: each internal executor as a command, listed even if it fails to
    import (the error says why when it is run)."""

    def load(self, name: str) -> click.Command:
        from spin.trigger.executor import executor_command

        try:
            executor_class = _import(self.lazy[name])
        except ImportError as err:
            with exit_on_error():
                raise SpinError(
                    f"The internal {name!r} trigger executor cannot be loaded "
                    f"({self.lazy[name]}): {err}. Reinstall the package with its dependencies "
                    "(`pip install -e .`)."
                ) from err
            raise
        return executor_command(executor_class, name=name)  # type: ignore[arg-type]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, f"Run the app's {name} triggers.") for name in sorted(self.lazy)]
        with formatter.section("Trigger types"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="spin")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors (SPIN_DEBUG=1).")
def cli(debug: bool) -> None:
    """Run Spin applications: `spin up` starts one trigger executor per trigger type."""
    if debug:
        os.environ["SPIN_DEBUG"] = "1"


@cli.group(cls=TriggerGroup, lazy=INTERNAL_EXECUTORS, hidden=True)
def trigger() -> None:
    """Internal trigger executors, started by `spin up` (not usually run by hand)."""


def main() -> None:
    cli.main(prog_name="spin")
