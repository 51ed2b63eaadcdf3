"""The locked app (`spin.lock`) of a multi-type manifest, compared with a committed golden file.

The golden file holds `file://<app-dir>` where the test's temporary app directory was, and
`file://<working-dir>` where its working directory was (the copy of the files is there). To
regenerate it after an intended format change, run
`SPIN_UPDATE_GOLDEN=1 pytest tests/manifest/test_lock_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from spin.errors import SpinError
from spin.locked import LockedApp, lock_app, path_from_url, write_lock
from spin.manifest import load_manifest
from tests.manifests import copy_app
from tests.support import TESTS_DIR

GOLDEN = TESTS_DIR / "golden" / "multi-type.lock.json"
PLACEHOLDER = "file://<app-dir>"
WORK_PLACEHOLDER = "file://<working-dir>"


@pytest.fixture
def locked(tmp_path: Path) -> tuple[Path, Path]:
    """(app dir, spin.lock path) for the multi-type fixture locked with extra env."""
    app_dir = tmp_path / "app"
    manifest = copy_app("multi-type", app_dir)
    extra_env = {"EXTRA": "yes", "LOG_LEVEL": "debug"}
    work = tmp_path / "work"
    document = lock_app(load_manifest(manifest), extra_env, assets_dir=work / "assets")
    return app_dir, write_lock(document, work)


def test_lock_matches_golden(locked: tuple[Path, Path]) -> None:
    app_dir, lock_path = locked
    text = lock_path.read_text().replace(app_dir.resolve().as_uri(), PLACEHOLDER)
    text = text.replace(lock_path.parent.resolve().as_uri(), WORK_PLACEHOLDER)
    if os.environ.get("SPIN_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert json.loads(text) == json.loads(GOLDEN.read_text())


def urls_in(document: Any) -> list[str]:
    """Every string value that is a URL of local content (sources, files, origin)."""
    if isinstance(document, dict):
        return [u for key, value in document.items() for u in _urls(key, value)]
    if isinstance(document, list):
        return [u for item in document for u in urls_in(item)]
    return []


def _urls(key: str, value: Any) -> list[str]:
    if key in ("source", "origin") and isinstance(value, str):
        return [value]
    return urls_in(value)


def test_every_path_is_an_absolute_file_url(locked: tuple[Path, Path]) -> None:
    app_dir, lock_path = locked
    urls = urls_in(json.loads(lock_path.read_text()))
    assert len(urls) == 1 + 3 + 1  # origin, three sources, the copy of web's files
    for url in urls:
        assert url.startswith("file:///"), url
        path = path_from_url(url)
        assert path.is_absolute() and path.exists(), url
        assert path.is_relative_to(app_dir.resolve()) or path.is_relative_to(lock_path.parent)


def test_executors_read_the_lock(locked: tuple[Path, Path]) -> None:
    app_dir, lock_path = locked
    app = LockedApp.from_file(lock_path)
    assert (app.name, app.version) == ("multi-type", "1.2.0")
    assert app.origin == (app_dir / "spin.toml").resolve().as_uri()
    assert [t.id for t in app.triggers_of("redis")] == ["worker-redis-trigger"]
    assert app.trigger_global_config("redis") == {"address": "redis://127.0.0.1:6379"}
    assert app.trigger_global_config("timer") == {}
    web = app.component("web")
    assert web.source_path == (app_dir / "wasm" / "web.wasm").resolve()
    assert web.env == {"LOG_LEVEL": "debug", "EXTRA": "yes"}  # -e wins over the manifest
    [(copy, guest)] = web.files
    assert guest == "/" and copy == lock_path.parent / "assets" / "web"
    assert (copy / "etc" / "app" / "app.conf").read_bytes() == (
        app_dir / "secret" / "app.conf"
    ).read_bytes()
    assert web.config["message"] == "{{ greeting }}, world"
    assert app.variables["api_token"] == {"secret": True}  # required: no default
    assert app.component("admin-component").metadata == {
        "allowed_outbound_hosts": ["https://api.example.test"]
    }


def test_single_type_app_has_spin_trigger_metadata(tmp_path: Path) -> None:
    app = load_manifest(copy_app("v1-app", tmp_path))
    metadata = lock_app(app, assets_dir=tmp_path / "assets")["metadata"]
    assert metadata["trigger"] == {"type": "http", "base": "/api"}
    assert metadata["triggers"] == {"http": {"base": "/api"}}


def test_toml_dates_in_trigger_config_are_written_as_text(tmp_path: Path) -> None:
    (tmp_path / "a.wasm").write_bytes(b"")
    manifest = tmp_path / "spin.toml"
    manifest.write_text(
        'spin_manifest_version = 2\n[application]\nname = "a"\n'
        '[[trigger.timer]]\ncomponent = "a"\nstart = 1979-05-27T07:32:00Z\n'
        '[component.a]\nsource = "a.wasm"\n'
    )
    lock_path = write_lock(lock_app(load_manifest(manifest), assets_dir=None), tmp_path / "work")
    trigger = LockedApp.from_file(lock_path).triggers[0]
    assert trigger.config["start"] == "1979-05-27T07:32:00+00:00"


@pytest.mark.parametrize("version", [0, 1])
def test_reads_spin_lock_versions_0_and_1(tmp_path: Path, version: int) -> None:
    lock_path = tmp_path / "spin.lock"
    lock_path.write_text(
        json.dumps(
            {
                "spin_lock_version": version,
                "triggers": [],
                "components": [
                    {
                        "id": "c",
                        "source": {"content_type": "application/wasm", "source": "file:///c.wasm"},
                    }
                ],
            }
        )
    )
    assert LockedApp.from_file(lock_path).component("c").source_path == Path("/c.wasm")


def test_rejects_unknown_lock_version(tmp_path: Path) -> None:
    lock_path = tmp_path / "spin.lock"
    lock_path.write_text('{"spin_lock_version": 2, "triggers": [], "components": []}')
    with pytest.raises(SpinError, match="version 0 or 1"):
        LockedApp.from_file(lock_path)


def lock_of(tmp_path: Path, components: str) -> dict[str, Any]:
    (tmp_path / "a.wasm").write_bytes(b"")
    manifest = tmp_path / "spin.toml"
    manifest.write_text(
        'spin_manifest_version = 2\n[application]\nname = "a"\n'
        '[[trigger.http]]\nroute = "/a"\ncomponent = "a"\n'
        '[[trigger.http]]\nroute = "/b"\ncomponent = "b"\n' + components
    )
    return lock_app(load_manifest(manifest), assets_dir=None)


def test_service_chaining_is_a_component_host_requirement_as_spin_writes_it(
    tmp_path: Path,
) -> None:
    """Spin's crates/loader/tests/ui/service-chaining: version 1, `must_understand` and the
    requirement on the component that names `<id>.spin.internal`."""
    document = lock_of(
        tmp_path,
        '[component.a]\nsource = "a.wasm"\nallowed_outbound_hosts = ["http://b.spin.internal"]\n'
        '[component.b]\nsource = "a.wasm"\nallowed_outbound_hosts = ["http://*.spin.internal"]\n',
    )
    assert document["spin_lock_version"] == 1
    assert document["must_understand"] == ["component_host_requirements"]
    requirements = [c.get("host_requirements") for c in document["components"]]
    assert requirements == [{"local_service_chaining": "required"}] * 2
    assert document["metadata"]["triggers"] == {}  # no [application.trigger.http] table
    assert document["metadata"]["trigger"] == {"type": "http"}


def test_a_lock_without_requirements_is_version_0(tmp_path: Path) -> None:
    document = lock_of(
        tmp_path,
        '[component.a]\nsource = "a.wasm"\nallowed_outbound_hosts = ["http://b.example"]\n'
        '[component.b]\nsource = "a.wasm"\n',
    )
    assert document["spin_lock_version"] == 0
    assert "must_understand" not in document
    assert all("host_requirements" not in c for c in document["components"])


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"must_understand": ["time_travel"]}, "time_travel"),
        ({"host_requirements": {"middleware": "required"}}, "middleware"),
        ({"host_requirements": {"teleport": "required"}}, "teleport"),
    ],
)
def test_a_lock_that_needs_what_we_do_not_do_is_refused(
    tmp_path: Path, extra: dict[str, Any], named: str
) -> None:
    lock_path = tmp_path / "spin.lock"
    lock_path.write_text(
        json.dumps({"spin_lock_version": 1, "triggers": [], "components": [], **extra})
    )
    with pytest.raises(SpinError, match=f"does not support: {named}"):
        LockedApp.from_file(lock_path)


def test_a_lock_with_understood_or_optional_requirements_is_read(tmp_path: Path) -> None:
    lock_path = tmp_path / "spin.lock"
    component = {
        "id": "c",
        "source": {"content_type": "application/wasm", "source": "file:///c.wasm"},
        "host_requirements": {"local_service_chaining": "required", "teleport": "optional"},
    }
    lock_path.write_text(
        json.dumps(
            {
                "spin_lock_version": 1,
                "must_understand": ["host_requirements", "component_host_requirements"],
                "host_requirements": {"middleware": "optional"},
                "triggers": [],
                "components": [component],
            }
        )
    )
    assert LockedApp.from_file(lock_path).component("c").id == "c"
