"""`spin registry push | pull | login`, with Spin's options."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from spin.errors import SpinError, exit_on_error
from spin.up.app_source import find_manifest

insecure_option = click.option(
    "-k",
    "--insecure",
    is_flag=True,
    help="Talk to the registry over plain HTTP (a local registry without TLS).",
)


@click.group("registry")
def registry_group() -> None:
    """Push apps to, and pull them from, OCI registries, in Spin's format."""


@registry_group.command("push")
@click.option(
    "-f",
    "--from",
    "--file",
    "manifest_option",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="The manifest, or a directory containing spin.toml (default: the nearest spin.toml).",
)
@insecure_option
@click.option(
    "--annotation",
    "annotation_values",
    multiple=True,
    metavar="KEY=VALUE",
    help="An annotation on the pushed manifest (repeatable); wins over the inferred ones.",
)
@click.argument("reference")
def push_command(
    manifest_option: Path | None,
    insecure: bool,
    annotation_values: tuple[str, ...],
    reference: str,
) -> None:
    """Push the app to REFERENCE ([REGISTRY/]REPOSITORY[:TAG])."""
    from spin.registry.push import push_app

    with exit_on_error():
        annotations = dict(_key_value(value) for value in annotation_values)
        manifest = find_manifest(manifest_option)
        digest = push_app(manifest, reference, insecure=insecure, extra_annotations=annotations)
    click.echo(f"Pushed with digest {digest}")


@registry_group.command("pull")
@insecure_option
@click.argument("reference")
def pull_command(insecure: bool, reference: str) -> None:
    """Pull the app at REFERENCE into the cache (`spin up -f REFERENCE` runs it)."""
    from spin.registry.pull import pull_app

    with exit_on_error():
        lock = pull_app(reference, insecure=insecure)
    click.echo(f"Pulled {reference}: its locked app is {lock}")


@registry_group.command("login")
@click.option("-u", "--username", help="The user name (asked for if not given).")
@click.option("-p", "--password", help="The password (asked for if not given).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@insecure_option
@click.argument("server")
def login_command(
    username: str | None,
    password: str | None,
    password_stdin: bool,
    insecure: bool,
    server: str,
) -> None:
    """Check a user name and password with SERVER (a registry host such as ghcr.io) and store
    them in the Docker config file ($DOCKER_CONFIG/config.json, else ~/.docker/config.json)."""
    from spin.registry.credentials import login

    with exit_on_error():
        if password_stdin and password is not None:
            raise SpinError("Give the password with -p or with --password-stdin, not both.")
        if password_stdin and username is None:
            raise SpinError(
                f"`spin registry login --password-stdin {server}` reads only the password from "
                "standard input: give the user name with -u/--username."
            )
        missing = "user name" if username is None else "password"
        must_ask = username is None or (password is None and not password_stdin)
        if must_ask and not sys.stdin.isatty():
            raise SpinError(
                f"`spin registry login {server}` has no terminal to ask for the {missing} on: "
                "give -u/--username and -p/--password, or -u and --password-stdin to read the "
                "password from standard input."
            )
        if username is None:
            username = click.prompt("Username")
        if password_stdin:
            password = sys.stdin.read().rstrip("\r\n")
        elif password is None:
            password = click.prompt("Password", hide_input=True)
        path = login(server, username or "", password or "", insecure=insecure)
    click.echo(f"Logged in as {username} to {server}; the credentials are in {path}")


def _key_value(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise SpinError(
            f"Invalid --annotation {value!r}: it must be KEY=VALUE (for example "
            "`--annotation org.opencontainers.image.source=https://example.com/app`)."
        )
    return key, val
