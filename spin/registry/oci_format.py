"""Spin's OCI format for an app (Spin's crates/oci), which `spin registry push` writes and `spin
registry pull` / `spin up -f <reference>` read:

- an OCI image manifest whose config is a small image config (`architecture` wasm, `os`
  wasip1, the label `com.fermyon.spin.lockedAppDigest`), with the annotations Spin infers
  (`org.opencontainers.image.created/title/version/description/authors`);
- one layer per distinct Wasm file (`application/vnd.wasm.content.layer.v1+wasm`);
- one layer per distinct file a component mounts (`application/vnd.wasm.content.layer.v1+data`),
  except files of at most 128 bytes, which are inlined (base64) in the locked app; or, when an
  app would need more than 500 layers (or SPIN_OCI_ARCHIVE_LAYERS is set), one gzipped tar
  layer per mount (`application/vnd.wasm.content.bundle.v1.tar+gzip`);
- last, the locked app itself (`application/vnd.fermyon.spin.application.v1+config`), with every
  local source replaced by the digest of its layer, each component's `files` as a list of
  `{path, digest[, inline]}` (relative paths, forward slashes), and no `origin`. Apps pushed by
  older Spins carry the locked app as the manifest's config instead; both are read.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

LOCKED_APP_MEDIA_TYPE = "application/vnd.fermyon.spin.application.v1+config"
WASM_MEDIA_TYPE = "application/vnd.wasm.content.layer.v1+wasm"
DATA_MEDIA_TYPE = "application/vnd.wasm.content.layer.v1+data"
ARCHIVE_MEDIA_TYPE = "application/vnd.wasm.content.bundle.v1.tar+gzip"
IMAGE_CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LOCKED_APP_DIGEST_LABEL = "com.fermyon.spin.lockedAppDigest"
#: The `origin` a pulled app's metadata gets: `vnd.fermyon.origin-oci:<reference>`.
ORIGIN_SCHEME = "vnd.fermyon.origin-oci"

#: Content this small goes into the locked app itself (also a workaround, in Spin, for
#: registries that refuse 0- or 1-byte blobs).
INLINE_MAX_SIZE = 128
#: The fewest layers registries accept in one manifest (Elastic Container Registry: 500).
MAX_LAYERS = 500
ARCHIVE_LAYERS_ENV = "SPIN_OCI_ARCHIVE_LAYERS"


def content_ref(data: bytes, digest: str) -> dict[str, Any]:
    """A locked app's reference to pushed content: its digest, and the bytes if small."""
    ref: dict[str, Any] = {"digest": digest}
    if len(data) <= INLINE_MAX_SIZE:
        ref["inline"] = base64.b64encode(data).decode()
    return ref


def image_config(locked_app_digest: str) -> dict[str, Any]:
    """The manifest's config: the label makes it (and so the image id) differ per app."""
    return {
        "architecture": "wasm",
        "os": "wasip1",
        "config": {"Labels": {LOCKED_APP_DIGEST_LABEL: locked_app_digest}},
        "rootfs": {"type": "layers", "diff_ids": []},
    }


def annotations(metadata: dict[str, Any], extra: dict[str, str]) -> dict[str, str]:
    """The annotations Spin infers from the app's metadata; `extra` (`--annotation`) wins."""
    inferred = {
        "org.opencontainers.image.title": metadata.get("name", ""),
        "org.opencontainers.image.version": metadata.get("version", ""),
        "org.opencontainers.image.description": metadata.get("description", ""),
        "org.opencontainers.image.authors": ", ".join(metadata.get("authors", [])),
    }
    found = {key: str(value) for key, value in inferred.items() if value}
    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {"org.opencontainers.image.created": created, **found, **extra}


def image_manifest(
    config: dict[str, Any], layers: list[dict[str, Any]], notes: dict[str, str]
) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": layers,
        "annotations": notes,
    }
