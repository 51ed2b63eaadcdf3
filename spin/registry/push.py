"""`spin registry push`: lock the app, then push its Wasm files, its mounted files and the locked
app itself in Spin's OCI format (spin/registry/oci_format.py)."""

from __future__ import annotations

import copy
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from spin.errors import SpinError
from spin.locked import lock_app, path_from_url
from spin.registry import oci_format as fmt
from spin.registry.client import RegistrySession, sha256_digest
from spin.registry.reference import parse_reference


@dataclass
class Assembly:
    """What a push uploads: the locked app to put in the registry, and its layers' files by
    digest (each distinct content once)."""

    locked: dict[str, Any]
    layers: dict[str, tuple[Path, str]] = field(default_factory=dict)

    def add(self, digest: str, path: Path, media_type: str) -> None:
        self.layers.setdefault(digest, (path, media_type))


def push_app(
    manifest_path: Path,
    reference: str,
    *,
    insecure: bool = False,
    extra_annotations: dict[str, str] | None = None,
) -> str:
    """Push the app of `manifest_path` to `reference`; the digest of the pushed manifest."""
    from spin.manifest import load_manifest

    target = parse_reference(reference)
    app = load_manifest(manifest_path)
    session = RegistrySession(target, insecure=insecure)
    with tempfile.TemporaryDirectory(prefix="spin-push-") as scratch:
        # As Spin: the files are copied, as for `spin up`, then pushed from the copy.
        locked = lock_app(app, assets_dir=Path(scratch, "assets"))
        assembly = assemble(locked, Path(scratch))
        layers = [session.push_blob(path, media) for path, media in assembly.layers.values()]
        locked_file = Path(scratch, "locked-app.json")
        locked_file.write_bytes(json.dumps(assembly.locked, separators=(",", ":")).encode())
        locked_layer = session.push_blob(locked_file, fmt.LOCKED_APP_MEDIA_TYPE)
        config_file = Path(scratch, "config.json")
        config_doc = fmt.image_config(locked_layer["digest"])
        config_file.write_bytes(json.dumps(config_doc, separators=(",", ":")).encode())
        config = session.push_blob(config_file, fmt.IMAGE_CONFIG_MEDIA_TYPE)
        notes = fmt.annotations(assembly.locked.get("metadata", {}), extra_annotations or {})
        return session.push_manifest(fmt.image_manifest(config, [*layers, locked_layer], notes))


def assemble(locked: dict[str, Any], scratch: Path) -> Assembly:
    """One layer per Wasm file and per mounted file, as Spin pushes; one archive per mount
    instead when that would be too many layers for a registry (or SPIN_OCI_ARCHIVE_LAYERS)."""
    simple = _assemble(locked, scratch, archive=False)
    if len(simple.layers) < fmt.MAX_LAYERS and not os.environ.get(fmt.ARCHIVE_LAYERS_ENV):
        return simple
    return _assemble(locked, scratch, archive=True)


def _assemble(locked: dict[str, Any], scratch: Path, *, archive: bool) -> Assembly:
    document = copy.deepcopy(locked)
    document.get("metadata", {}).pop("origin", None)  # a local path means nothing elsewhere
    assembly = Assembly(document)
    for component in document.get("components", []):
        if component.get("dependencies"):
            raise SpinError(
                f"Component {component['id']!r} has component dependencies, which this spin "
                "cannot compose before a push. Compose it first (or push it with Spin)."
            )
        source = component["source"]
        wasm = path_from_url(source["source"])
        data = wasm.read_bytes()
        digest = sha256_digest(data)
        assembly.add(digest, wasm, fmt.WASM_MEDIA_TYPE)
        content_type = source.get("content_type", "application/wasm")
        component["source"] = {"content_type": content_type, **fmt.content_ref(data, digest)}
        files: list[dict[str, Any]] = []
        for number, mount in enumerate(component.pop("files", [])):
            mounted = list(mounted_files(path_from_url(mount["source"]), mount["path"]))
            for guest_path, host_path in mounted:
                data = host_path.read_bytes()
                digest = sha256_digest(data)
                files.append({"path": guest_path, **fmt.content_ref(data, digest)})
                if not archive and len(data) > fmt.INLINE_MAX_SIZE:
                    assembly.add(digest, host_path, fmt.DATA_MEDIA_TYPE)
            if archive and mounted:
                bundle = _archive(mounted, scratch / f"{component['id']}-{number}.tar.gz")
                assembly.add(sha256_digest(bundle.read_bytes()), bundle, fmt.ARCHIVE_MEDIA_TYPE)
        if files:
            component["files"] = files
    return assembly


def mounted_files(source: Path, guest: str) -> list[tuple[str, Path]]:
    """(path in the app's files, host file) for one mount: a file mounted at a guest path, or
    every file under a mounted directory (a directory at `/` gives paths relative to it, the
    shape Spin's own locked apps have). Paths are relative, with forward slashes."""
    base = PurePosixPath(guest.lstrip("/"))
    if source.is_file():
        return [(str(base), source)]
    if not source.is_dir():
        raise SpinError(
            f"The mounted path {source} (mounted at {guest}) does not exist, so it cannot be "
            "pushed. Create it, or remove it from the component's `files`."
        )
    found = sorted(p for p in source.rglob("*") if p.is_file())
    return [(str(base / p.relative_to(source).as_posix()), p) for p in found]


def _archive(mounted: list[tuple[str, Path]], target: Path) -> Path:
    """A gzipped tar of a mount's files (its entries are found again by their digests)."""
    with tarfile.open(target, "w:gz") as bundle:
        for guest_path, host_path in mounted:
            data = host_path.read_bytes()
            info = tarfile.TarInfo(guest_path)
            info.size = len(data)
            info.mode = 0o644
            bundle.addfile(info, io.BytesIO(data))
    return target
