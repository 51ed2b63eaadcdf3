"""`spin up` as a user meets it: finding the manifest, clear errors, help, the supervised path
with option routing, the working directory and the SIGHUP replan."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from spin.locked import LockedApp, path_from_url
from spin.up.app_source import find_manifest
from spin.up.command import parse_env
from spin.up.planning import Replan
from tests.fixtures.up.fakes import install_executor, write_app
from tests.support import run_spin


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An empty Spin data dir, a PATH directory for fake executors, an output directory."""
    for name in ("bin", "data", "out"):
        (tmp_path / name).mkdir()
    environment = dict(os.environ)
    environment.update(
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        SPIN_DATA_DIR=str(tmp_path / "data"),
        FAKE_EXECUTOR_OUT=str(tmp_path / "out"),
    )
    environment.pop("SPIN_DEBUG", None)
    return environment


def assert_clean_failure(
    result: subprocess.CompletedProcess[str], *fragments: str, code: int = 1
) -> None:
    """Exit code `code`, one `Error:` message containing the fragments, no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("Error:") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def record(tmp_path: Path, trigger_type: str) -> dict[str, Any]:
    return json.loads((tmp_path / "out" / f"{trigger_type}.json").read_text())


def test_missing_file(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_spin("up", "-f", "nope.toml", cwd=tmp_path, env=env)
    assert_clean_failure(result, "No such file or directory: nope.toml", "-f/--from")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("ghcr.io/Me/app:v1", "the repository 'Me/app'"), ("::bad", "the repository ':'")],
)
def test_a_missing_file_shaped_like_a_reference_says_why_it_is_neither(
    tmp_path: Path, env: dict[str, str], text: str, problem: str
) -> None:
    result = run_spin("up", "-f", text, cwd=tmp_path, env=env)
    assert_clean_failure(result, f"No such file or directory: {text}, and as a reference", problem)
    assert "repository names are lower case" in result.stderr


def test_directory_without_manifest(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "empty").mkdir()
    result = run_spin("up", "--from", "empty", cwd=tmp_path, env=env)
    assert_clean_failure(result, "The directory empty has no spin.toml")


def test_no_manifest_here_or_above(tmp_path: Path, env: dict[str, str]) -> None:
    assert not any((d / "spin.toml").exists() for d in (tmp_path, *tmp_path.parents))
    result = run_spin("up", cwd=tmp_path, env=env)
    assert_clean_failure(
        result, f"No spin.toml found in {tmp_path} or any of its parent directories", "-f PATH"
    )


def test_find_manifest_accepts_a_file_or_a_directory(tmp_path: Path) -> None:
    manifest = write_app(tmp_path / "app", ["dump"])
    assert find_manifest(tmp_path / "app") == manifest
    assert find_manifest(manifest) == manifest
    assert find_manifest(None, cwd=tmp_path / "app") == manifest


def test_manifest_in_a_parent_directory_is_used_and_named(
    tmp_path: Path, env: dict[str, str]
) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-dump")
    manifest = write_app(tmp_path / "app", ["dump"])
    deep = tmp_path / "app" / "src" / "deep"
    deep.mkdir(parents=True)
    result = run_spin("up", "--restart", "never", cwd=deep, env=env)
    assert result.returncode == 0, result.stderr
    assert f"Using spin.toml from parent directory: {manifest}" in result.stderr
    assert record(tmp_path, "dump")["env"]["SPIN_MANIFEST_URL"] == manifest.as_uri()


def test_missing_executor(tmp_path: Path, env: dict[str, str]) -> None:
    write_app(tmp_path / "app", ["fake"])
    result = run_spin("up", cwd=tmp_path / "app", env=env)
    assert_clean_failure(
        result,
        'No trigger executor found for trigger type "fake" (used by components: fake-handler)',
        "spin-trigger-fake",
        str(tmp_path / "data" / "plugins" / "trigger-fake" / "trigger-fake"),
        '"spin.triggers"',
    )


@pytest.mark.parametrize("value", ["GREETING", "=hello", " =x"])
def test_bad_env_value(tmp_path: Path, env: dict[str, str], value: str) -> None:
    write_app(tmp_path / "app", ["dump"])
    result = run_spin("up", "-e", value, cwd=tmp_path / "app", env=env)
    assert_clean_failure(result, f"Invalid -e/--env value {value!r}", "KEY=VALUE")


def test_env_values_parse() -> None:
    assert parse_env(["A=1", "B=x=y", "C=", "A=2"]) == {"A": "2", "B": "x=y", "C": ""}


def test_bad_manifest(tmp_path: Path, env: dict[str, str]) -> None:
    manifest = write_app(tmp_path / "app", ["dump"])
    manifest.write_text(manifest.read_text() + "\n[component.dump-handler.unknown]\nx = 1\n")
    result = run_spin("up", cwd=tmp_path / "app", env=env)
    assert_clean_failure(result, "Invalid manifest", str(manifest))


def test_help_explains_trailing_options_and_gives_examples(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = run_spin("up", "--help", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    for fragment in (
        "-f, --from PATH",
        "-e, --env KEY=VALUE",
        "--temp, --tmp DIR",
        "--exec",
        "--restart [always|on-failure|never]",
        "passed on to the executors",
        "--launch-metadata-only",
        "Examples:",
        "spin up -e GREETING=hello --listen 127.0.0.1:3001",
        "No trigger options listed: No spin.toml found",
    ):
        assert fragment in result.stdout, fragment


def test_help_lists_the_options_of_the_app_executors(tmp_path: Path, env: dict[str, str]) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-dump", [(None, "--listen")])
    write_app(tmp_path / "app", ["dump"])
    result = run_spin("up", "-h", "-f", "app", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Options of the dump executor" in result.stdout
    assert "fake executor flags: --listen" in result.stdout


def test_trigger_help_lists_internal_executors(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_spin("trigger", "--help", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "http" in result.stdout
    assert "redis" in result.stdout
    assert "Trigger types" in result.stdout


def test_supervised_up_routes_options_to_each_executor(tmp_path: Path, env: dict[str, str]) -> None:
    install_executor(
        tmp_path / "bin" / "spin-trigger-web", [(None, "--listen"), ("-L", "--log-dir")]
    )
    install_executor(tmp_path / "bin" / "spin-trigger-queue", [("-L", "--log-dir")])
    write_app(tmp_path / "app", ["web", "queue"])
    args = ["--listen", "127.0.0.1:3001", "-L", "logs"]
    result = run_spin("up", "--restart", "never", *args, cwd=tmp_path / "app", env=env)
    assert result.returncode == 0, result.stderr
    web, queue = record(tmp_path, "web"), record(tmp_path, "queue")
    assert web["argv"][1:] == ["--listen", "127.0.0.1:3001", "-L", "logs"]
    assert queue["argv"][1:] == ["-L", "logs"]
    assert web["env"]["SPIN_TRIGGER_TYPE"] == "web"
    assert queue["env"]["SPIN_TRIGGER_TYPE"] == "queue"
    working_dir = Path(web["env"]["SPIN_WORKING_DIR"])
    assert queue["env"]["SPIN_WORKING_DIR"] == str(working_dir)
    assert not working_dir.exists(), "the temporary working directory is removed on exit"


def test_unrecognised_option_fails_before_any_executor_starts(
    tmp_path: Path, env: dict[str, str]
) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-web", [(None, "--listen")])
    install_executor(tmp_path / "bin" / "spin-trigger-queue", [(None, "--channel")])
    write_app(tmp_path / "app", ["web", "queue"])
    result = run_spin("up", "--lisen", "127.0.0.1:3001", cwd=tmp_path / "app", env=env)
    assert_clean_failure(result, 'Unrecognised trigger option "--lisen"', code=2)
    assert list((tmp_path / "out").iterdir()) == []


def test_everything_after_double_dash_is_a_trigger_option(
    tmp_path: Path, env: dict[str, str]
) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-fake", [("-e", "--every")])
    write_app(tmp_path / "app", ["fake"])
    result = run_spin(
        "up", "--restart", "never", "-e", "A=1", "--", "-e", "5s", cwd=tmp_path / "app", env=env
    )
    assert result.returncode == 0, result.stderr
    assert record(tmp_path, "fake")["argv"][1:] == ["-e", "5s"]


def test_component_id_runs_only_that_component_and_its_executor(
    tmp_path: Path, env: dict[str, str]
) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-web")
    write_app(tmp_path / "app", ["web", "queue"])  # no executor for queue: not needed
    work = tmp_path / "work"
    result = run_spin(
        "up", "--restart", "never", "-c", "web-handler", "--temp", str(work),
        cwd=tmp_path / "app", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(LockedApp.from_file(work / "spin.lock").components) == ["web-handler"]
    result = run_spin("up", "-c", "nope", cwd=tmp_path / "app", env=env)
    assert_clean_failure(result, 'Specified component "nope" not found in application')


@pytest.mark.parametrize(
    "flags", [["--temp"], ["--tmp", "--direct-mounts"]]
)  # --tmp: Spin's alias; --direct-mounts: Spin's, accepted
def test_given_working_dir_is_kept(tmp_path: Path, env: dict[str, str], flags: list[str]) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-dump")
    write_app(tmp_path / "app", ["dump"])
    work = tmp_path / "work"
    args = [*flags[1:], flags[0], str(work)]
    result = run_spin("up", "--restart", "never", *args, cwd=tmp_path / "app", env=env)
    assert result.returncode == 0, result.stderr
    assert record(tmp_path, "dump")["env"]["SPIN_WORKING_DIR"] == str(work)
    assert LockedApp.from_file(work / "spin.lock").name == "test-app"


def test_files_are_copied_into_the_working_dir_unless_direct_mounts(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """As Spin 3: `files` copied into <working dir>/assets/<id>, mounted from there; with
    --direct-mounts a glob cannot be mounted in place and `spin up` says so before starting."""
    install_executor(tmp_path / "bin" / "spin-trigger-dump")
    manifest = write_app(tmp_path / "app", ["dump"])
    manifest.write_text(manifest.read_text() + 'files = ["static/*.txt"]\n')
    (tmp_path / "app" / "static").mkdir()
    (tmp_path / "app" / "static" / "a.txt").write_text("a")
    work = tmp_path / "work"
    result = run_spin("up", "--restart", "never", "--tmp", str(work), cwd=tmp_path / "app", env=env)
    assert result.returncode == 0, result.stderr
    copy = work / "assets" / "dump-handler"
    assert LockedApp.from_file(work / "spin.lock").component("dump-handler").files == [(copy, "/")]
    assert (copy / "static" / "a.txt").read_text() == "a"
    result = run_spin("up", "--direct-mounts", cwd=tmp_path / "app", env=env)
    assert_clean_failure(
        result, "component.dump-handler.files[0] ('static/*.txt') is not a directory"
    )


def test_a_replan_relocks_into_the_same_working_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the supervisor's planner runs on SIGHUP reads the edited manifest."""
    for trigger_type in ("web", "queue"):
        install_executor(tmp_path / "bin" / f"spin-trigger-{trigger_type}")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SPIN_DATA_DIR", str(tmp_path / "data"))
    manifest_path = write_app(tmp_path / "app", ["web"])
    working_dir = tmp_path / "work"
    working_dir.mkdir()
    replan = Replan(manifest_path, (), (), {"K": "v"}, working_dir, ())
    first = replan.plan()
    write_app(tmp_path / "app", ["web", "queue"], name="edited")
    second = Replan.from_json(json.loads(json.dumps(replan.to_json()))).plan()
    assert [x.trigger_type for x in first.executors] == ["web"]
    assert [x.trigger_type for x in second.executors] == ["web", "queue"]
    assert second.executors[1].env["SPIN_WORKING_DIR"] == str(working_dir)
    locked_url = second.executors[0].env["SPIN_LOCKED_URL"]
    assert LockedApp.from_file(path_from_url(locked_url)).name == "edited"


