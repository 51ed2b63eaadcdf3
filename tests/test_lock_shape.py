"""Every manifest the project commits under tests/ (tests/manifests, the manifests the test
modules hold as module-level strings) and the demo, locked as `spin up` locks them (files copied
into the working directory, and with --direct-mounts) and checked against what Spin's executors
read: Spin's `LockedApp` serde shape (crates/locked-app, locked.rs), its version rules, and its
file mounter, which takes only directories (crates/factor-wasi, spin.rs)."""

from __future__ import annotations

import ast
import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from spin.errors import SpinError
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
#: Test modules whose manifests are templates made invalid on purpose.
NOT_APPS = ("tests/manifest/test_invalid.py",)
#: What the manifest templates of the test modules are filled in with (`{port}` ...).
PLACEHOLDERS = {
    "address": "redis://127.0.0.1:6379",
    "port": "6379",
    "extra_route": "",
    "trigger": 'route = "/"',
    "source": "hello.wasm",
}


def committed_manifests() -> dict[str, str]:
    """name -> manifest text: the fixture apps, the demo, and every module-level string of a
    test module under tests/ (or an executor's tests/) that is a whole manifest."""
    found = {
        f"{path.parent.parent.name}/{path.parent.name}": path.read_text()
        for path in [
            *sorted((REPO_ROOT / "tests" / "manifests").glob("*/spin.toml")),
            REPO_ROOT / "examples" / "demo" / "spin.toml",
        ]
    }
    modules = [*(REPO_ROOT / "tests").rglob("test_*.py"), *REPO_ROOT.glob("executors/*/tests/*.py")]
    for module in sorted(modules):
        if module.relative_to(REPO_ROOT).as_posix() in NOT_APPS:
            continue
        for name, text in _module_strings(module):
            if "spin_manifest_version" in text:
                found[f"{module.stem}.{name}"] = re.sub(r"\{(\w+)\}", _fill, text)
    return found


def _fill(match: re.Match[str]) -> str:
    assert match[1] in PLACEHOLDERS, f"add a value for the template field {match[0]}"
    return PLACEHOLDERS[match[1]]


def _module_strings(module: Path) -> list[tuple[str, str]]:
    """The module's `NAME = "..."` assignments of plain strings, read without importing it."""
    found = []
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append((node.targets[0].id, value.value))
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
    for pattern in _string_entries(text):
        path = app / pattern
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() and not set(pattern) & set("*?["):
            path.write_text(pattern)  # a single file
    manifest = app / "spin.toml"
    manifest.write_text(text)
    return manifest


def _string_entries(text: str) -> list[str]:
    """The path and glob entries of every component's `files` (v2 tables, v1 array)."""
    document = tomllib.loads(text)
    tables = document.get("component", {})
    components = tables.values() if isinstance(tables, dict) else tables
    return [e for c in components for e in c.get("files", []) if isinstance(e, str)]


def app_for(name: str, tmp_path: Path) -> Path:
    """The manifest `name` in an app directory of its own, with what it names created."""
    fixture = REPO_ROOT / name
    if (fixture / "spin.toml").is_file() and name.startswith("manifests/"):
        return copy_app(fixture.name, tmp_path / "app")
    manifest = materialise(MANIFESTS[name], tmp_path / "app")
    if fixture.is_dir():
        shutil.copytree(fixture, tmp_path / "app", dirs_exist_ok=True)
    return manifest


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_every_committed_manifest_locks_to_the_shape_spin_reads(name: str, tmp_path: Path) -> None:
    """As `spin up` locks it: each component's files copied into <working dir>/assets/<id>,
    which is its one mount, at `/`; the copy holds what the manifest selects."""
    app = load_manifest(app_for(name, tmp_path))
    assets = tmp_path / "work" / "assets"
    document = lock_app(app, assets_dir=assets)
    assert_spin_shape(document)
    for component in document["components"]:
        expected = expected_files(app.components[component["id"]].files)
        if not expected:
            assert "files" not in component
            continue
        assert component["files"] == [{"source": (assets / component["id"]).as_uri(), "path": "/"}]
        assert files_in(assets / component["id"]) == expected
    lock_path = write_lock(document, tmp_path / "work")
    assert LockedApp.from_file(lock_path).raw == json.loads(lock_path.read_text())


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_with_direct_mounts_directories_are_mounted_in_place_and_the_rest_refused(
    name: str, tmp_path: Path
) -> None:
    """As `spin up --direct-mounts` locks it: Spin's shape as well, or refused as Spin refuses
    it (a file, a glob or exclude_files cannot be mounted in place)."""
    app = load_manifest(app_for(name, tmp_path))
    components = app.components.values()
    mountable = all(
        not c.exclude_files and all(entry.host.is_dir() for entry in c.files_as_written)
        for c in components
    )
    if not mountable:
        with pytest.raises(SpinError, match="--direct-mounts"):
            lock_app(app, assets_dir=None)
        return
    document = lock_app(app, assets_dir=None)
    assert_spin_shape(document)
    for component in components:
        locked = next(c for c in document["components"] if c["id"] == component.id)
        assert locked.get("files", []) == [
            {"source": entry.host.resolve().as_uri(), "path": entry.destination}
            for entry in component.files_as_written
        ]


def expected_files(mounts: Any) -> dict[str, bytes]:
    """guest path -> content of what the manifest's (expanded) `files` select."""
    expected: dict[str, bytes] = {}
    for mount in mounts:
        if mount.source.is_dir():
            for path, content in files_in(mount.source).items():
                expected[str(Path(mount.destination, path.lstrip("/")))] = content
        else:
            expected[mount.destination] = mount.source.read_bytes()
    return expected


def files_in(directory: Path) -> dict[str, bytes]:
    return {
        "/" + path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file()
    }


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
            assert path_from_url(mount["source"]).is_dir(), "Spin mounts only directories"
            assert mount["path"].startswith("/")


def assert_local_file(url: str) -> None:
    assert url.startswith("file:///"), url
    assert path_from_url(url).exists(), url


def test_the_manifests_are_found() -> None:
    assert {"manifests/multi-type", "manifests/v1-app", "examples/demo"} <= set(MANIFESTS)
    assert any(name.startswith("test_server.") for name in MANIFESTS)
