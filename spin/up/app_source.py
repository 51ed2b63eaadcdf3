"""Where `spin up` and `spin build` find the app: `-f/--from` (a manifest, a directory that holds
a `spin.toml`, or a `.wasm` file), else the nearest `spin.toml` here or in a parent directory.
`spin up` also runs an app from a registry: `--from-registry REFERENCE`, or `-f REFERENCE` when
no such file exists and it looks like a reference (as Spin guesses); it runs the locked app
pulled into the cache (spin/registry)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from spin.errors import SpinError
from spin.registry.reference import looks_like_reference, parse_reference

if TYPE_CHECKING:
    from spin.manifest.model import AppManifest

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


from_registry_option = click.option(
    "--from-registry",
    "from_registry",
    metavar="REFERENCE",
    help="Run the app pushed to this registry reference (e.g. localhost:5000/app:v1); "
    "`-f REFERENCE` does the same when no such file exists.",
)
insecure_option = click.option(
    "-k",
    "--insecure",
    is_flag=True,
    help="Talk to the registry over plain HTTP (a local registry without TLS).",
)

#: The suffix of a pulled locked app's file, which `load_app` reads instead of a manifest.
LOCKED_SUFFIX = ".lock"


def find_app(given: Path | None, from_registry: str | None, *, insecure: bool = False) -> Path:
    """The manifest to run, or the locked app (`.lock`) pulled for a registry reference."""
    reference = from_registry
    if reference is None and given is not None and not given.exists():
        reference = str(given) if looks_like_reference(str(given)) else None
        if reference is None and (":" in str(given) or "@" in str(given)):
            _refuse_as_reference(str(given))  # shaped like a reference, and no such file
    if reference is None:
        return find_manifest(given)
    from spin.registry import pull_app

    return pull_app(reference, insecure=insecure)


def _refuse_as_reference(text: str) -> None:
    """SpinError saying why `text`, which names no file, is no registry reference either."""
    try:
        parse_reference(text)
    except SpinError as err:
        raise SpinError(f"No such file or directory: {text}, and as a reference: {err}") from None


def load_app(path: Path) -> AppManifest:
    """The app at `path`: a manifest, or a locked app pulled from a registry."""
    if path.suffix == LOCKED_SUFFIX:
        from spin.registry.as_manifest import manifest_from_lock

        return manifest_from_lock(path)
    from spin.manifest import load_manifest

    return load_manifest(path)


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
