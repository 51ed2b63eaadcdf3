"""`spin build` and `spin up --build`: run each component's `[component.<id>.build]` commands
in its `workdir`, as Spin does: one shell command at a time, its output shown as it comes, the
first failure stopping the build (and `spin up`)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import click

from spin.errors import SpinError, exit_on_error
from spin.manifest.build import ComponentBuild, build_configs
from spin.up.app_source import find_manifest, from_option


def build_app(manifest: Path, component_ids: Sequence[str] = ()) -> None:
    """Build the selected components (all without a selection); raises SpinError."""
    builds = build_configs(manifest)
    known = {b.component_id for b in builds if b is not None}
    unknown = [cid for cid in component_ids if cid not in known]
    if unknown:
        raise SpinError(f"Unknown component(s) {', '.join(unknown)} in {manifest}.")
    selected = [
        b
        for b in builds
        if b is not None and (not component_ids or b.component_id in component_ids)
    ]
    if not selected:
        click.echo("None of the components have a build command.", err=True)
        return
    for build in selected:
        _run(build)
    click.echo("Finished building all Spin components", err=True)


def _run(build: ComponentBuild) -> None:
    for number, command in enumerate(build.commands, start=1):
        steps = f" (step {number}/{len(build.commands)})" if len(build.commands) > 1 else ""
        click.echo(f"Building component {build.component_id}{steps} with `{command}`", err=True)
        try:
            result = subprocess.run(command, shell=True, cwd=build.workdir, check=False)
        except OSError as err:
            raise SpinError(
                f"Cannot run the build command of component {build.component_id} in "
                f"{build.workdir}: {err.strerror or err}. Check its `workdir`."
            ) from None
        if result.returncode != 0:
            raise SpinError(
                f"Build command for component {build.component_id} failed with status "
                f"{result.returncode}: `{command}` (in {build.workdir}). Its output is above."
            )


@click.command("build", context_settings={"help_option_names": ["-h", "--help"]})
@from_option
@click.option(
    "-c", "--component-id", "component_ids", multiple=True, metavar="ID", help="Build only this."
)
def build_command(manifest_option: Path | None, component_ids: tuple[str, ...]) -> None:
    """Build the application's components with their `build` commands."""
    with exit_on_error():
        build_app(find_manifest(manifest_option), component_ids)
