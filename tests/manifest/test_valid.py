"""Valid manifests, v1 and v2: parsed, validated and normalised as Spin does it."""

from __future__ import annotations

from pathlib import Path

import pytest

from spin.manifest import FileMount, load_manifest
from spin.manifest.model import AppManifest
from tests.manifests import EMPTY_MODULE, copy_app


@pytest.fixture
def multi(tmp_path: Path) -> AppManifest:
    return load_manifest(copy_app("multi-type", tmp_path))


def write_app(tmp_path: Path, text: str, *wasm: str) -> Path:
    for name in wasm:
        (tmp_path / name).write_bytes(EMPTY_MODULE)
    manifest = tmp_path / "spin.toml"
    manifest.write_text(text)
    return manifest


def test_multi_type_app_details(multi: AppManifest, tmp_path: Path) -> None:
    assert multi.manifest_version == 2
    assert (multi.name, multi.version, multi.authors) == (
        "multi-type",
        "1.2.0",
        ("Ada <ada@example.test>",),
    )
    assert multi.path == tmp_path / "spin.toml"
    assert multi.trigger_types() == ["http", "redis", "timer"]
    assert multi.trigger_global_config == {"redis": {"address": "redis://127.0.0.1:6379"}}
    assert multi.components_of("timer") == ["worker"]
    assert multi.supervisor == {
        "redis": {"restart": "always", "backoff_max": 5.0, "max_restarts": 10}
    }


def test_multi_type_trigger_ids_and_inline_component(multi: AppManifest) -> None:
    assert [(t.id, t.trigger_type, t.component) for t in multi.triggers] == [
        ("web-http-trigger", "http", "web"),
        ("admin", "http", "admin-component"),
        ("worker-redis-trigger", "redis", "worker"),
        ("worker-timer-trigger", "timer", "worker"),
    ]
    assert multi.triggers[0].config == {"route": "/..."}
    assert multi.triggers[3].config == {"interval_secs": 5}
    admin = multi.components["admin-component"]
    assert admin.allowed_outbound_hosts == ("https://api.example.test",)
    assert list(multi.components) == ["web", "worker", "admin-component"]


def test_multi_type_variables_and_templates(multi: AppManifest) -> None:
    greeting, token = multi.variables["greeting"], multi.variables["api_token"]
    assert (greeting.default, greeting.required, greeting.secret) == ("hello", False, False)
    assert (token.default, token.required, token.secret) == (None, True, True)
    assert multi.components["web"].variables == {
        "message": "{{ greeting }}, world",
        "token": "{{api_token}}",
    }


def test_multi_type_files_are_expanded_and_excluded(multi: AppManifest, tmp_path: Path) -> None:
    web = multi.components["web"]
    assert web.source.path == tmp_path / "wasm" / "web.wasm"
    assert set(web.files) == {
        FileMount(tmp_path / "static" / "index.html", "/static/index.html"),
        FileMount(tmp_path / "static" / "css" / "site.css", "/static/css/site.css"),
        # a directory placement: mounted file by file because exclude_files is set
        FileMount(tmp_path / "secret" / "app.conf", "/etc/app/app.conf"),
    }
    assert all(m.source.is_absolute() for m in web.files)
    assert web.environment == {"LOG_LEVEL": "info"}
    assert web.key_value_stores == ("default",)
    worker = multi.components["worker"]
    assert worker.build == {"command": "make worker", "watch": ["src/**/*.rs"]}
    assert worker.sqlite_databases == ("default",)


def test_directory_placement_without_excludes_is_one_mount(tmp_path: Path) -> None:
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "data" / "deep" / "f").write_text("x")
    (tmp_path / "notes.txt").write_text("n")
    manifest = write_app(
        tmp_path,
        'spin_manifest_version = 2\n[application]\nname = "a"\n'
        '[[trigger.http]]\nroute = "/"\ncomponent = "c"\n'
        '[component.c]\nsource = "c.wasm"\n'
        'files = [{ source = "data", destination = "/d" }, "notes.txt", "data"]\n',
        "c.wasm",
    )
    files = load_manifest(manifest).components["c"].files
    assert files == (
        FileMount(tmp_path / "data", "/d"),
        FileMount(tmp_path / "notes.txt", "/notes.txt"),
        FileMount(tmp_path / "data" / "deep" / "f", "/data/deep/f"),
    )


