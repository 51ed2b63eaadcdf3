"""`spin export systemd`: the unit passes `systemd-analyze verify`, and its ExecStart, run as
systemd runs a Type=notify service (NOTIFY_SOCKET, WorkingDirectory, SIGTERM to the main
process only with KillMode=mixed), reports READY=1 and stops within TimeoutStopSec."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support import RunningExecutor, run_spin
from tests.up.test_cli import assert_clean_failure


def export(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_spin("export", "systemd", *args, cwd=cwd, env=dict(os.environ))


def test_the_unit_verifies_and_its_command_runs_as_a_notify_service(
    demo: Path, demo_env: dict[str, str], tmp_path: Path
) -> None:
    unit_file = tmp_path / "three-triggers.service"
    args = ["--from", str(demo), "--trigger-type", "timer", "--shutdown-timeout", "7"]
    result = export(*args, "-o", str(unit_file), cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed (.ci/run installs the systemd package)"
    verify = subprocess.run(
        [analyze, "verify", str(unit_file)], capture_output=True, text=True, timeout=60
    )
    assert verify.returncode == 0 and unit_file.name not in verify.stderr, verify.stderr

    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(unit_file.read_text())
    service = unit["Service"]
    assert (service["Type"], service["NotifyAccess"], service["KillMode"]) == (
        "notify",
        "main",
        "mixed",
    )
    assert service["Restart"] == "on-failure"
    stop_timeout = int(service["TimeoutStopSec"])
    assert stop_timeout == 12  # spin up's 7 s, and a margin

    command = shlex.split(service["ExecStart"])
    assert command[1:] == [
        "up",
        "-f",
        str(demo),
        "--shutdown-timeout",
        "7",
        "--trigger-type",
        "timer",
    ]
    working_dir = Path(service["WorkingDirectory"])
    up = RunningExecutor(command, working_dir, env=demo_env, name="unit")
    try:
        assert "READY=1" in up.notification().splitlines()  # what Type=notify waits for
        up.process.send_signal(signal.SIGTERM)  # KillMode=mixed: the main process only
        assert up.wait_exit(timeout=stop_timeout) == 0, up.stderr()
    finally:
        up.close()


#: Bad input: (arguments after `--from <demo>`, what the one-paragraph error says).
ERROR_CASES = [
    (
        ["--trigger-type", "cron"],
        ["--trigger-type cron", "its trigger types are http, timer, redis"],
    ),
    (["--environment-file", "app.env"], ["--environment-file 'app.env'", "absolute path"]),
    (["-o", "/nonexistent/app.service"], ["Cannot write /nonexistent/app.service", "-o"]),
]


@pytest.mark.parametrize(("args", "expected"), ERROR_CASES)
def test_bad_input_is_one_clear_error(
    demo: Path, tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    assert_clean_failure(export("--from", str(demo), *args, cwd=tmp_path), *expected)
