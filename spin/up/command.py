"""`spin up`: load an app, find its executors, lock it, and run the executors.

The flow: find the manifest (`-f`, else `spin.toml` here or in a parent directory) -> load it ->
find an executor for every trigger type (all are checked before anything starts) -> write the
locked app (`spin.lock`) into the working directory -> replace this process either with the only
executor (`--exec`) or with the supervisor process, handing it one launch per trigger type
(spin/supervisor/handover.py; the planning itself is spin/up/planning.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from spin.console_log import configure_logging
from spin.errors import SpinError, exit_on_error
from spin.locked import APP_WORKING_DIR, LOCK_FILE_NAME
from spin.manifest import AppManifest, load_manifest
from spin.supervisor.handover import Handover, exec_supervisor
from spin.supervisor.planner import Planner
from spin.supervisor.settings import SupervisorSettings
from spin.up.app_source import (
    LOCKED_SUFFIX,
    find_app,
    find_manifest,
    from_option,
    from_registry_option,
    insecure_option,
)
from spin.up.build import build_app
from spin.up.discovery import find_executors
from spin.up.executor_env import AppFiles, executor_env
from spin.up.launch import ExecutorLaunch
from spin.up.planning import Replan, load_selected, planner_command, prepare
from spin.up.supervisor_options import SUPERVISOR_OPTIONS, supervisor_settings

log = logging.getLogger("spin.up.command")


def parse_env(values: Sequence[str]) -> dict[str, str]:
    """`-e KEY=VALUE` values as a dict (a later KEY wins)."""
    env: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise SpinError(
                f"Invalid -e/--env value {value!r}: it must be KEY=VALUE, with a non-empty KEY "
                f"(for example `-e GREETING=hello`; `-e KEY=` sets an empty value)."
            )
        env[key] = val
    return env


def require_single_type(manifest: AppManifest) -> None:
    """`--exec` runs one executor in place of spin up, so the app must have one trigger type."""
    types = manifest.trigger_types()
    if len(types) > 1:
        raise SpinError(
            f"`spin up --exec` runs an app with exactly one trigger type, and {manifest.path} "
            f"has {len(types)}: {', '.join(types)}. Run it with plain `spin up`, which "
            "supervises one executor per trigger type, or pick one with `--trigger-type TYPE`."
        )


def exec_executor(launch: ExecutorLaunch, trailing: Sequence[str]) -> NoReturn:
    """Replace this process (same PID) with the executor, trailing arguments unchanged."""
    argv = [*launch.argv, *trailing]
    log.debug("exec %s", argv)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(argv[0], argv, launch.env)
    except OSError as err:
        raise SpinError(
            f"Cannot start the {launch.trigger_type} executor {argv[0]} "
            f"({launch.description}): {err}."
        ) from err


def working_dir_for(temp: Path | None, manifest_path: Path, *, execs: bool) -> Path:
    """`--temp DIR`; else `<app dir>/.spin/up` when exec'ing; else a fresh temporary directory
    (removed when `spin up` ends)."""
    if temp is not None:
        return temp.resolve()
    if execs:
        return (manifest_path.parent / APP_WORKING_DIR).resolve()
    return Path(tempfile.mkdtemp(prefix="spin-up-")).resolve()


def print_trigger_options(manifest_option: Path | None) -> None:
    """After `spin up --help`: the options of the app's executors (the app here, or `-f`'s):
    the ones every executor takes once, then each executor's own."""
    try:
        manifest_path = find_manifest(manifest_option)
        manifest = load_manifest(manifest_path)
        with tempfile.TemporaryDirectory(prefix="spin-up-help-") as scratch:
            files = AppFiles(manifest_path, Path(scratch) / LOCK_FILE_NAME, Path(scratch))
            launches = find_executors(manifest, lambda t: executor_env(files, t))
            listed = [(launch, _executor_help(launch)) for launch in launches]
    except (SpinError, OSError, subprocess.TimeoutExpired) as err:
        reason = str(err).splitlines()[0].split(". ")[0]
        click.echo(f"\n(No trigger options listed: {reason}.)")
        return
    for title, entries in help_sections(listed):
        click.echo(f"\n{title}:")
        click.echo("\n".join(entries) if entries else "  (none)")