def test_glob_matching_nothing_is_allowed(tmp_path: Path) -> None:
    manifest = write_app(
        tmp_path,
        'spin_manifest_version = 2\n[application]\nname = "a"\n'
        '[[trigger.http]]\nroute = "/"\ncomponent = "c"\n'
        '[component.c]\nsource = "c.wasm"\nfiles = ["public/*.html"]\n',
        "c.wasm",
    )
    assert load_manifest(manifest).components["c"].files == ()


def test_spin_normalisation_rules(tmp_path: Path) -> None:
    """Spin's own normalisation example: natural ids, counters, `components` maps."""
    manifest = write_app(
        tmp_path,
        """spin_manifest_version = 2
[application]
name = "minimal-v2"
[[trigger.http]]
component = "hello"
[[trigger.http]]
id = "admin-handler"
component = { source = "admin.wasm" }
[[trigger.http]]
component = { source = "other.wasm" }
[[trigger.example]]
components.hello = "hello"
components.inline1 = { source = "inline1.wasm" }
components.inline2 = [{ source = "inline2.wasm" }]
[component.hello]
source = "hello.wasm"
""",
        "hello.wasm",
        "admin.wasm",
        "other.wasm",
        "inline1.wasm",
        "inline2.wasm",
    )
    app = load_manifest(manifest)
    assert [(t.id, t.component) for t in app.triggers] == [
        ("hello-http-trigger", "hello"),
        ("admin-handler", "admin-handler-component"),
        ("http-trigger1", "http-trigger1-component"),
        ("example-trigger1", None),
    ]
    assert app.triggers[3].config == {
        "components": {
            "hello": ["hello"],
            "inline1": ["inline-component1"],
            "inline2": ["inline-component2"],
        }
    }
    assert app.components["inline-component2"].source.path == tmp_path / "inline2.wasm"
    assert app.components_of("example") == ["hello", "inline-component1", "inline-component2"]


def test_trigger_id_collisions_fall_back_to_counters(tmp_path: Path) -> None:
    manifest = write_app(
        tmp_path,
        """spin_manifest_version = 2
[application]
name = "a"
[[trigger.http]]
id = "c-http-trigger"
component = "c"
[[trigger.http]]
component = "c"
[[trigger.http]]
id = "http-trigger1"
component = "c"
[[trigger.http]]
component = "c"
[[trigger.http]]
id = "x"
component = { source = "c.wasm" }
[component.x-component]
source = "c.wasm"
[component.c]
source = "c.wasm"
""",
        "c.wasm",
    )
    app = load_manifest(manifest)
    assert [t.id for t in app.triggers] == [
        "c-http-trigger",
        "http-trigger2",
        "http-trigger1",
        "http-trigger3",
        "x",
    ]
    # `x-component` is taken by a declared component: the inline one gets a counter id
    assert app.triggers[4].component == "inline-component1"
    assert set(app.components) == {"c", "x-component", "inline-component1"}


def test_remote_source(tmp_path: Path) -> None:
    manifest = write_app(
        tmp_path,
        'spin_manifest_version = 2\n[application]\nname = "a"\n'
        '[[trigger.http]]\nroute = "/"\ncomponent = "r"\n'
        '[component.r]\nsource = { url = "https://example.test/r.wasm", digest = "sha256:00" }\n',
    )
    source = load_manifest(manifest).components["r"].source
    assert (source.path, source.url, source.digest) == (
        None,
        "https://example.test/r.wasm",
        "sha256:00",
    )


def test_v2_allowed_http_hosts_are_converted_without_database_access(tmp_path: Path) -> None:
    manifest = write_app(
        tmp_path,
        'spin_manifest_version = 2\n[application]\nname = "a"\n'
        '[[trigger.http]]\nroute = "/"\ncomponent = "c"\n'
        '[component.c]\nsource = "c.wasm"\nallowed_outbound_hosts = ["redis://r:6379"]\n'
        'allowed_http_hosts = ["https://[::1]:8001/"]\n',
        "c.wasm",
    )
    assert load_manifest(manifest).components["c"].allowed_outbound_hosts == (
        "redis://r:6379",
        "http://[::1]:8001",
        "https://[::1]:8001",
    )


def test_v1_is_converted_as_spin_converts_it(tmp_path: Path) -> None:
    app = load_manifest(copy_app("v1-app", tmp_path))
    assert app.manifest_version == 1
    assert (app.name, app.version, app.authors) == ("legacy", "0.9.0", ("Bob",))
    assert app.trigger_global_config == {"http": {"base": "/api"}}
    assert [(t.id, t.trigger_type, t.component, t.config) for t in app.triggers] == [
        ("trigger-hello-world", "http", "hello-world", {"route": "/hello"}),
        (
            "trigger-checker",
            "http",
            "checker",
            {"route": "/check", "executor": {"type": "wagi"}},
        ),
    ]
    hello = app.components["hello-world"]
    assert hello.variables == {"where": "in {{ region }}"}
    assert hello.files == (FileMount(tmp_path / "assets" / "a.txt", "/assets/a.txt"),)
    # no allowed_outbound_hosts: the database access v1 apps had, plus the HTTP hosts
    assert hello.allowed_outbound_hosts == (
        "redis://*:*",
        "mysql://*:*",
        "postgres://*:*",
        "http://example.test",
        "https://example.test",
        "http://localhost:3001",
        "https://localhost:3001",
        "http://self",
    )
    checker = app.components["checker"]
    assert checker.allowed_outbound_hosts == (
        "mqtt://broker.test:1883",
        "http://*:*",
        "https://*:*",
        "http://self",
    )
    assert checker.ai_models == ("llama2-chat",)


def test_v1_supervisor_tables_are_allowed(tmp_path: Path) -> None:
    manifest = copy_app("v1-app", tmp_path)
    manifest.write_text(manifest.read_text() + '\n[supervisor.http]\nrestart = "never"\n')
    assert load_manifest(manifest).supervisor == {"http": {"restart": "never"}}


def test_v1_with_spin_manifest_version_key(tmp_path: Path) -> None:
    manifest = write_app(
        tmp_path,
        'spin_manifest_version = "1"\nname = "a"\ntrigger = { type = "redis" }\n'
        '[[component]]\nid = "c"\nsource = "c.wasm"\n[component.trigger]\nchannel = "x"\n',
        "c.wasm",
    )
    app = load_manifest(manifest)
    assert app.trigger_types() == ["redis"]
    assert app.triggers[0].config == {"channel": "x"}


def test_relative_manifest_path_becomes_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_app("multi-type", tmp_path)
    monkeypatch.chdir(tmp_path)
    app = load_manifest(Path("spin.toml"))
    assert app.path == tmp_path / "spin.toml"
    assert app.components["worker"].source.path == tmp_path / "wasm" / "worker.wasm"


def test_a_bare_wasm_file_is_an_http_app_on_every_path_as_spin_runs_it(tmp_path: Path) -> None:
    """`spin up -f hello.wasm`: Spin's single-file manifest (crates/loader, from_wasm_file)."""
    wasm = tmp_path / "hello.wasm"
    wasm.write_bytes(b"\0asm\1\0\0\0")
    app = load_manifest(wasm)
    assert app.name == "hello"
    [trigger] = app.triggers
    assert (trigger.trigger_type, trigger.config) == ("http", {"route": "/..."})
    assert app.components[trigger.component].source.path == wasm
