"""`spin up -c ID`: the components and triggers kept, and the service-chaining rule, as Spin's
retain_components and validate_service_chaining_for_components have them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spin.errors import SpinError
from spin.manifest import load_manifest
from spin.manifest.model import AppManifest
from spin.manifest.select import retain_components, retain_trigger_types


def app(tmp_path: Path, hosts_of_a: str = "[]") -> AppManifest:
    (tmp_path / "x.wasm").write_bytes(b"\0asm\1\0\0\0")
    manifest = tmp_path / "spin.toml"
    manifest.write_text(
        'spin_manifest_version = 2\n[application]\nname = "s"\n'
        '[[trigger.http]]\nroute = "/a"\ncomponent = "a"\n'
        '[[trigger.http]]\nroute = "/b"\ncomponent = "b"\n'
        '[[trigger.redis]]\nchannel = "c"\ncomponent = "c"\n'
        f'[component.a]\nsource = "x.wasm"\nallowed_outbound_hosts = {hosts_of_a}\n'
        '[component.b]\nsource = "x.wasm"\n[component.c]\nsource = "x.wasm"\n'
        '[component.lonely]\nsource = "x.wasm"\n'
    )
    return load_manifest(manifest)


def test_the_selected_components_and_their_triggers_are_kept(tmp_path: Path) -> None:
    kept = retain_components(app(tmp_path), ["a", "c", "lonely"])
    assert [t.id for t in kept.triggers] == ["a-http-trigger", "c-redis-trigger"]
    assert list(kept.components) == ["a", "c"]  # no trigger names `lonely`
    assert retain_components(app(tmp_path), []).components.keys() == {"a", "b", "c", "lonely"}


def test_an_unknown_component_is_named(tmp_path: Path) -> None:
    with pytest.raises(SpinError, match='Specified component "zz" not found in application'):
        retain_components(app(tmp_path), ["a", "zz"])


@pytest.mark.parametrize(
    ("hosts", "selected", "message"),
    [
        (
            '["http://b.spin.internal"]',
            ["a"],
            "cannot use service chaining to unselected component",
        ),
        ('["http://*.spin.internal"]', ["a", "b"], "cannot use wildcard service chaining"),
    ],
)
def test_chaining_to_an_unselected_component_is_refused(
    tmp_path: Path, hosts: str, selected: list[str], message: str
) -> None:
    with pytest.raises(SpinError, match=f"Selected component 'a' {message}"):
        retain_components(app(tmp_path, hosts), selected)


def test_chaining_to_a_selected_component_is_fine(tmp_path: Path) -> None:
    kept = retain_components(app(tmp_path, '["http://b.spin.internal"]'), ["a", "b"])
    assert list(kept.components) == ["a", "b"]


def test_trigger_types_keep_their_triggers_and_components(tmp_path: Path) -> None:
    kept = retain_trigger_types(app(tmp_path), ["redis"])
    assert [t.id for t in kept.triggers] == ["c-redis-trigger"]
    assert list(kept.components) == ["c"]
    assert retain_trigger_types(app(tmp_path), []).trigger_types() == ["http", "redis"]


def test_an_unknown_trigger_type_lists_the_apps_types(tmp_path: Path) -> None:
    with pytest.raises(
        SpinError, match=re.escape("has no [[trigger.timer]]; its trigger types are ")
    ):
        retain_trigger_types(app(tmp_path), ["timer"])


def test_a_type_that_only_the_c_selection_lacks_names_the_selection(tmp_path: Path) -> None:
    """`-c c --trigger-type http` on an app that has HTTP triggers: the error is about what -c
    kept, not about the app."""
    narrowed = retain_components(app(tmp_path), ["c"])
    with pytest.raises(SpinError) as caught:
        retain_trigger_types(narrowed, ["http"], ["c"])
    assert "the components selected with -c (c) have no [[trigger.http]]" in str(caught.value)
    assert "their trigger types are redis" in str(caught.value)
