"""`spin plugins`: installing an executor program where `spin up` looks for it, listing and
removing it; and the installed timer plugin found by discovery and run by `spin up`."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from spin.up.discovery import locate_executor
from tests.support import REPO_ROOT, run_spin, wait_for, wat_to_wasm

TIMER_PROGRAM = Path(sys.executable).with_name("spin-trigger-timer")
TIMER_WAT = REPO_ROOT / "executors" / "timer" / "tests" / "wat" / "tick.wat"
#: A PATH without the virtualenv's bin directory: the timer can only be found as a plugin.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


spin = functools.partial(run_spin, timeout=60)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose Spin data directory is empty."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPIN_")}
    return {**clean, "SPIN_DATA_DIR": str(tmp_path / "data")}


def plugin_path(env: dict[str, str], trigger_type: str) -> Path:
    name = f"trigger-{trigger_type}"
    return Path(env["SPIN_DATA_DIR"]) / "plugins" / name / name


def test_install_list_uninstall(env: dict[str, str]) -> None:
    assert "No plugins installed" in spin("plugins", "list", env=env).stdout

    installed = spin("plugins", "install", "--file", str(TIMER_PROGRAM), env=env)
    assert installed.returncode == 0, installed.stderr
    program = plugin_path(env, "timer")
    assert f"Installed trigger-timer at {program}" in installed.stdout
    assert program.read_bytes() == TIMER_PROGRAM.read_bytes()
    assert os.access(program, os.X_OK)

    listed = spin("plugins", "list", env=env)
    assert listed.returncode == 0
    assert "trigger-timer" in listed.stdout
    assert "trigger type 'timer'" in listed.stdout
    assert str(program) in listed.stdout

    removed = spin("plugins", "uninstall", "timer", env=env)
    assert removed.returncode == 0, removed.stderr
    assert not program.parent.exists()
    assert "No plugins installed" in spin("plugins", "list", env=env).stdout


def test_the_trigger_type_comes_from_the_file_name_or_name(
    env: dict[str, str], tmp_path: Path
) -> None:
    program = tmp_path / "my-executor"
    program.write_text("#!/bin/sh\nexit 0\n")

    unnamed = spin("plugins", "install", "--file", str(program), env=env)
    assert unnamed.returncode == 1
    assert "Pass the type with `--name <type>`" in unnamed.stderr

    named = spin("plugins", "install", "--file", str(program), "--name", "cron", env=env)
    assert named.returncode == 0, named.stderr
    assert plugin_path(env, "cron").read_text() == "#!/bin/sh\nexit 0\n"
    assert subprocess.run([plugin_path(env, "cron")], timeout=30).returncode == 0


def test_an_installed_plugin_is_replaced_only_with_force(
    env: dict[str, str], tmp_path: Path
) -> None:
    first, second = tmp_path / "spin-trigger-cron", tmp_path / "other" / "spin-trigger-cron"
    second.parent.mkdir()
    first.write_text("#!/bin/sh\necho first\n")
    second.write_text("#!/bin/sh\necho second\n")
    assert spin("plugins", "install", "--file", str(first), env=env).returncode == 0

    again = spin("plugins", "install", "--file", str(second), env=env)
    assert again.returncode == 1
    assert "already installed" in again.stderr and "--force" in again.stderr
    assert "first" in plugin_path(env, "cron").read_text()

    forced = spin("plugins", "install", "--file", str(second), "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert "second" in plugin_path(env, "cron").read_text()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("just some text\n", "neither a native program nor a script"),
        ("#!/nowhere/python3\n", "/nowhere/python3, which does not exist"),
    ],
)
def test_what_cannot_run_is_not_installed(
    env: dict[str, str], tmp_path: Path, content: str | None, expected: str
) -> None:
    program = tmp_path / "spin-trigger-broken"
    if content is not None:
        program.write_text(content)
    result = spin("plugins", "install", "--file", str(program), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not plugin_path(env, "broken").exists()


def test_uninstalling_an_unknown_plugin_is_an_error(env: dict[str, str]) -> None:
    result = spin("plugins", "uninstall", "nothing", env=env)
    assert result.returncode == 1
    assert "No plugin named trigger-nothing is installed" in result.stderr


@pytest.mark.parametrize(
    ("variables", "data_dir"),
    [
        ({"XDG_DATA_HOME": "xdg"}, "xdg/spin"),
        ({"HOME": "home"}, "home/.local/share/spin"),
    ],
)
def test_the_default_data_dir_is_spins(
    env: dict[str, str], tmp_path: Path, variables: dict[str, str], data_dir: str
) -> None:
    del env["SPIN_DATA_DIR"]
    env.pop("XDG_DATA_HOME", None)
    env.update({name: str(tmp_path / value) for name, value in variables.items()})
    result = spin("plugins", "install", "--file", str(TIMER_PROGRAM), env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / data_dir / "plugins" / "trigger-timer" / "trigger-timer").is_file()


def write_timer_app(directory: Path) -> Path:
    wat_to_wasm(TIMER_WAT, directory)
    manifest = directory / "spin.toml"
    manifest.write_text(
        'spin_manifest_version = 2\n\n[application]\nname = "plugin-test"\n\n'
        "[application.trigger.timer]\nspeedup = 20\n\n"
        '[[trigger.timer]]\ncomponent = "tick"\ninterval_secs = 1\n\n'
        '[component.tick]\nsource = "tick.wasm"\n'
    )
    return manifest


def test_discovery_finds_the_timer_in_the_plugins_dir(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert spin("plugins", "install", "--file", str(TIMER_PROGRAM), env=env).returncode == 0
    monkeypatch.setenv("SPIN_DATA_DIR", env["SPIN_DATA_DIR"])
    monkeypatch.setenv("PATH", SYSTEM_PATH)

    found = locate_executor("timer")
    assert found is not None
    assert found.argv == [str(plugin_path(env, "timer"))]
    assert found.description.startswith("Spin plugin at")


def test_spin_up_runs_the_timer_plugin(env: dict[str, str], tmp_path: Path) -> None:
    """The copied console script runs from the plugins dir (its #! names the venv's python)."""
    assert spin("plugins", "install", "--file", str(TIMER_PROGRAM), env=env).returncode == 0
    manifest = write_timer_app(tmp_path)
    log = tmp_path / ".spin" / "logs" / "tick_stdout.txt"
    up = subprocess.Popen(
        [sys.executable, "-m", "spin", "up", "--exec", "-f", str(manifest), "--quiet"],
        env={**env, "PATH": SYSTEM_PATH},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: log.exists() and log.read_text().count("tick") >= 3,
            timeout=30,
            what="three timer runs",
        )
    finally:
        up.send_signal(signal.SIGTERM)
        _, stderr = up.communicate(timeout=30)
    assert up.returncode == 0, stderr
