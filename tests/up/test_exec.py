"""`spin up --exec` from a fresh `pip install` of the project: the executor takes spin's PID,
gets the trailing arguments unchanged and sees the whole executor contract.

A session fixture makes a new venv, installs the project (non-editable, from a copy of the work
tree) and a tiny distribution with a `spin.triggers` entry point. The executor is the fake one of
tests/fixtures/up, found on PATH, as a Spin plugin, or through that entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import spin
from spin.locked import LockedApp
from tests.fixtures.up.fakes import FAKE_EXECUTOR, install_executor, write_app
from tests.support import REPO_ROOT

NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    ".spin", "*.wasm",
)  # fmt: skip
TRAILING = ["--listen", "127.0.0.1:3001", "--odd=value with spaces", "-q", "x", "-z"]

ENTRY_POINT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "fake-spin-trigger-dump"
version = "1.0"

[project.entry-points."spin.triggers"]
dump = "fake_executor:main"

[tool.setuptools]
py-modules = ["fake_executor"]
"""


def pip_install(venv: Path, *sources: Path) -> None:
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *map(str, sources)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"pip install failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the project and the entry-point distribution pip-installed into it."""
    root = tmp_path_factory.mktemp("fresh-install")
    project = root / "project"
    shutil.copytree(REPO_ROOT, project, ignore=NOT_COPIED)
    entry_point_dist = root / "entry-point-dist"
    entry_point_dist.mkdir()
    (entry_point_dist / "pyproject.toml").write_text(ENTRY_POINT_PYPROJECT)
    shutil.copy(FAKE_EXECUTOR, entry_point_dist / "fake_executor.py")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip_install(venv, project, entry_point_dist)
    return venv


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """spin up's environment: an empty Spin data dir, an empty PATH dir first, an output dir."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    env = dict(os.environ)
    env.update(
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        SPIN_DATA_DIR=str(tmp_path / "data"),
        FAKE_EXECUTOR_OUT=str(tmp_path / "out"),
    )
    env.pop("SPIN_DEBUG", None)
    return env


def spin_up_exec(
    venv: Path, manifest: Path, env: dict[str, str], *extra: str
) -> tuple[int, dict[str, Any]]:
    """Run `<venv>/bin/spin up --exec ...`; return its PID and what the executor recorded."""
    process = subprocess.Popen(
        [str(venv / "bin" / "spin"), "up", "--exec", "-f", str(manifest), *extra, *TRAILING],
        env=env,
        cwd=manifest.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, f"spin up failed ({process.returncode}):\n{stdout}{stderr}"
    record = json.loads((Path(env["FAKE_EXECUTOR_OUT"]) / "dump.json").read_text())
    return process.pid, record


def check_contract(record: dict[str, Any], manifest: Path, working_dir: Path) -> None:
    """All the executor contract's variables, with correct values."""
    env = record["env"]
    assert env["SPIN_MANIFEST_URL"] == manifest.resolve().as_uri()
    assert env["SPIN_TRIGGER_TYPE"] == "dump"
    assert env["SPIN_WORKING_DIR"] == str(working_dir.resolve())
    assert env["SPIN_LOCAL_APP_DIR"] == str(manifest.parent.resolve())
    assert env["SPIN_VERSION"] == spin.__version__
    locked_url = env["SPIN_LOCKED_URL"]
    assert locked_url == (working_dir / "spin.lock").resolve().as_uri()
    locked = LockedApp.from_file(working_dir / "spin.lock")  # parses, and is a spin.lock
    assert locked.origin == manifest.resolve().as_uri()
    assert [t.trigger_type for t in locked.triggers] == ["dump"]
    component = locked.component("dump-handler")
    assert component.env == {"GREETING": "hello world"}
    assert component.source_path == manifest.parent.resolve() / "empty.wasm"
    assert env["FAKE_EXECUTOR_OUT"]  # the rest of spin up's environment is inherited


def test_exec_an_executor_on_path(
    fresh_venv: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    program = install_executor(tmp_path / "bin" / "spin-trigger-dump")
    manifest = write_app(tmp_path / "app", ["dump"])
    pid, record = spin_up_exec(fresh_venv, manifest, isolated_env, "-e", "GREETING=hello world")
    assert record["pid"] == pid
    assert record["argv"] == [str(program), *TRAILING]
    check_contract(record, manifest, manifest.parent / ".spin" / "up")


def test_exec_a_spin_plugin_with_a_given_working_dir(
    fresh_venv: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    plugin = install_executor(tmp_path / "data" / "plugins" / "trigger-dump" / "trigger-dump")
    manifest = write_app(tmp_path / "app", ["dump"])
    working_dir = tmp_path / "work"
    pid, record = spin_up_exec(
        fresh_venv,
        manifest,
        isolated_env,
        "--env=GREETING=hello world",
        "--temp",
        str(working_dir),
    )
    assert record["pid"] == pid
    assert record["argv"] == [str(plugin), *TRAILING]
    check_contract(record, manifest, working_dir)


def test_exec_a_python_entry_point(
    fresh_venv: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    manifest = write_app(tmp_path / "app", ["dump"])
    pid, record = spin_up_exec(fresh_venv, manifest, isolated_env, "-e", "GREETING=hello world")
    assert record["pid"] == pid
    assert record["argv"] == ["spin-trigger-dump", *TRAILING]
    check_contract(record, manifest, manifest.parent / ".spin" / "up")


def test_exec_refuses_an_app_with_several_trigger_types(
    fresh_venv: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-dump")
    manifest = write_app(tmp_path / "app", ["dump", "other"])
    result = subprocess.run(
        [str(fresh_venv / "bin" / "spin"), "up", "--exec", "-f", str(manifest)],
        env=isolated_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "exactly one trigger type" in result.stderr
    assert "dump, other" in result.stderr
    assert "plain `spin up`" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "dump.json").exists()
