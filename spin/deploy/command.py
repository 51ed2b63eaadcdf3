"""`spin kube scaffold` and `spin export systemd`: write an app's deployment files."""

from __future__ import annotations

from pathlib import Path

import click

from spin.console_log import configure_logging
from spin.deploy.app_source import load_app
from spin.deploy.kube import DEFAULT_IMAGE, KubeSettings, scaffold
from spin.deploy.systemd import spin_program, unit
from spin.deploy.yaml_text import documents
from spin.errors import SpinError, exit_on_error
from spin.registry.reference import looks_like_reference
from spin.supervisor.restart_policy import Policy
from spin.up.app_source import insecure_option

IMAGE_APP_DIR = "/app"

from_option = click.option(
    "--from",
    "source",
    required=True,
    metavar="APP",
    help="The app: its spin.toml, the directory that holds it, or a registry reference.",
)
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of to standard output.",
)
shutdown_option = click.option(
    "--shutdown-timeout",
    type=click.FloatRange(min=0),
    default=Policy.shutdown_timeout,
    show_default=True,
    metavar="SECONDS",
    help="How long executors may drain after SIGTERM before they are killed.",
)


def check_run_from(run_from: str) -> None:
    """`--run-from` is what a pod's `spin up -f` gets: a path in the image (absolute, since the
    pod's working directory is the image's) or a registry reference."""
    if run_from.startswith("/") or looks_like_reference(run_from):
        return
    raise SpinError(
        f"--run-from {run_from!r} is neither an absolute path in the image nor a registry "
        f"reference. Give the app's path in the image (e.g. {IMAGE_APP_DIR}/spin.toml) or its "
        "reference with a tag or registry (e.g. ghcr.io/me/app:v1)."
    )


def check_environment_file(environment_file: str | None) -> None:
    """systemd ignores a unit whose EnvironmentFile= is not an absolute path."""
    if environment_file is not None and not environment_file.startswith("/"):
        raise SpinError(
            f"--environment-file {environment_file!r} is not an absolute path, which systemd "
            "requires (it reads the file on the machine the unit runs on). Give the full "
            "path, e.g. /etc/spin/app.env."
        )


def write_out(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text)
    except OSError as err:
        raise SpinError(f"Cannot write {output}: {err.strerror}. Choose another -o path.") from None
    click.echo(f"Wrote {output}", err=True)


@click.group("kube")
def kube_group() -> None:
    """Kubernetes manifests for an app (plain objects, not SpinKube's SpinApp resource)."""