HTTP_HELP = """Options:
  -L, --log-dir DIR  Where logs go
                     (default: none).
  --listen ADDRESS   Where to listen.
  -h, --help         Show this message and exit.
"""
REDIS_HELP = """Options:
  -L, --log-dir DIR  Where logs go
                     (default: none).
  --max-reconnect-time S  Give up.
  -h, --help         Show this message and exit.
"""


def test_help_shows_common_options_once_then_each_executors_own() -> None:
    from spin.up.command import help_sections
    from spin.up.launch import ExecutorLaunch

    def launch(trigger_type: str) -> ExecutorLaunch:
        return ExecutorLaunch(trigger_type, ["x"], {}, "internal")

    sections = help_sections(
        [(launch("http"), HTTP_HELP), (launch("redis"), REDIS_HELP), (launch("odd"), "raw\n")]
    )
    rendered = "\n".join(f"{title}:\n" + "\n".join(entries) for title, entries in sections)
    assert rendered.count("--log-dir") == 1 and "-h, --help" not in rendered
    assert "Options:" not in rendered
    assert [title for title, _ in sections] == [
        "Trigger options every executor takes",
        "Options of the http executor (internal), besides those",
        "Options of the redis executor (internal), besides those",
        "Options of the odd executor (internal)",
    ]
    assert sections[1][1] == ["  --listen ADDRESS   Where to listen."]
    assert sections[3][1] == ["raw"]
