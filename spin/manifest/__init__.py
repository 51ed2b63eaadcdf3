"""Application manifests (`spin.toml`, v1 and v2): loading, validation and normalisation."""

from spin.manifest.loader import load_manifest
from spin.manifest.model import (
    AppManifest,
    Component,
    ComponentSource,
    FileMount,
    FilesEntry,
    Trigger,
    Variable,
)

__all__ = [
    "AppManifest",
    "Component",
    "ComponentSource",
    "FileMount",
    "FilesEntry",
    "Trigger",
    "Variable",
    "load_manifest",
]