@kube_group.command("scaffold")
@from_option
@output_option
@click.option(
    "--run-from",
    metavar="REFERENCE_OR_PATH",
    help="What the pods give `spin up -f`: the app's registry reference, or its path in the "
    "image. Default: --from when it is a reference, else "
    f"{IMAGE_APP_DIR}/<manifest file name> (an image with the app copied there).",
)
@insecure_option
@click.option("--image", default=DEFAULT_IMAGE, show_default=True, help="The executor image.")
@click.option(
    "--replicas", type=click.IntRange(min=1), default=2, show_default=True,
    help="HTTP replicas (every other trigger type runs at one).",
)  # fmt: skip
@click.option(
    "--max-replicas", type=click.IntRange(min=1),
    help="Add a HorizontalPodAutoscaler for HTTP, from --replicas up to this many.",
)  # fmt: skip
@click.option(
    "--cpu-target", type=click.IntRange(min=1, max=100), default=70, show_default=True,
    metavar="PERCENT", help="The autoscaler's target CPU utilisation.",
)  # fmt: skip
@click.option(
    "--wasm-workers", type=click.IntRange(min=1), default=2, show_default=True,
    help="Guest worker processes per pod (the pool may grow to twice as many).",
)  # fmt: skip
@shutdown_option
@click.option(
    "--runtime-config-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Runtime config for the pods (shipped as a Secret), e.g. key-value stores on Redis.",
)
@click.option(
    "--allow-local-stores",
    is_flag=True,
    help="Write the manifests even when pods would each have their own SQLite store.",
)
def scaffold_command(
    source: str,
    output: Path | None,
    run_from: str | None,
    image: str,
    replicas: int,
    max_replicas: int | None,
    cpu_target: int,
    wasm_workers: int,
    shutdown_timeout: float,
    runtime_config_file: Path | None,
    allow_local_stores: bool,
    insecure: bool,
) -> None:
    """Write Kubernetes manifests for an app: one Deployment per trigger type.

    HTTP runs replicated behind a Service (with an optional autoscaler); Redis, timer, cron,
    MQTT and other types at one replica with the Recreate strategy, since two subscribers or
    two timers would handle every message or tick twice. See docs/operations.md, "Scaling out".
    """
    configure_logging()
    with exit_on_error():
        if not image.strip():
            raise SpinError(
                f"--image is empty: the pods need the executor image to run (default "
                f"{DEFAULT_IMAGE}, built from the Containerfile). Give its name, e.g. "
                "--image spin-python-executors:mine."
            )
        given = click.get_current_context().get_parameter_source("cpu_target")
        if max_replicas is None and given is not click.core.ParameterSource.DEFAULT:
            raise SpinError(
                f"--cpu-target {cpu_target} is the autoscaler's target, and there is no "
                "autoscaler without --max-replicas. Add --max-replicas N (the most HTTP "
                "replicas), or leave --cpu-target out."
            )
        if max_replicas is not None and max_replicas < replicas:
            raise SpinError(
                f"--max-replicas {max_replicas} is below --replicas {replicas}: the autoscaler "
                "scales between the two. Raise --max-replicas."
            )
        if run_from is not None:
            check_run_from(run_from)
        app = load_app(source, insecure=insecure)
        if run_from is not None:
            app = app.running_from(run_from)
        elif not app.from_registry:
            app = app.running_from(f"{IMAGE_APP_DIR}/{Path(app.run_from).name}")
        settings = KubeSettings(
            image=image,
            replicas=replicas,
            max_replicas=max_replicas,
            cpu_target=cpu_target,
            wasm_workers=wasm_workers,
            shutdown_timeout=shutdown_timeout,
            runtime_config=runtime_config_file,
            allow_local_stores=allow_local_stores,
            insecure_registry=insecure and looks_like_reference(app.run_from),
        )
        result = scaffold(app, settings)
        for note in result.notes:
            click.echo(f"Note: {note}", err=True)
        header = (
            f"Generated by `spin kube scaffold --from {source}`: plain Kubernetes objects, "
            "not SpinKube's SpinApp resource.\n"
            f"The pods run the image {image} with `spin up -f {app.run_from} --trigger-type "
            "<type> --exec`.\n" + "".join(f"Note: {note}\n" for note in result.notes)
        )
        write_out(documents(result.objects, header), output)


@click.group("export")
def export_group() -> None:
    """Deployment files for an app on one machine."""


@export_group.command("systemd")
@from_option
@output_option
@shutdown_option
@click.option(
    "--trigger-type", "trigger_types", multiple=True, metavar="TYPE",
    help="Run only these trigger types (repeatable; default: all).",
)  # fmt: skip
@click.option(
    "--environment-file",
    metavar="PATH",
    help="An EnvironmentFile for the unit (e.g. SPIN_VARIABLE_* values); missing is allowed.",
)
@insecure_option
def systemd_command(
    source: str,
    output: Path | None,
    shutdown_timeout: float,
    trigger_types: tuple[str, ...],
    environment_file: str | None,
    insecure: bool,
) -> None:
    """Write a systemd unit (Type=notify) that runs the app with `spin up`."""
    configure_logging()
    with exit_on_error():
        check_environment_file(environment_file)
        app = load_app(source, insecure=insecure)
        app.check_types(list(trigger_types))
        text = unit(
            app,
            program=spin_program(),
            shutdown_timeout=shutdown_timeout,
            trigger_types=list(trigger_types),
            environment_file=environment_file,
            insecure_registry=insecure and app.from_registry,
        )
        write_out(text, output)
