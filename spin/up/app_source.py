"""Where `spin up` and `spin build` find the app: `-f/--from` (a manifest, a directory that holds
a `spin.toml`, or a `.wasm` file), else the nearest `spin.toml` here or in a parent directory."""

from __future__ import annotations

from pathlib import Path

import click

from spin.errors import SpinError

DEFAULT_MANIFEST = "spin.toml"

from_option = click.option(
    "-f",
    "--from",
    "manifest_option",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="The manifest, or a directory containing spin.toml, or a .wasm file "
    "(default: ./spin.toml, else the nearest spin.toml in a parent directory).",
)


def find_manifest(given: Path | None, cwd: Path | None = None) -> Path:
    """The manifest to run: `-f` (a file, or a directory with a spin.toml), else the nearest
    spin.toml in the current directory or a parent directory."""
    if given is not None:
        if given.is_file():
            return given.absolute()
        if given.is_dir():
            candidate = given / DEFAULT_MANIFEST
            if candidate.is_file():
                return candidate.absolute()
            raise SpinError(
                f"The directory {given} has no {DEFAULT_MANIFEST}. Point -f at the manifest "
                f"file itself (`spin up -f {given}/<name>.toml`) or at the directory that "
                f"holds the app's {DEFAULT_MANIFEST}."
            )
        if given.exists():
            raise SpinError(f"{given} is neither a file nor a directory: -f needs a manifest.")
        raise SpinError(
            f"No such file or directory: {given}. Check the path given to -f/--from; it may "
            f"be a manifest file or a directory containing {DEFAULT_MANIFEST}."
        )
    start = (cwd or Path.cwd()).absolute()
    for directory in (start, *start.parents):
        candidate = directory / DEFAULT_MANIFEST
        if candidate.is_file():
            if directory != start:
                click.echo(f"Using {DEFAULT_MANIFEST} from parent directory: {candidate}", err=True)
            return candidate
    raise SpinError(
        f"No {DEFAULT_MANIFEST} found in {start} or any of its parent directories. Run "
        f"`spin up` in the application's directory, or name the manifest with "
        f"`spin up -f PATH` (a file, or a directory containing {DEFAULT_MANIFEST})."
    )
