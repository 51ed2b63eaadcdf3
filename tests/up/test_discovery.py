"""Finding executors: the search order, entry points run in a fresh interpreter, the error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spin.data_dir import spin_data_dir
from spin.errors import SpinError
from spin.manifest import load_manifest
from spin.up.discovery import find_executors, locate_executor
from tests.fixtures.up.fakes import FAKE_EXECUTOR, install_executor, write_app


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """An empty Spin data dir, a PATH directory and a sys.path entry for entry points."""
    data = tmp_path / "data"
    bin_dir = tmp_path / "bin"
    site = tmp_path / "site"
    for directory in (data, bin_dir, site):
        directory.mkdir()
    monkeypatch.setenv("SPIN_DATA_DIR", str(data))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.syspath_prepend(str(site))
    return {"data": data, "bin": bin_dir, "site": site}


def install_plugin(data: Path, trigger_type: str) -> Path:
    name = f"trigger-{trigger_type}"
    return install_executor(data / "plugins" / name / name)


def install_entry_point(site: Path, trigger_type: str, target: str) -> None:
    """A distribution (dist-info on sys.path) with a `spin.triggers` entry point."""
    dist_info = site / f"fake_trigger_{trigger_type}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: fake-trigger-{trigger_type}\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(f"[spin.triggers]\n{trigger_type} = {target}\n")


def test_internal_types_beat_every_other_place(places: dict[str, Path]) -> None:
    install_plugin(places["data"], "http")
    install_executor(places["bin"] / "spin-trigger-http")
    install_entry_point(places["site"], "http", "fake_executor:main")
    found = locate_executor("http")
    assert found is not None
    assert found.argv == [sys.executable, "-m", "spin", "trigger", "http"]
    assert found.description == "internal"


def test_a_plugin_beats_path_and_entry_points(places: dict[str, Path]) -> None:
    plugin = install_plugin(places["data"], "example")
    install_executor(places["bin"] / "spin-trigger-example")
    install_entry_point(places["site"], "example", "fake_executor:main")
    found = locate_executor("example")
    assert found is not None
    assert found.argv == [str(plugin)]
    assert "plugin" in found.description


def test_path_beats_entry_points(places: dict[str, Path]) -> None:
    program = install_executor(places["bin"] / "spin-trigger-example")
    install_entry_point(places["site"], "example", "fake_executor:main")
    found = locate_executor("example")
    assert found is not None
    assert found.argv == [str(program)]
    assert "PATH" in found.description


def test_entry_point_runs_in_a_fresh_interpreter(places: dict[str, Path]) -> None:
    install_entry_point(places["site"], "example", "fake_executor:main")
    found = locate_executor("example")
    assert found is not None
    assert found.argv == [sys.executable, "-m", "spin.up.entry_point", "example"]
    assert "fake_executor:main" in found.description


def test_a_plugin_file_that_is_not_executable_is_skipped(places: dict[str, Path]) -> None:
    plugin = install_plugin(places["data"], "example")
    plugin.chmod(0o644)
    program = install_executor(places["bin"] / "spin-trigger-example")
    found = locate_executor("example")
    assert found is not None
    assert found.argv == [str(program)]


def test_nothing_found(places: dict[str, Path]) -> None:
    assert locate_executor("nosuchtype") is None


def test_data_dir_follows_spin_data_dir_then_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIN_DATA_DIR", "/opt/spin-data")
    assert spin_data_dir() == Path("/opt/spin-data")
    monkeypatch.delenv("SPIN_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", "/xdg/data")
    assert spin_data_dir() == Path("/xdg/data/spin")
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert spin_data_dir() == Path.home() / ".local" / "share" / "spin"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert spin_data_dir() == Path.home() / ".local" / "share" / "spin"


def test_missing_executors_are_one_error_naming_types_components_and_places(
    places: dict[str, Path], tmp_path: Path
) -> None:
    install_executor(places["bin"] / "spin-trigger-found")
    app = load_manifest(write_app(tmp_path / "app", ["found", "example", "queue"]))
    with pytest.raises(SpinError) as err:
        find_executors(app, lambda trigger_type: {})
    message = str(err.value)
    assert 'trigger type "example" (used by components: example-handler)' in message
    assert 'trigger type "queue" (used by components: queue-handler)' in message
    assert '"found"' not in message
    plugin = places["data"] / "plugins" / "trigger-example" / "trigger-example"
    assert f"Spin plugin {plugin}" in message
    assert "spin-trigger-example in PATH" in message
    assert str(places["bin"]) in message
    assert 'entry point named "example" in the group "spin.triggers"' in message
    assert "internal executors of this spin (http, redis)" in message


def test_found_executors_get_their_own_environment(places: dict[str, Path], tmp_path: Path) -> None:
    first = install_executor(places["bin"] / "spin-trigger-first")
    second = install_plugin(places["data"], "second")
    app = load_manifest(write_app(tmp_path / "app", ["first", "second"]))
    launches = find_executors(app, lambda trigger_type: {"TYPE": trigger_type})
    assert [(x.trigger_type, x.argv, x.env) for x in launches] == [
        ("first", [str(first)], {"TYPE": "first"}),
        ("second", [str(second)], {"TYPE": "second"}),
    ]


def run_entry_point(site: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "FAKE_EXECUTOR_OUT": str(tmp_path),
        "SPIN_TRIGGER_TYPE": "example",
    }
    return subprocess.run(
        [sys.executable, "-m", "spin.up.entry_point", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_entry_point_callable_main_sees_the_trailing_args(
    places: dict[str, Path], tmp_path: Path
) -> None:
    (places["site"] / "fake_executor.py").write_text(FAKE_EXECUTOR.read_text())
    install_entry_point(places["site"], "example", "fake_executor:main")
    result = run_entry_point(places["site"], tmp_path, "example", "--every", "5s", "-q")
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "example.json").read_text())
    assert record["argv"] == ["spin-trigger-example", "--every", "5s", "-q"]


def test_entry_point_trigger_executor_class_gets_the_shared_command_line(
    places: dict[str, Path], tmp_path: Path
) -> None:
    (places["site"] / "fake_class_trigger.py").write_text(
        "import click\n"
        "from spin.trigger import TriggerExecutor\n\n"
        "class ExampleTrigger(TriggerExecutor):\n"
        "    trigger_type = 'example'\n"
        "    options = [click.Option(['--every'], default='1s')]\n\n"
        "    async def run(self):\n"
        "        return 0\n"
    )
    install_entry_point(places["site"], "example", "fake_class_trigger:ExampleTrigger")
    result = run_entry_point(places["site"], tmp_path, "example", "--launch-metadata-only")
    assert result.returncode == 0, result.stderr
    flags = json.loads(result.stderr.strip().splitlines()[-1])["all_flags"]
    assert {"short": None, "long": "--every"} in flags
    assert {"short": "-L", "long": "--log-dir"} in flags


def test_entry_point_missing_or_broken_is_a_clear_error(
    places: dict[str, Path], tmp_path: Path
) -> None:
    result = run_entry_point(places["site"], tmp_path, "nosuch")
    assert result.returncode == 1
    assert 'No Python entry point named "nosuch"' in result.stderr
    assert "Traceback" not in result.stderr
    install_entry_point(places["site"], "broken", "no_such_module:main")
    result = run_entry_point(places["site"], tmp_path, "broken")
    assert result.returncode == 1
    assert "cannot be loaded: ModuleNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr
