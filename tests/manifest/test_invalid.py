"""Invalid manifests, v1 and v2: each is rejected with a ManifestError that names the file and
the exact TOML path of the offending field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spin.errors import ManifestError
from spin.manifest import load_manifest

V2 = """spin_manifest_version = 2
[application]
name = "app"
"""
V2_OK = (
    V2
    + """
[[trigger.http]]
route = "/..."
component = "hello"
[component.hello]
source = "app.wasm"
"""
)
V1 = """spin_manifest_version = "1"
name = "app"
trigger = { type = "http" }
"""


def v2(triggers: str = '[[trigger.http]]\nroute = "/..."\ncomponent = "hello"\n', **component):
    """A v2 manifest whose component `hello` has these extra TOML lines."""
    lines = "\n".join(f"{key} = {value}" for key, value in component.items())
    return f'{V2}\n{triggers}\n[component.hello]\nsource = "app.wasm"\n{lines}\n'


CASES = [
    # --- the file and its version
    ("toml-syntax", "spin_manifest_version = 2\nname = ", ""),
    ("empty", "", "spin_manifest_version"),
    ("version-3", V2_OK.replace("= 2", "= 3", 1), "spin_manifest_version"),
    ("version-2-as-string", V2_OK.replace("= 2", '= "2"', 1), "spin_manifest_version"),
    ("version-2-float", V2_OK.replace("= 2", "= 2.0", 1), "spin_manifest_version"),
    (
        "spin-version-alias-for-v2",
        V2_OK.replace("spin_manifest_version", "spin_version"),
        "spin_version",
    ),
    # --- v2 top level and [application]
    ("v2-unknown-top-level", "colour = 1\n" + V2_OK, "colour"),
    (
        "v2-missing-application",
        "spin_manifest_version = 2\n[[trigger.http]]\ncomponent = 'x'\n",
        "application",
    ),
    ("v2-missing-name", V2_OK.replace('name = "app"', 'version = "1"'), "application.name"),
    ("v2-name-not-string", V2_OK.replace('name = "app"', "name = 5"), "application.name"),
    (
        "v2-authors-not-strings",
        V2_OK.replace('name = "app"', 'name = "app"\nauthors = [1]'),
        "application.authors[0]",
    ),
    (
        "v2-unknown-application-key",
        V2_OK.replace('name = "app"', 'name = "app"\nowner = "me"'),
        "application.owner",
    ),
    (
        "v2-global-trigger-config-not-table",
        V2_OK.replace('name = "app"', 'name = "app"\ntrigger = { http = 1 }'),
        "application.trigger.http",
    ),
    ("v2-missing-trigger", V2 + '[component.hello]\nsource = "app.wasm"\n', "trigger"),
    # --- [variables]
    (
        "variable-bad-name",
        V2_OK + '[variables]\n"Bad-Name" = { default = "x" }\n',
        "variables.Bad-Name",
    ),
    (
        "variable-upper-case",
        V2_OK + '[variables]\nAPI_KEY = { default = "x" }\n',
        "variables.API_KEY",
    ),
    ("variable-neither", V2_OK + "[variables]\nfoo = { secret = true }\n", "variables.foo"),
    (
        "variable-both",
        V2_OK + '[variables]\nfoo = { required = true, default = "x" }\n',
        "variables.foo",
    ),
    (
        "variable-default-not-string",
        V2_OK + "[variables]\nfoo = { default = 1 }\n",
        "variables.foo.default",
    ),
    (
        "variable-unknown-key",
        V2_OK + '[variables]\nfoo = { default = "x", help = "?" }\n',
        "variables.foo.help",
    ),
    ("variable-not-table", V2_OK + '[variables]\nfoo = "x"\n', "variables.foo"),
    # --- [[trigger.<type>]]
    (
        "trigger-not-array",
        V2 + '[trigger]\nhttp = { component = "hello" }\n[component.hello]\nsource = "app.wasm"\n',
        "trigger.http",
    ),
    (
        "trigger-unknown-component",
        v2('[[trigger.http]]\nroute = "/"\ncomponent = "nope"\n'),
        "trigger.http[0].component",
    ),
    (
        "trigger-component-bad-id",
        v2('[[trigger.http]]\ncomponent = "1-2-3"\n'),
        "trigger.http[0].component",
    ),
    (
        "trigger-component-wrong-type",
        v2("[[trigger.redis]]\ncomponent = 7\n"),
        "trigger.redis[0].component",
    ),
    (
        "trigger-duplicate-id",
        v2(
            '[[trigger.http]]\nid = "t"\ncomponent = "hello"\n'
            '[[trigger.redis]]\nid = "t"\ncomponent = "hello"\n'
        ),
        "trigger.redis[0].id",
    ),
    (
        "trigger-id-not-string",
        v2("[[trigger.http]]\nid = 3\ncomponent = 'hello'\n"),
        "trigger.http[0].id",
    ),
    ("trigger-bad-type-name", v2('[[trigger."a b"]]\ncomponent = "hello"\n'), 'trigger."a b"'),
    (
        "trigger-components-unknown",
        v2(
            '[[trigger.http]]\ncomponent = "hello"\n'
            '[[trigger.mq]]\ncomponents.main = ["hello", "x"]\n'
        ),
        "trigger.mq[0].components.main[1]",
    ),
    (
        "inline-component-missing-source",
        v2(
            '[[trigger.http]]\ncomponent = "hello"\n'
            '[[trigger.timer]]\ncomponent = { description = "d" }\n'
        ),
        "trigger.timer[0].component.source",
    ),
    # --- [component.<id>]
    (
        "component-bad-id",
        V2 + '[[trigger.http]]\ncomponent = "my_comp"\n[component.my_comp]\nsource = "app.wasm"\n',
        "component.my_comp",
    ),
    (
        "component-missing-source",
        V2_OK.replace('source = "app.wasm"', 'description = "x"'),
        "component.hello.source",
    ),
    (
        "component-source-file-missing",
        V2_OK.replace("app.wasm", "missing.wasm"),
        "component.hello.source",
    ),
    (
        "component-source-wrong-type",
        v2().replace('source = "app.wasm"', "source = 12"),
        "component.hello.source",
    ),
    (
        "component-source-url-without-digest",
        v2().replace('source = "app.wasm"', 'source = { url = "https://example.test/a.wasm" }'),
        "component.hello.source.digest",
    ),
    (
        "component-source-bad-digest",
        v2().replace('source = "app.wasm"', 'source = { url = "u", digest = "md5:00" }'),
        "component.hello.source.digest",
    ),
    ("component-unknown-field", v2(colour='"red"'), "component.hello.colour"),
    (
        "component-dependencies-unsupported",
        v2(dependencies='{ "a:b" = "1.0" }'),
        "component.hello.dependencies",
    ),
    (
        "component-environment-value-not-string",
        v2(environment="{ A = 1 }"),
        "component.hello.environment.A",
    ),
    ("component-variable-bad-name", v2(variables='{ Bad = "x" }'), "component.hello.variables.Bad"),
    (
        "component-variable-undeclared-template",
        v2(variables='{ msg = "{{ nope }}" }'),
        "component.hello.variables.msg",
    ),
    (
        "component-variable-unclosed-template",
        V2_OK.replace('source = "app.wasm"', 'source = "app.wasm"\nvariables = { m = "{{ x" }')
        + '[variables]\nx = { default = "1" }\n',
        "component.hello.variables.m",
    ),
    ("component-files-missing-path", v2(files='["nothing-here.txt"]'), "component.hello.files[0]"),
    ("component-files-outside-app", v2(files='["../etc/passwd"]'), "component.hello.files[0]"),
    ("component-files-wrong-type", v2(files="[1]"), "component.hello.files[0]"),
    (
        "component-files-placement-missing-destination",
        v2(files='[{ source = "static" }]'),
        "component.hello.files[0].destination",
    ),
    (
        "component-files-placement-source-missing",
        v2(files='[{ source = "nope", destination = "/" }]'),
        "component.hello.files[0].source",
    ),
    (
        "component-files-placement-unknown-key",
        v2(files='[{ source = "static", destination = "/", mode = "rw" }]'),
        "component.hello.files[0].mode",
    ),
    ("component-exclude-not-array", v2(exclude_files='"*.txt"'), "component.hello.exclude_files"),
    # --- paths the file system cannot take (were ValueError / OSError ENAMETOOLONG)
    ("source-with-nul", V2_OK.replace("app.wasm", "app\\u0000.wasm"), "component.hello.source"),
    ("source-name-too-long", V2_OK.replace("app.wasm", "a" * 300), "component.hello.source"),
    ("source-path-too-deep", V2_OK.replace("app.wasm", "a/" * 3000), "component.hello.source"),
    ("files-pattern-with-nul", v2(files='["static/\\u0000*"]'), "component.hello.files[0]"),
    ("files-name-too-long", v2(files=f'["{"a" * 300}"]'), "component.hello.files[0]"),
    ("files-path-too-deep", v2(files=f'["{"a/" * 3000}*"]'), "component.hello.files[0]"),
    (
        "files-source-with-nul",
        v2(files='[{ source = "a\\u0000b", destination = "/" }]'),
        "component.hello.files[0].source",
    ),
    (
        "files-source-too-long",
        v2(files=f'[{{ source = "{"a" * 300}", destination = "/" }}]'),
        "component.hello.files[0].source",
    ),
    (
        "files-destination-with-nul",
        v2(files='[{ source = "static", destination = "/x\\u0000" }]'),
        "component.hello.files[0].destination",
    ),
    (
        "files-file-placed-at-slash",
        v2(files='[{ source = "static/index.html", destination = "/" }]'),
        "component.hello.files[0].destination",
    ),
    (
        "files-file-placed-at-a-directory-name",
        v2(files='[{ source = "static/index.html", destination = "/www/" }]'),
        "component.hello.files[0].destination",
    ),
    *(
        (
            f"outbound-{name}",
            v2(allowed_outbound_hosts=f'["{entry}"]'),
            "component.hello.allowed_outbound_hosts",
        )
        for name, entry in (
            ("no-scheme", "spin.fermyon.dev"),
            ("localhost", "localhost"),
            ("localhost-port", "localhost:3001"),
            ("example-com", "example.com"),
            ("any-scheme-without-port", "*://127.0.0.1/24"),
            ("path", "http://spin.fermyon.dev/a"),
            ("wildcard-with-path", "http://*.fermyon.dev/a"),
            ("insecure-allow-all-alone", "insecure:allow-all"),
        )
    ),
    (
        "component-outbound-not-strings",
        v2(allowed_outbound_hosts="[true]"),
        "component.hello.allowed_outbound_hosts[0]",
    ),
    (
        "component-http-host-with-path",
        v2(allowed_http_hosts='["example.com/path"]'),
        "component.hello.allowed_http_hosts[0]",
    ),
    (
        "component-http-host-ftp",
        v2(allowed_http_hosts='["ftp://example.com"]'),
        "component.hello.allowed_http_hosts[0]",
    ),
    (
        "component-kv-bad-label",
        v2(key_value_stores='["b@d"]'),
        "component.hello.key_value_stores[0]",
    ),
    (
        "component-sqlite-bad-label",
        v2(sqlite_databases='["x", "no way"]'),
        "component.hello.sqlite_databases[1]",
    ),
    ("component-ai-model-bad-id", v2(ai_models='["llama_2"]'), "component.hello.ai_models[0]"),
    (
        "component-build-without-command",
        v2(build='{ workdir = "x" }'),
        "component.hello.build.command",
    ),
    (
        "component-build-unknown-key",
        v2(build='{ command = "make", shell = "sh" }'),
        "component.hello.build.shell",
    ),
    (
        "component-build-command-not-string",
        v2(build="{ command = 1 }"),
        "component.hello.build.command",
    ),
    # --- [supervisor.<type>]
    (
        "supervisor-unknown-key",
        V2_OK + "[supervisor.http]\nrestarts = 1\n",
        "supervisor.http.restarts",
    ),
    (
        "supervisor-bad-restart",
        V2_OK + '[supervisor.http]\nrestart = "sometimes"\n',
        "supervisor.http.restart",
    ),
    (
        "supervisor-negative-seconds",
        V2_OK + "[supervisor.http]\nbackoff_max = -1\n",
        "supervisor.http.backoff_max",
    ),
    (
        "supervisor-seconds-as-string",
        V2_OK + '[supervisor.http]\nshutdown_timeout = "10s"\n',
        "supervisor.http.shutdown_timeout",
    ),
    (
        "supervisor-max-restarts-float",
        V2_OK + "[supervisor.http]\nmax_restarts = 2.5\n",
        "supervisor.http.max_restarts",
    ),
    (
        "supervisor-max-restarts-bool",
        V2_OK + "[supervisor.http]\nmax_restarts = true\n",
        "supervisor.http.max_restarts",
    ),
    (
        "supervisor-unused-type",
        V2_OK + '[supervisor.redis]\nrestart = "never"\n',
        "supervisor.redis",
    ),
    ("supervisor-not-table", "supervisor = 1\n" + V2_OK, "supervisor"),
    # --- v1
    ("v1-unknown-top-level", V1 + "colour = 1\n", "colour"),
    ("v1-missing-trigger", 'spin_manifest_version = "1"\nname = "app"\n', "trigger"),
    ("v1-trigger-without-type", V1.replace('{ type = "http" }', '{ base = "/" }'), "trigger.type"),
    ("v1-missing-name", V1.replace('name = "app"\n', ""), "name"),
    ("v1-both-version-keys", 'spin_version = "1"\n' + V1, "spin_version"),
    ("v1-component-not-array", V1 + '[component]\nid = "a"\n', "component"),
    (
        "v1-component-missing-id",
        V1 + '[[component]]\nsource = "app.wasm"\n[component.trigger]\n',
        "component[0].id",
    ),
    (
        "v1-component-missing-trigger",
        V1 + '[[component]]\nid = "a"\nsource = "app.wasm"\n',
        "component[0].trigger",
    ),
    (
        "v1-component-bad-id",
        V1 + '[[component]]\nid = "9lives"\nsource = "app.wasm"\n[component.trigger]\n',
        "component[0].id",
    ),
    (
        "v1-duplicate-component-ids",
        V1 + '[[component]]\nid = "hello"\nsource = "app.wasm"\n[component.trigger]\nroute = "/a"\n'
        '[[component]]\nid = "Hello"\nsource = "app.wasm"\n[component.trigger]\nroute = "/b"\n',
        "component[1].id",
    ),
    (
        "v1-source-missing",
        V1 + '[[component]]\nid = "a"\nsource = "gone.wasm"\n[component.trigger]\n',
        "component[0].source",
    ),
    (
        "v1-v2-field-variables",
        V1 + '[[component]]\nid = "a"\nsource = "app.wasm"\n'
        'variables = { a = "b" }\n[component.trigger]\n',
        "component[0].variables",
    ),
    (
        "v1-config-undeclared-template",
        V1 + '[[component]]\nid = "a"\nsource = "app.wasm"\n'
        'config = { a = "{{ b }}" }\n[component.trigger]\n',
        "component[0].config.a",
    ),
    (
        "v1-http-host-invalid",
        V1 + '[[component]]\nid = "a"\nsource = "app.wasm"\n'
        'allowed_http_hosts = ["http://[::1"]\n[component.trigger]\n',
        "component[0].allowed_http_hosts[0]",
    ),
    (
        "v1-supervisor-unused-type",
        V1 + '[supervisor.redis]\nrestart = "never"\n',
        "supervisor.redis",
    ),
]


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.wasm").write_bytes(b"\0asm\1\0\0\0")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "index.html").write_text("hi")
    return tmp_path


def test_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_manifest_names_file_and_field(app_dir: Path, text: str, field: str) -> None:
    manifest = app_dir / "spin.toml"
    manifest.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    err = caught.value
    assert err.field == field, str(err)
    assert err.file == str(manifest)
    message = str(err)
    assert str(manifest) in message
    if field:
        assert f"`{field}`" in message
    assert err.problem and err.fix, message


def test_toml_syntax_error_has_line_and_column(app_dir: Path) -> None:
    manifest = app_dir / "spin.toml"
    manifest.write_text('spin_manifest_version = 2\n[application]\nname = "a"\nver\n')
    with pytest.raises(ManifestError, match=r"line 4, column 4"):
        load_manifest(manifest)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist") as caught:
        load_manifest(tmp_path / "nope" / "spin.toml")
    assert caught.value.file == str(tmp_path / "nope" / "spin.toml")


def test_unreadable_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path)  # a directory


def test_non_utf8_file(tmp_path: Path) -> None:
    manifest = tmp_path / "spin.toml"
    manifest.write_bytes(b'spin_manifest_version = 2\nname = "\xff"\n')
    with pytest.raises(ManifestError, match="UTF-8"):
        load_manifest(manifest)


def test_a_link_out_of_a_directory_mounted_file_by_file_names_it(app_dir: Path) -> None:
    """With `exclude_files` a directory is mounted file by file; a link in it leading out of
    the directory used to be mounted as the file it points to."""
    (app_dir / "secret.txt").write_text("not mounted")
    os.symlink("../secret.txt", app_dir / "static" / "r")
    manifest = app_dir / "spin.toml"
    manifest.write_text(
        v2(files='[{ source = "static", destination = "/" }]', exclude_files='["*.md"]')
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert caught.value.field == "component.hello.files[0].source"
    assert "static/r is a symbolic link to" in str(caught.value)
    assert "secret.txt, outside the mounted directory" in str(caught.value)


def test_every_bad_outbound_host_is_named_in_one_error(app_dir: Path) -> None:
    manifest = app_dir / "spin.toml"
    entries = '["example.com", "https://ok.test", "http://a.test/path", "https://{{ host }}"]'
    manifest.write_text(
        v2(allowed_outbound_hosts=entries) + '[variables]\nhost = { default = "bad host" }\n'
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    message = str(caught.value)
    assert "3 of 4 entries are not valid outbound hosts" in message
    assert "[0] 'example.com' has no scheme" in message
    assert "[2] 'http://a.test/path' has a path" in message
    assert "[3] with the variables' default values, 'https://{{ host }}' is 'https://bad host'" in (
        message
    )
    assert "[1]" not in message


@pytest.mark.parametrize(
    "entries",
    [
        '["http://[::1]", "*://127.0.0.1/24:63551", "https://{{ host }}"]',  # host: no default
        '["https://{{ empty }}"]',  # an empty value drops the entry
    ],
)
def test_outbound_hosts_spin_accepts_load(app_dir: Path, entries: str) -> None:
    manifest = app_dir / "spin.toml"
    variables = '[variables]\nhost = { required = true }\nempty = { default = "" }\n'
    manifest.write_text(v2(allowed_outbound_hosts=entries) + variables)
    load_manifest(manifest)


def test_insecure_allow_all_beside_other_entries_is_an_entry_without_a_scheme(
    app_dir: Path,
) -> None:
    manifest = app_dir / "spin.toml"
    manifest.write_text(v2(allowed_outbound_hosts='["insecure:allow-all", "https://a.test"]'))
    with pytest.raises(ManifestError, match=r"\[0\] 'insecure:allow-all' has no scheme"):
        load_manifest(manifest)
