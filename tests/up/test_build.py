"""`spin build` and `spin up --build`: each component's build commands run in its workdir,
output shown, the first failure stopping everything, as Spin's build does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from spin.locked import LockedApp
from tests.fixtures.up.fakes import install_executor
from tests.support import run_spin

MANIFEST = """\
spin_manifest_version = 2
[application]
name = "built"
[[trigger.dump]]
component = "first"
[[trigger.dump]]
component = "second"
[component.first]
source = "out/first.wasm"
[component.first.build]
workdir = "src"
command = [
    "echo step one",
    "mkdir -p ../out && printf '\\\\0asm\\\\1\\\\0\\\\0\\\\0' > ../out/first.wasm",
]
[component.second]
source = "out/first.wasm"
build = { command = "echo second built in $(basename $PWD)" }
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "app" / "src").mkdir(parents=True)
    (tmp_path / "app" / "spin.toml").write_text(MANIFEST)
    return tmp_path / "app"


def spin(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`spin ARGS` with `env` added to this process's environment."""
    return run_spin(*args, cwd=cwd, env={**os.environ, **(env or {})})


def test_build_runs_each_command_in_its_workdir_and_shows_the_output(app: Path) -> None:
    result = spin("build", cwd=app)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["step one", "second built in app"]
    assert "Building component first (step 1/2) with `echo step one`" in result.stderr
    assert "Building component second with" in result.stderr
    assert (app / "out" / "first.wasm").read_bytes() == b"\0asm\1\0\0\0"


def test_build_of_one_component_and_an_unknown_one(app: Path) -> None:
    result = spin("build", "-c", "second", cwd=app)
    assert result.returncode == 0 and result.stdout == "second built in app\n", result.stderr
    result = spin("build", "-c", "nope", cwd=app)
    assert result.returncode == 1 and "Unknown component(s) nope" in result.stderr


def test_a_failed_build_stops_spin_up_before_any_executor(app: Path, tmp_path: Path) -> None:
    (app / "spin.toml").write_text(MANIFEST.replace("echo step one", "echo broken >&2; exit 3"))
    result = spin("up", "--build", cwd=app)
    assert result.returncode == 1
    assert "broken" in result.stderr
    assert "Build command for component first failed with status 3" in result.stderr
    assert not (app / "out").exists()


def test_up_build_builds_then_runs(app: Path, tmp_path: Path) -> None:
    install_executor(tmp_path / "bin" / "spin-trigger-dump")
    (tmp_path / "out").mkdir()
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "SPIN_DATA_DIR": str(tmp_path / "data"),
        "FAKE_EXECUTOR_OUT": str(tmp_path / "out"),
    }
    work = tmp_path / "work"
    result = spin("up", "--build", "--restart", "never", "--temp", str(work), cwd=app, env=env)
    assert result.returncode == 0, result.stderr
    assert "step one" in result.stdout
    assert list(LockedApp.from_file(work / "spin.lock").components) == ["first", "second"]