def _executor_help(launch: ExecutorLaunch) -> str:
    result = subprocess.run(
        [*launch.argv, "--help-args-only"],
        env=launch.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout


def option_entries(help_text: str) -> dict[str, str]:
    """An executor's option list (click's `Options:` layout) as {option names: its lines},
    without the `Options:` heading and `-h, --help`."""
    entries: dict[str, str] = {}
    key = ""
    for line in help_text.splitlines():
        if line.lstrip().startswith("-") and line.startswith("  ") and line[2] == "-":
            key = line.split("  ")[1].strip()
            entries[key] = line
        elif key and line.startswith("   "):
            entries[key] += "\n" + line
        else:
            key = ""
    entries.pop("-h, --help", None)
    return entries


def help_sections(listed: Sequence[tuple[ExecutorLaunch, str]]) -> list[tuple[str, list[str]]]:
    """(title, entries) to print from each executor's help: the options all executors take once
    (when there are several), then each executor's own; a help not in click's layout is shown
    as it is."""
    parsed = [(launch, option_entries(text), text) for launch, text in listed]
    lists = [set(entries) for _, entries, _ in parsed if entries]
    common = set.intersection(*lists) if len(lists) > 1 else set()
    sections: list[tuple[str, list[str]]] = []
    if common:
        first = next(entries for _, entries, _ in parsed if entries)
        sections.append(
            ("Trigger options every executor takes", [first[k] for k in first if k in common])
        )
    for launch, entries, text in parsed:
        title = f"Options of the {launch.trigger_type} executor ({launch.description})"
        if not entries:
            sections.append((title, [text.rstrip() or "  (it did not list its options)"]))
            continue
        own = [entry for key, entry in entries.items() if key not in common]
        sections.append((title + (", besides those" if common else ""), own))
    return sections


HELP = """Start the Spin application: one trigger executor per trigger type.

Loads the manifest, finds an executor for each trigger type (internal, Spin plugin,
spin-trigger-<type> on PATH, or a Python entry point in the group spin.triggers), writes the
locked app (spin.lock) into the working directory and runs the executors under a supervisor
that restarts them by policy. With --exec, the app's only executor replaces spin up instead.

Options spin up does not know are passed on to the executors: each executor receives the
options it declares (asked with --launch-metadata-only), an option no executor declares is an
error, and with --exec the only executor receives them all, unchanged. Write a value that starts
with - as --option=VALUE; everything after -- is passed on, even names spin up itself uses.
Run `spin up --help` in an app's directory (or with -f) to see each executor's options below.

\b
Examples:
  spin up                                  # ./spin.toml, or the nearest in a parent directory
  spin up -f examples/demo                 # examples/demo/spin.toml
  spin up -e GREETING=hello --listen 127.0.0.1:3001
  spin up --exec --listen 127.0.0.1:3001   # the single executor takes spin up's PID
  spin up --trigger-type redis --exec      # one trigger type of the app, e.g. in a pod
  spin up --restart always --shutdown-timeout 5
"""


@click.command(
    "up",
    help=HELP,
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@from_option
@from_registry_option
@insecure_option
@click.option(
    "-e",
    "--env",
    "env_values",
    multiple=True,
    metavar="KEY=VALUE",
    help="Add an environment variable to every component (repeatable).",
)
@click.option(
    "--temp",
    "--tmp",
    "temp",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Working directory for spin.lock (kept). Default: a temporary directory removed on "
    "exit; with --exec, <app dir>/.spin/up.",
)
@click.option(
    "--direct-mounts",
    is_flag=True,
    help="Mount each component's `files` directories where they are, so that guests see edits "
    "live (only directories; no globs or exclude_files). Default: copy them into the working "
    "directory, as Spin does.",
)
@click.option(
    "--build",
    "build_first",
    is_flag=True,
    envvar="SPIN_ALWAYS_BUILD",
    help="Run `spin build` (every component's build command) first; a failed build stops.",
)
@click.option(
    "-c",
    "--component-id",
    "component_ids",
    multiple=True,
    metavar="ID",
    help="Run only this component and its triggers (repeatable; default: all), as Spin's "
    "experimental option does.",
)
@click.option(
    "--trigger-type",
    "trigger_types",
    multiple=True,
    metavar="TYPE",
    help="Run only the executors of these trigger types (repeatable; default: all), e.g. one "
    "type per pod.",
)
@click.option(
    "--exec",
    "exec_mode",
    is_flag=True,
    help="Replace spin up with the app's only executor (same PID); the app (or the types "
    "--trigger-type selects) must have exactly one trigger type.",
)
@click.option("-h", "--help", "show_help", is_flag=True, help="Show this message and exit.")
@click.argument("trailing", nargs=-1, type=click.UNPROCESSED, metavar="[TRIGGER OPTIONS]...")
@click.pass_context
def up_command(
    ctx: click.Context,
    manifest_option: Path | None,
    from_registry: str | None,
    insecure: bool,
    env_values: tuple[str, ...],
    temp: Path | None,
    direct_mounts: bool,
    build_first: bool,
    component_ids: tuple[str, ...],
    trigger_types: tuple[str, ...],
    exec_mode: bool,
    show_help: bool,
    trailing: tuple[str, ...],
    **supervisor_params: Any,
) -> None:
    if show_help:
        click.echo(ctx.get_help())
        print_trigger_options(manifest_option)
        ctx.exit(0)
    configure_logging()
    with exit_on_error():
        extra_env = parse_env(env_values)
        settings = supervisor_settings(ctx, supervisor_params)
        manifest_path = find_app(manifest_option, from_registry, insecure=insecure)
        if build_first and manifest_path.suffix != LOCKED_SUFFIX:  # a pulled app is built
            build_app(manifest_path)
        manifest = load_selected(manifest_path, component_ids, trigger_types)
        if exec_mode:
            require_single_type(manifest)
            working_dir = working_dir_for(temp, manifest_path, execs=True)
            prepared = prepare(manifest, extra_env, working_dir, direct_mounts=direct_mounts)
            exec_executor(prepared.launches[0], trailing)
        working_dir = working_dir_for(temp, manifest_path, execs=False)
        replan = Replan(
            manifest_path,
            component_ids,
            trigger_types,
            extra_env,
            working_dir,
            trailing,
            direct_mounts=direct_mounts,
        )
        supervise_app(manifest, replan, settings, temporary=temp is None)


def supervise_app(
    manifest: AppManifest, replan: Replan, settings: SupervisorSettings, *, temporary: bool
) -> NoReturn:
    """Plan the app, then hand over to the supervisor process (spin/supervisor/handover.py),
    which removes a temporary working directory when the app stops (here if planning fails)."""
    try:
        plan = replan.plan(manifest)
        planner = Planner(planner_command(), replan.to_json())
        exec_supervisor(Handover(plan, settings, planner, replan.working_dir, temporary))
    except BaseException:
        if temporary:
            shutil.rmtree(replan.working_dir, ignore_errors=True)
        raise


up_command.params.extend(SUPERVISOR_OPTIONS)
