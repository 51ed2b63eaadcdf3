"""`spin registry pull` and `spin up -f <reference>`: fetch an app pushed in Spin's OCI format
(by this spin or by Spin) and rebuild a locked app that runs from local files.

The cache, under the data directory (`SPIN_DATA_DIR`, else `$XDG_DATA_HOME/spin`, else
`~/.local/share/spin`), is content-addressed like the one for remote component sources
(spin/remote_sources.py):

- `registry/blobs/sha256/<hex>`: every layer and config, stored only once its content matched
  its digest, and never fetched again (a layer of an archive is stored file by file, each by
  its own digest);
- `registry/apps/<manifest hex>/`: the rebuilt app, `spin.lock` with its sources pointing into
  the blobs and its files staged under `assets/<component>/` (hard links to the blobs), as Spin
  stages them, each component mounting its directory at `/`. Keyed by the manifest's digest,
  so a tag that moves gets a new directory and an unchanged one is not rebuilt.

The manifest is asked for on every pull (tags move), unless the reference names a digest whose
app is in the cache already; nothing else is fetched twice.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from spin.data_dir import spin_data_dir
from spin.errors import SpinError
from spin.locked import LOCK_FILE_NAME, file_url, write_lock
from spin.registry import oci_format as fmt
from spin.registry.client import Descriptor, RegistrySession, sha256_digest
from spin.registry.reference import Reference, parse_reference
from spin.remote_sources import cached_path

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def registry_cache() -> Path:
    return spin_data_dir() / "registry"


def blob_path(digest: str) -> Path:
    return cached_path(digest, registry_cache() / "blobs")


def _app_dir(manifest_digest: str) -> Path:
    """Where the app of the manifest with this digest is rebuilt."""
    return registry_cache() / "apps" / manifest_digest.removeprefix("sha256:")


def pull_app(reference: str, *, insecure: bool = False) -> Path:
    """The path of a local locked app (`spin.lock`) for the app at `reference`, pulled into the
    cache unless it is there. Raises SpinError."""
    target = parse_reference(reference)
    if target.digest is not None:  # a digest never moves: a cached app needs no network
        cached = _app_dir(target.digest) / LOCK_FILE_NAME
        if cached.is_file():
            return cached
    session = RegistrySession(target, insecure=insecure)
    manifest, digest = session.manifest()
    app_dir = _app_dir(digest)
    lock = app_dir / LOCK_FILE_NAME
    if lock.is_file():
        return lock
    document = _fetch_locked_app(session, manifest)
    partial = app_dir.with_name(f".partial-{app_dir.name}-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _rebuild(document, target, partial, app_dir)
        try:
            partial.rename(app_dir)
        except OSError:  # another pull of the same digest finished first
            if not lock.is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return lock


def _fetch_locked_app(session: RegistrySession, manifest: dict[str, Any]) -> dict[str, Any]:
    """Every blob of the manifest into the cache; the locked app it carries."""
    reference = session.reference
    if manifest.get("mediaType") in _INDEX_TYPES or "manifests" in manifest:
        raise SpinError(
            f"{reference} is an image index (several platforms), not a Spin app. Name the "
            "Spin app's own tag or digest."
        )
    config = manifest.get("config")
    layers = manifest.get("layers")
    if not isinstance(config, dict) or not isinstance(layers, list):
        raise SpinError(f"The manifest of {reference} has no config or no layers list.")
    locked_blob = _fetch(session, config)  # older Spins: the config is the locked app
    for layer in layers:
        path = _fetch(session, layer)
        if layer.get("mediaType") == fmt.LOCKED_APP_MEDIA_TYPE:
            locked_blob = path
        elif layer.get("mediaType") == fmt.ARCHIVE_MEDIA_TYPE:
            _store_archive_members(path, reference)
    try:
        document = json.loads(locked_blob.read_bytes())
    except ValueError:
        document = None
    if not isinstance(document, dict) or "spin_lock_version" not in document:
        raise SpinError(
            f"{reference} is not a Spin application: it has no locked app (no layer of type "
            f"{fmt.LOCKED_APP_MEDIA_TYPE}). Push the app with `spin registry push`."
        )
    return document


def _fetch(session: RegistrySession, descriptor: Descriptor) -> Path:
    path = blob_path(str(descriptor.get("digest", "")))
    if not path.is_file():
        session.fetch_blob(descriptor, path)
    return path


def _store_archive_members(archive: Path, reference: Reference) -> None:
    """Each file of an archive layer into the cache under its own digest, which is how the
    locked app names it."""
    try:
        with tarfile.open(archive, "r:gz") as bundle:
            for member in bundle:
                extracted = bundle.extractfile(member) if member.isfile() else None
                if extracted is None:
                    continue
                data = extracted.read()
                path = blob_path(sha256_digest(data))
                if not path.is_file():
                    _write_atomically(path, data)
    except (tarfile.TarError, OSError, EOFError) as err:
        raise SpinError(f"An archive layer of {reference} cannot be unpacked: {err}.") from None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)


def _rebuild(document: dict[str, Any], reference: Reference, target: Path, final: Path) -> None:
    """The locked app with local sources, its files staged under `target/assets/<component>`,
    written to `target/spin.lock`; its paths name `final`, where `target` is moved next."""
    document.setdefault("metadata", {})["origin"] = f"{fmt.ORIGIN_SCHEME}:{reference}"
    for component in document.get("components", []):
        component_id = str(component.get("id", ""))
        what = f"component {component_id!r} of {reference}"
        component["source"] = _local_source(component.get("source", {}), what)
        for name, dependency in component.get("dependencies", {}).items():
            dependency["source"] = _local_source(dependency.get("source", {}), f"{name} of {what}")
        files = component.get("files")
        if files:
            mount = Path("assets", _safe_relative(component_id, what))
            (target / mount).mkdir(parents=True)
            for entry in files:
                _stage(entry, target / mount, what)
            component["files"] = [{"source": file_url(final / mount), "path": "/"}]
    target.mkdir(parents=True, exist_ok=True)
    write_lock(document, target)


def _local_source(source: dict[str, Any], what: str) -> dict[str, Any]:
    digest = source.get("digest")
    path = blob_path(str(digest)) if digest else None
    if path is None or not path.is_file():
        raise SpinError(
            f"The locked app names the Wasm of {what} by the digest {digest}, and the image "
            "has no layer with it. The image is incomplete: push the app again."
        )
    return {
        "content_type": source.get("content_type", "application/wasm"),
        "source": file_url(path),
    }


def _stage(entry: dict[str, Any], mount: Path, what: str) -> None:
    """One file of a component at its path under the component's mount directory."""
    destination = mount / _safe_relative(str(entry.get("path", "")), what)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if "inline" in entry:
        destination.write_bytes(base64.b64decode(entry["inline"]))
        return
    blob = blob_path(str(entry.get("digest", "")))
    if not blob.is_file():
        raise SpinError(
            f"The file {entry.get('path')} of {what} names the digest {entry.get('digest')}, "
            "and the image has no layer with it. The image is incomplete: push the app again."
        )
    try:
        os.link(blob, destination)  # blobs are never changed in place; a link costs nothing
    except OSError:
        shutil.copyfile(blob, destination)


def _safe_relative(path: str, what: str) -> PurePosixPath:
    """A relative path that stays inside the directory it is joined to."""
    relative = PurePosixPath(path)
    if not path or relative.is_absolute() or any(p in ("..", "") for p in relative.parts):
        raise SpinError(
            f"The locked app of {what} has the file path {path!r}, which would leave the app's "
            "directory. Refused; the image was not made by Spin."
        )
    return relative
