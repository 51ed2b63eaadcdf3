"""`spin plugins`: install, list and remove trigger executors in Spin's plugin directory.

A plugin is a program at `<data dir>/plugins/<name>/<name>`; a trigger executor plugin is named
`trigger-<type>`, which is where `spin up` looks for the executor of `<type>` (spin.up.discovery).
Installing copies a program there and makes it executable. A Python console script (such as
`spin-trigger-timer` in a virtualenv's bin directory) can be installed as it is: its `#!` line
names the interpreter that has its packages.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from spin.data_dir import spin_data_dir
from spin.errors import SpinError, guarded

TRIGGER_PREFIX = "trigger-"
TYPE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


def plugins_dir() -> Path:
    return spin_data_dir() / "plugins"


@dataclass(frozen=True)
class Plugin:
    name: str  # "trigger-timer"
    program: Path

    @property
    def trigger_type(self) -> str | None:
        if not self.name.startswith(TRIGGER_PREFIX):
            return None
        return self.name.removeprefix(TRIGGER_PREFIX)


def installed_plugins() -> list[Plugin]:
    """Every `<name>/<name>` program in the plugin directory, sorted by name."""
    root = plugins_dir()
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        program = entry / entry.name
        if program.is_file():
            found.append(Plugin(entry.name, program))
    return found


def trigger_type_for(file: Path, name: str | None) -> str:
    """The trigger type a program is installed as: `--name`, else from `spin-trigger-<type>`
    or `trigger-<type>` file names."""
    if name is None:
        stem = file.name.removeprefix("spin-")
        if not stem.startswith(TRIGGER_PREFIX):
            raise SpinError(
                f"Cannot tell which trigger type {file} runs: its name is not "
                "`spin-trigger-<type>` or `trigger-<type>`. Pass the type with `--name <type>`."
            )
        name = stem.removeprefix(TRIGGER_PREFIX)
    name = name.removeprefix(TRIGGER_PREFIX)
    if not TYPE_PATTERN.fullmatch(name):
        raise SpinError(
            f"{name!r} is not a trigger type name: use lower-case letters, digits, `-` and `_`, "
            "starting with a letter or digit (e.g. `--name timer`)."
        )
    return name


def check_program(file: Path) -> None:
    """Refuse what could never run: a missing file, a directory, a script whose interpreter
    does not exist, or something that is neither a script nor an ELF binary."""
    if not file.is_file():
        raise SpinError(f"Cannot install {file}: no such file. Pass the executor program's path.")
    with file.open("rb") as handle:
        head = handle.read(256)
    if head.startswith(b"\x7fELF"):
        return
    if not head.startswith(b"#!"):
        raise SpinError(
            f"Cannot install {file}: it is neither a native program nor a script starting with "
            "`#!`. Install the executor program itself (e.g. .venv/bin/spin-trigger-timer)."
        )
    interpreter = head[2:].split(b"\n", 1)[0].split()
    if interpreter and not Path(os.fsdecode(interpreter[0])).is_file():
        raise SpinError(
            f"Cannot install {file}: its `#!` line names {os.fsdecode(interpreter[0])}, which "
            "does not exist. Reinstall the executor's package so that the script points at a "
            "working interpreter."
        )


def install(file: Path, trigger_type: str, *, replace: bool) -> Plugin:
    check_program(file)
    name = TRIGGER_PREFIX + trigger_type
    directory = plugins_dir() / name
    target = directory / name
    if target.exists() and not replace:
        raise SpinError(
            f"The plugin {name} is already installed at {target}. Pass `--force` to replace it, "
            f"or remove it first with `spin plugins uninstall {trigger_type}`."
        )
    temporary: Path | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Copy beside the target, then rename: `spin up` never sees a half-written program.
        fd, name_of_copy = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        os.close(fd)
        temporary = Path(name_of_copy)
        shutil.copyfile(file, temporary)
        temporary.chmod(0o755)
        temporary.replace(target)
    except OSError as err:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise SpinError(f"Cannot install {file} as {target}: {err}.") from err
    return Plugin(name, target)


def uninstall(name: str) -> Plugin:
    name = name if name.startswith(TRIGGER_PREFIX) else TRIGGER_PREFIX + name
    plugin = next((p for p in installed_plugins() if p.name == name), None)
    if plugin is None:
        installed = ", ".join(p.name for p in installed_plugins()) or "none"
        raise SpinError(
            f"No plugin named {name} is installed in {plugins_dir()} (installed: {installed}). "
            "See `spin plugins list`."
        )
    try:
        shutil.rmtree(plugin.program.parent)
    except OSError as err:
        raise SpinError(f"Cannot remove {plugin.program.parent}: {err}.") from err
    return plugin


@click.group("plugins")
def plugins_group() -> None:
    """Install and list trigger executors as Spin plugins (`spin up` finds them there)."""


@plugins_group.command("install")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path),
    required=True,
    help="The executor program to install (e.g. .venv/bin/spin-trigger-timer).",
)
@click.option(
    "--name",
    default=None,
    metavar="TYPE",
    help="The trigger type it runs (default: from a `spin-trigger-<type>` file name).",
)
@click.option("--force", is_flag=True, help="Replace an installed plugin of the same name.")
@guarded
def install_command(file: Path, name: str | None, force: bool) -> None:
    """Install a trigger executor program as the plugin `trigger-<type>`."""
    plugin = install(file, trigger_type_for(file, name), replace=force)
    click.echo(f"Installed {plugin.name} at {plugin.program}")


@plugins_group.command("list")
@guarded
def list_command() -> None:
    """Show the installed plugins and the trigger type each runs."""
    plugins = installed_plugins()
    if not plugins:
        click.echo(f"No plugins installed in {plugins_dir()}.")
        return
    width = max(len(p.name) for p in plugins)
    for plugin in plugins:
        kind = f"trigger type {plugin.trigger_type!r}" if plugin.trigger_type else "not a trigger"
        click.echo(f"{plugin.name:<{width}}  {kind}  {plugin.program}")


@plugins_group.command("uninstall")
@click.argument("name")
@guarded
def uninstall_command(name: str) -> None:
    """Remove the plugin NAME (`timer` or `trigger-timer`)."""
    plugin = uninstall(name)
    click.echo(f"Removed {plugin.name} from {plugin.program.parent}")
