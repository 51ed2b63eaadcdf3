"""Every manifest the project commits (tests/manifests, examples/demo, and the manifests the
HTTP executor tests write) locked and checked against what Spin's executors read: Spin's
`LockedApp` serde shape (crates/locked-app, locked.rs) and its version rules."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from spin.locked import LockedApp, lock_app, path_from_url, write_lock
from spin.manifest import load_manifest
from tests.manifests import EMPTY_MODULE, copy_app
from tests.support import REPO_ROOT

TOP_KEYS = {
    "spin_lock_version",
    "must_understand",
    "metadata",
    "host_requirements",
    "variables",
    "triggers",
    "components",
}
COMPONENT_KEYS = {"id", "metadata", "source", "env", "files", "config", "host_requirements"}
TEST_MODULES = (
    "tests.executors.http.test_server",
    "tests.executors.http.test_sandbox",
    "tests.executors.http.test_request_limits",
)


def committed_manifests() -> dict[str, str]:
    """name -> manifest text: the fixture apps, the demo and the test modules' manifests."""
    found = {
        f"{path.parent.parent.name}/{path.parent.name}": path.read_text()
        for path in [
            *sorted((REPO_ROOT / "tests" / "manifests").glob("*/spin.toml")),
            REPO_ROOT / "examples" / "demo" / "spin.toml",
        ]
    }
    for module_name in TEST_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and "spin_manifest_version" in value:
                found[f"{module_name.rpartition('.')[2]}.{name}"] = value
    return found


MANIFESTS = committed_manifests()


def materialise(text: str, app: Path) -> Path:
    """The manifest in `app`, with every Wasm source, file and directory it names created."""
    app.mkdir(parents=True, exist_ok=True)
    for source in re.findall(r'source = "([^"]+)"', text):
        path = app / source
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.endswith(".wasm"):
            path.write_bytes(EMPTY_MODULE)
        elif not path.exists():
            path.mkdir(parents=True)
            (path / "a.txt").write_text("a")
    for pattern in re.findall(r'files = \["([^"*]+)', text):
        (app / pattern).parent.mkdir(parents=True, exist_ok=True)
    manifest = app / "spin.toml"
    manifest.write_text(text)
    return manifest


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_every_committed_manifest_locks_to_the_shape_spin_reads(name: str, tmp_path: Path) -> None:
    text = MANIFESTS[name]
    fixture = REPO_ROOT / name
    if (fixture / "spin.toml").is_file() and name.startswith("manifests/"):
        manifest = copy_app(fixture.name, tmp_path / "app")
    else:
        manifest = materialise(text, tmp_path / "app")
        if fixture.is_dir():
            shutil.copytree(fixture, tmp_path / "app", dirs_exist_ok=True)
    document = lock_app(load_manifest(manifest))
    assert_spin_shape(document)
    lock_path = write_lock(document, tmp_path / "work")
    assert LockedApp.from_file(lock_path).raw == json.loads(lock_path.read_text())


def assert_spin_shape(document: dict[str, Any]) -> None:
    assert set(document) <= TOP_KEYS
    assert all(
        document[key]
        for key in TOP_KEYS - {"spin_lock_version", "triggers", "components"}
        if key in document
    )  # empty ones left out, as Spin does
    needs = bool(document.get("must_understand")) or bool(document.get("host_requirements"))
    assert document["spin_lock_version"] == (1 if needs else 0)
    component_requirements = any("host_requirements" in c for c in document["components"])
    assert ("component_host_requirements" in document.get("must_understand", [])) == (
        component_requirements
    )
    metadata = document["metadata"]
    assert isinstance(metadata["triggers"], dict)
    types = {t["trigger_type"] for t in document["triggers"]}
    if len(types) == 1:
        assert metadata["trigger"]["type"] in types
    ids = {c["id"] for c in document["components"]}
    for trigger in document["triggers"]:
        assert set(trigger) == {"id", "trigger_type", "trigger_config"}
        assert trigger["trigger_config"].get("component", next(iter(ids))) in ids
    for component in document["components"]:
        assert set(component) <= COMPONENT_KEYS
        assert component["source"]["content_type"] == "application/wasm"
        assert_local_file(component["source"]["source"])
        for mount in component.get("files", []):
            assert set(mount) == {"source", "path"}
            assert_local_file(mount["source"])
            assert mount["path"].startswith("/")


def assert_local_file(url: str) -> None:
    assert url.startswith("file:///"), url
    assert path_from_url(url).exists(), url


def test_the_manifests_are_found() -> None:
    assert {"manifests/multi-type", "manifests/v1-app", "examples/demo"} <= set(MANIFESTS)
    assert any(name.startswith("test_server.") for name in MANIFESTS)
