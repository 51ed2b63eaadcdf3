"""`spin registry push/pull/login` and `spin up -f <reference>` against a real registry (Debian's
docker-registry on loopback): Spin's OCI format on the wire, files reaching the guest, digests
checked, the cache keyed by digest, credentials from the Docker config file, clear errors."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.registry.conftest import DockerRegistry
from tests.support import free_port, run_spin, wait_for, wat_to_wasm
from tests.up.test_cli import assert_clean_failure

WAT_DIR = Path(__file__).parent.parent / "wat"
SPIN_FORMAT = {
    "wasm": "application/vnd.wasm.content.layer.v1+wasm",
    "data": "application/vnd.wasm.content.layer.v1+data",
    "archive": "application/vnd.wasm.content.bundle.v1.tar+gzip",
    "locked": "application/vnd.fermyon.spin.application.v1+config",
}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BIG = "0123456789" * 100  # over the 128 bytes Spin inlines: a layer of its own

MANIFEST = """spin_manifest_version = 2
[application]
name = "files"
version = "1.2.3"
authors = ["Ada", "Grace"]
[[trigger.http]]
route = "/..."
component = "files"
[component.files]
source = "spin1_http_file.wasm"
files = [
    { source = "static", destination = "/" },
    { source = "more", destination = "/more" },
    { source = "top.txt", destination = "/top.txt" },
]
"""


def files_app(directory: Path) -> Path:
    """An HTTP app whose guest answers with the file its request body names, with a directory
    mounted at /, another at /more and a single file: small files (inlined) and a big one."""
    (directory / "static" / "sub").mkdir(parents=True)
    (directory / "more").mkdir()
    wat_to_wasm(WAT_DIR / "spin1_http_file.wat", directory)
    (directory / "static" / "hello.txt").write_text("hello from a pushed file\n")
    (directory / "static" / "sub" / "big.txt").write_text(BIG)
    (directory / "more" / "note.txt").write_text("a note\n")
    (directory / "top.txt").write_text("top\n")
    (directory / "spin.toml").write_text(MANIFEST)
    return directory / "spin.toml"


def registry_get(server: DockerRegistry, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"http://{server.host}/v2/{path}", headers=headers, timeout=10)


def pushed_manifest(server: DockerRegistry, repository: str, tag: str) -> dict:
    response = registry_get(server, f"{repository}/manifests/{tag}", Accept=OCI_MANIFEST)
    assert response.status_code == 200, response.text
    return response.json()


def layer_of(manifest: dict, kind: str) -> list[dict]:
    return [layer for layer in manifest["layers"] if layer["mediaType"] == SPIN_FORMAT[kind]]


@contextmanager
def spin_up(*args: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "spin", "up", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield up
    finally:
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0, log.read_text()


def get_file(port: int, name: str, up: subprocess.Popen[bytes], log: Path) -> httpx.Response | None:
    assert up.poll() is None, log.read_text()
    try:
        return httpx.post(f"http://127.0.0.1:{port}/", content=name.encode(), timeout=5)
    except httpx.TransportError:
        return None


def test_push_writes_spins_format_and_spin_up_serves_the_app_from_the_reference(
    tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    manifest = files_app(tmp_path / "app")
    reference = f"{registry.host}/apps/files:v1"
    pushed = run_spin("registry", "push", "--insecure", "-f", str(manifest), reference)
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split()[-1]

    # Spin's format: Wasm and data layers with Spin's media types, the locked app last (its
    # digest in the config's label), Spin's inferred annotations.
    oci = pushed_manifest(registry, "apps/files", "v1")
    by_digest = registry_get(registry, f"apps/files/manifests/{digest}", Accept=OCI_MANIFEST)
    assert by_digest.json() == oci
    assert [layer["mediaType"] for layer in oci["layers"]] == [
        SPIN_FORMAT["wasm"],
        SPIN_FORMAT["data"],  # only big.txt: the small files are inlined in the locked app
        SPIN_FORMAT["locked"],
    ]
    assert oci["annotations"]["org.opencontainers.image.title"] == "files"
    assert oci["annotations"]["org.opencontainers.image.version"] == "1.2.3"
    assert oci["annotations"]["org.opencontainers.image.authors"] == "Ada, Grace"
    config = registry_get(registry, f"apps/files/blobs/{oci['config']['digest']}").json()
    locked_digest = layer_of(oci, "locked")[0]["digest"]
    assert config["config"]["Labels"]["com.fermyon.spin.lockedAppDigest"] == locked_digest
    locked = registry_get(registry, f"apps/files/blobs/{locked_digest}").json()
    assert "origin" not in locked["metadata"]
    (component,) = locked["components"]
    assert component["source"]["digest"] == layer_of(oci, "wasm")[0]["digest"]
    assert "source" not in component["source"]  # no local path leaves the machine
    files = {entry["path"]: entry for entry in component["files"]}
    assert set(files) == {"hello.txt", "sub/big.txt", "more/note.txt", "top.txt"}
    assert base64.b64decode(files["top.txt"]["inline"]) == b"top\n"
    assert files["sub/big.txt"]["digest"] == layer_of(oci, "data")[0]["digest"]
    assert "inline" not in files["sub/big.txt"]

    # spin up -f <reference> pulls it and serves a real request; every file reaches the guest.
    port = free_port()
    log = tmp_path / "up.log"
    with spin_up("-k", "-f", reference, "--listen", f"127.0.0.1:{port}", log=log) as up:
        answer = wait_for(lambda: get_file(port, "hello.txt", up, log), timeout=60, what="HTTP")
        assert (answer.status_code, answer.text) == (200, "hello from a pushed file\n")
        for name, text in [
            ("sub/big.txt", BIG),
            ("more/note.txt", "a note\n"),
            ("top.txt", "top\n"),
        ]:
            response = get_file(port, name, up, log)
            assert response is not None and (response.status_code, response.text) == (200, text)
        assert get_file(port, "spin.toml", up, log).status_code == 404  # only what was mounted


def test_pull_caches_by_digest_and_an_archive_push_round_trips(
    tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    from spin.registry.pull import blob_path

    manifest = files_app(tmp_path / "app")
    reference = f"{registry.host}/apps/files:archive"
    env_push = subprocess.run(
        [sys.executable, "-m", "spin", "registry", "push", "-k", "-f", str(manifest), reference],
        env={**os.environ, "SPIN_OCI_ARCHIVE_LAYERS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_push.returncode == 0, env_push.stderr
    oci = pushed_manifest(registry, "apps/files", "archive")
    kinds = [layer["mediaType"] for layer in oci["layers"]]
    # One archive per mount (the component's files, copied into one directory as Spin locks
    # them) instead of a layer per file.
    assert kinds == [SPIN_FORMAT["wasm"], SPIN_FORMAT["archive"], SPIN_FORMAT["locked"]]

    pulled = run_spin("registry", "pull", "-k", reference)
    assert pulled.returncode == 0, pulled.stderr
    lock = Path(pulled.stdout.split()[-1])
    assets = lock.parent / "assets" / "files"
    assert (assets / "sub" / "big.txt").read_text() == BIG
    assert (assets / "more" / "note.txt").read_text() == "a note\n"
    document = json.loads(lock.read_text())
    assert document["metadata"]["origin"] == f"vnd.fermyon.origin-oci:{reference}"
    (component,) = document["components"]
    assert component["files"] == [{"source": assets.as_uri(), "path": "/"}]
    wasm_digest = layer_of(oci, "wasm")[0]["digest"]
    assert component["source"]["source"] == blob_path(wasm_digest).as_uri()

    # Cached by digest: with the registry's copies of the layers gone, a second pull of the same
    # manifest still works (only the manifest is asked for again).
    for layer in oci["layers"]:
        registry.blob_file(layer["digest"]).unlink()
    again = run_spin("registry", "pull", "-k", reference)
    assert again.returncode == 0, again.stderr
    assert again.stdout == pulled.stdout


def test_a_reference_by_digest_already_pulled_runs_with_the_registry_gone(
    tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    """A digest names one manifest for good, so its cached app needs no network (spin up -f
    host/app@sha256:... offline); a tag must still ask the registry where it points now."""
    manifest = files_app(tmp_path / "app")
    reference = f"{registry.host}/apps/files:v1"
    pushed = run_spin("registry", "push", "-k", "-f", str(manifest), reference)
    assert pushed.returncode == 0, pushed.stderr
    digest = pushed.stdout.split()[-1]
    by_digest = f"{registry.host}/apps/files@{digest}"
    first = run_spin("registry", "pull", "-k", by_digest)
    assert first.returncode == 0, first.stderr

    registry.stop()
    again = run_spin("registry", "pull", "-k", by_digest)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    by_tag = run_spin("registry", "pull", "-k", reference)
    assert by_tag.returncode == 1 and f"Cannot reach the registry of {reference}" in by_tag.stderr


def test_a_tampered_layer_is_refused_naming_both_digests(
    tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    from spin.registry.pull import blob_path

    reference = f"{registry.host}/apps/files:v1"
    pushed = run_spin("registry", "push", "-k", "-f", str(files_app(tmp_path / "app")), reference)
    assert pushed.returncode == 0, pushed.stderr
    big = layer_of(pushed_manifest(registry, "apps/files", "v1"), "data")[0]["digest"]
    stored = registry.blob_file(big)
    stored.write_text(BIG[::-1])  # same size, other bytes: the registry serves them as they are

    pulled = run_spin("registry", "pull", "-k", reference)
    assert pulled.returncode == 1
    assert big in pulled.stderr
    import hashlib

    actual = "sha256:" + hashlib.sha256(BIG[::-1].encode()).hexdigest()
    assert actual in pulled.stderr and reference in pulled.stderr
    assert "Traceback" not in pulled.stderr
    assert not blob_path(big).exists()
    assert list((Path(os.environ["SPIN_DATA_DIR"]) / "registry").glob("apps/*")) == []


def test_errors_name_the_reference_and_the_fix(
    tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    down = f"localhost:{free_port()}/apps/files:v1"
    for args in (["registry", "pull", "-k", down], ["up", "-k", "-f", down]):
        result = run_spin(*args)
        assert result.returncode == 1
        assert f"Cannot reach the registry of {down}" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr

    unknown = f"{registry.host}/apps/nothing:v9"
    result = run_spin("registry", "pull", "-k", unknown)
    assert result.returncode == 1
    assert "has no apps/nothing:v9" in result.stderr and "spin registry push" in result.stderr

    result = run_spin("registry", "pull", "-k", f"{registry.host}/Apps/Files:v1")
    assert result.returncode == 1
    assert "Invalid registry reference" in result.stderr
    assert "repository names are lower case" in result.stderr

    # A plain-HTTP registry without --insecure: the error says to add it.
    result = run_spin("registry", "pull", f"{registry.host}/apps/files:v1")
    assert result.returncode == 1
    assert "--insecure" in result.stderr and "Traceback" not in result.stderr


def test_login_stores_checked_credentials_that_push_and_pull_then_use(
    tmp_path: Path, spin_home: Path
) -> None:
    workdir = tmp_path / "auth-registry"
    workdir.mkdir()
    server = DockerRegistry(workdir, users={"ada": "s3cret"})
    server.start()
    try:
        reference = f"{server.host}/team/files:v1"
        manifest = files_app(tmp_path / "app")

        refused = run_spin("registry", "push", "-k", "-f", str(manifest), reference)
        assert refused.returncode == 1
        assert f"spin registry login {server.host}" in refused.stderr, refused.stderr

        wrong = run_spin(
            "registry", "login", "-k", "-u", "ada", "--password-stdin", server.host, stdin="nope\n"
        )
        assert wrong.returncode == 1
        assert "did not accept the user 'ada'" in wrong.stderr, wrong.stderr
        config = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
        assert not config.exists()

        good = run_spin(
            "registry",
            "login",
            "-k",
            "-u",
            "ada",
            "--password-stdin",
            server.host,
            stdin="s3cret\n",
        )
        assert good.returncode == 0, good.stderr
        stored = json.loads(config.read_text())["auths"][server.host]["auth"]
        assert base64.b64decode(stored) == b"ada:s3cret"

        pushed = run_spin("registry", "push", "-k", "-f", str(manifest), reference)
        assert pushed.returncode == 0, pushed.stderr
        pulled = run_spin("registry", "pull", "-k", reference)
        assert pulled.returncode == 0, pulled.stderr
        assert (Path(pulled.stdout.split()[-1]).parent / "assets/files/top.txt").is_file()
    finally:
        server.stop()


#: Bad input needing no registry: (arguments, standard input, what the one-paragraph error says).
#: {down} is a free port's address, where no registry listens.
ERROR_CASES = [
    (["push", "Apps/Files:v1", "-f", "{app}"], "", ["Invalid registry reference 'Apps/Files:v1'"]),
    (["push", "{down}/app:v1", "-f", "/nonexistent"], "", ["/nonexistent", "-f/--from"]),
    (["push", "{down}/app:v1", "-f", "{app}", "--annotation", "novalue"], "", ["KEY=VALUE"]),
    (["pull", "::bad"], "", ["Invalid registry reference '::bad'", "[REGISTRY/]REPOSITORY"]),
    (["login", "{down}"], "", ["no terminal to ask for the user name", "-u/--username"]),
    (["login", "-u", "ada", "{down}"], "", ["no terminal to ask for the password", "-p/"]),
    (["login", "--password-stdin", "{down}"], "pw\n", ["give the user name with -u"]),
    (["login", "-u", "a", "-p", "b", "--password-stdin", "{down}"], "", ["not both"]),
    (["login", "-k", "-u", "a", "-p", "b", "{down}"], "", ["Cannot reach the registry {down} "]),
]


@pytest.mark.parametrize(("args", "stdin", "expected"), ERROR_CASES)
def test_bad_input_is_one_clear_error(
    tmp_path: Path, spin_home: Path, args: list[str], stdin: str, expected: list[str]
) -> None:
    """No prompt without a terminal (standard input is a pipe here), no traceback, exit 1."""
    values = {"down": f"localhost:{free_port()}", "app": str(files_app(tmp_path / "app"))}
    result = run_spin("registry", *(arg.format(**values) for arg in args), stdin=stdin)
    assert_clean_failure(result, *(fragment.format(**values) for fragment in expected))
    assert "spin-login-check" not in result.stderr  # the probe's reference is not the user's


@pytest.mark.parametrize("text", ["examples/demo", "spin.toml", "./app/spin.toml"])
def test_a_missing_path_is_not_taken_for_a_reference(text: str) -> None:
    from spin.registry.reference import looks_like_reference

    assert not looks_like_reference(text)


@pytest.mark.parametrize("text", ["localhost:5000/app:v1", "ghcr.io/me/app", "me/app:1.0"])
def test_a_reference_is_recognised(text: str) -> None:
    from spin.registry.reference import looks_like_reference

    assert looks_like_reference(text)


def test_push_reads_per_file_mounts_and_directories_mounted_anywhere(tmp_path: Path) -> None:
    """Locks of other shapes (a single file at a guest path, a directory at /more, as older
    locks and --direct-mounts have) push their files under those guest paths."""
    from spin.registry.push import assemble

    files_app(tmp_path)
    wasm = tmp_path / "spin1_http_file.wasm"
    locked = {
        "spin_lock_version": 0,
        "metadata": {"name": "files", "origin": (tmp_path / "spin.toml").as_uri()},
        "components": [
            {
                "id": "files",
                "source": {"content_type": "application/wasm", "source": wasm.as_uri()},
                "files": [
                    {"source": (tmp_path / "top.txt").as_uri(), "path": "/top.txt"},
                    {"source": (tmp_path / "more").as_uri(), "path": "/more"},
                    {"source": (tmp_path / "static").as_uri(), "path": "/"},
                ],
            }
        ],
    }
    assembly = assemble(locked, tmp_path)
    (component,) = assembly.locked["components"]
    paths = [entry["path"] for entry in component["files"]]
    assert paths == ["top.txt", "more/note.txt", "hello.txt", "sub/big.txt"]
    assert "origin" not in assembly.locked["metadata"]
    kinds = [media for _, media in assembly.layers.values()]
    assert kinds == [SPIN_FORMAT["wasm"], SPIN_FORMAT["data"]]  # big.txt; the rest inlined


def test_an_app_whose_config_is_the_locked_app_is_pulled_as_older_spins_pushed_it(
    tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    """Older Spins pushed the locked app as the manifest's config, with no locked-app layer."""
    from spin.registry import pull_app
    from spin.registry.client import RegistrySession
    from spin.registry.reference import parse_reference

    wasm = wat_to_wasm(WAT_DIR / "spin1_http_file.wat", tmp_path)
    (tmp_path / "big.txt").write_text(BIG)
    reference = parse_reference(f"{registry.host}/old/app:v1")
    session = RegistrySession(reference, insecure=True)
    wasm_layer = session.push_blob(wasm, SPIN_FORMAT["wasm"])
    data_layer = session.push_blob(tmp_path / "big.txt", SPIN_FORMAT["data"])
    locked = {
        "spin_lock_version": 0,
        "metadata": {"name": "old"},
        "triggers": [
            {"id": "t", "trigger_type": "http", "trigger_config": {"component": "c", "route": "/"}}
        ],
        "components": [
            {
                "id": "c",
                "source": {"content_type": "application/wasm", "digest": wasm_layer["digest"]},
                "files": [
                    {"path": "data/big.txt", "digest": data_layer["digest"]},
                    {"path": "hi.txt", "inline": base64.b64encode(b"hi\n").decode()},
                ],
            }
        ],
    }
    (tmp_path / "locked.json").write_text(json.dumps(locked))
    config = session.push_blob(tmp_path / "locked.json", SPIN_FORMAT["locked"])
    session.push_manifest(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": [wasm_layer, data_layer],
        }
    )

    lock = pull_app(str(reference), insecure=True)
    document = json.loads(lock.read_text())
    (component,) = document["components"]
    assert Path(component["source"]["source"].removeprefix("file://")).read_bytes() == (
        wasm.read_bytes()
    )
    assets = lock.parent / "assets" / "c"
    assert (assets / "data" / "big.txt").read_text() == BIG
    assert (assets / "hi.txt").read_text() == "hi\n"
    assert pull_app(str(reference), insecure=True) == lock  # cached by the manifest's digest


@pytest.mark.parametrize(
    "options",
    [["--exec", "--direct-mounts"], ["-c", "files", "--trigger-type", "http"]],
    ids=["exec-direct-mounts", "component-and-trigger-type"],
)
def test_spin_up_options_work_on_a_registry_app(
    options: list[str], tmp_path: Path, registry: DockerRegistry, spin_home: Path
) -> None:
    reference = f"{registry.host}/apps/files:v1"
    pushed = run_spin("registry", "push", "-k", "-f", str(files_app(tmp_path / "app")), reference)
    assert pushed.returncode == 0, pushed.stderr
    port = free_port()
    log = tmp_path / "up.log"
    args = ["-k", "--from-registry", reference, *options, "--listen", f"127.0.0.1:{port}"]
    with spin_up(*args, log=log) as up:
        answer = wait_for(lambda: get_file(port, "more/note.txt", up, log), timeout=60, what="HTTP")
        assert (answer.status_code, answer.text) == (200, "a note\n")
