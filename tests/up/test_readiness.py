"""Readiness of external executors under `spin up`: one whose launch metadata declares sd_notify
(every executor built on `spin.trigger`) is waited for until it sends READY=1, however long that
takes; only one that does not declare it is taken as ready after the 2 s grace.

Real programs on PATH: the installed `spin-trigger-timer`, a slow executor built on `spin.trigger`
(tests/fixtures/up/slow_executor.py), a shell script that declares sd_notify itself and one that
knows nothing of either.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spin.up import launch_metadata
from spin.up.launch import ExecutorLaunch
from spin.up.launch_metadata import ask_launch_metadata, parse_launch_metadata
from tests.fixtures.supervisor.harness import pid_alive
from tests.fixtures.up.fakes import FIXTURES
from tests.support import REPO_ROOT, wait_for, wat_to_wasm

BIN = Path(sys.executable).parent
TICK = REPO_ROOT / "executors" / "timer" / "tests" / "wat" / "tick.wat"
#: How long the slow executor takes to be ready: well past the supervisor's 2 s grace.
SLOW_START = 3.0
#: A program not built on spin.trigger that declares sd_notify itself (docs/writing-a-trigger.md)
#: and notifies as late as the slow one.
SHELL_EXECUTOR = f"""#!/bin/sh
case "$1" in --launch-metadata-only)
  echo '{{"all_flags": [{{"short": "-L", "long": "--log-dir"}}], "sd_notify": true}}' >&2; exit 0;;
esac
sleep {SLOW_START}
{sys.executable} -c "import os, socket
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])"
exec sleep 600
"""
PLAIN_EXECUTOR = """#!/bin/sh
# Knows neither --launch-metadata-only nor sd_notify: serves until it is stopped.
case "$1" in --launch-metadata-only) echo "unknown option $1" >&2; exit 2;; esac
exec sleep 600
"""


def install(bin_dir: Path, trigger_type: str, text: str) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    program = bin_dir / f"spin-trigger-{trigger_type}"
    program.write_text(text)
    program.chmod(0o755)
    return program


def install_slow(bin_dir: Path, trigger_type: str) -> Path:
    return install(
        bin_dir,
        trigger_type,
        f"#!{sys.executable}\n" + (FIXTURES / "slow_executor.py").read_text(),
    )


def write_app(app_dir: Path, trigger_types: list[str]) -> Path:
    """One component per trigger type; the timer's ticks every second."""
    app_dir.mkdir(parents=True, exist_ok=True)
    wat_to_wasm(TICK, app_dir).rename(app_dir / "tick.wasm")
    wat_to_wasm(FIXTURES / "empty.wat", app_dir).rename(app_dir / "empty.wasm")
    text = 'spin_manifest_version = 2\n[application]\nname = "readiness"\n'
    for trigger_type in trigger_types:
        source = "tick.wasm" if trigger_type == "timer" else "empty.wasm"
        text += f'[[trigger.{trigger_type}]]\ncomponent = "{trigger_type}-handler"\n'
        text += "interval_secs = 1\n" if trigger_type == "timer" else ""
        text += f'[component.{trigger_type}-handler]\nsource = "{source}"\n'
    manifest = app_dir / "spin.toml"
    manifest.write_text(text)
    return manifest


def spin_up_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    env.update(PATH=f"{bin_dir}:{BIN}:/usr/bin:/bin", **extra)
    return env


def spin_up_command(manifest: Path) -> list[str]:
    return [sys.executable, "-m", "spin", "up", "-f", str(manifest), "--log-format", "json"]


def events(log: str, event: str, trigger: str | None) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [r for r in records if r["event"] == event and r["trigger"] == trigger]


def test_spin_trigger_executors_declare_sd_notify_in_their_launch_metadata(
    tmp_path: Path,
) -> None:
    timer = ExecutorLaunch("timer", [str(BIN / "spin-trigger-timer")], dict(os.environ))
    plain = install(tmp_path, "plain", PLAIN_EXECUTOR)
    answers = ask_launch_metadata([timer, ExecutorLaunch("plain", [str(plain)], {})])
    assert answers["timer"].sd_notify
    assert answers["timer"].flags is not None and "--test" in answers["timer"].flags
    assert not answers["plain"].sd_notify
    assert answers["plain"].flags is None


def test_a_program_that_ignores_the_flag_is_killed_with_its_group_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pid_file = tmp_path / "server.pid"
    wrapper = install(tmp_path, "wrapper", f"#!/bin/sh\nsleep 600 &\necho $! > {pid_file}\nwait\n")
    monkeypatch.setattr(launch_metadata, "METADATA_TIMEOUT", 0.5)
    with caplog.at_level(logging.WARNING, logger="spin.up.command"):
        answers = ask_launch_metadata([ExecutorLaunch("wrapper", [str(wrapper)], {})])
    assert answers["wrapper"] == launch_metadata.LaunchMetadata(
        None, missing="no answer within 0.5s"
    )
    assert "did not answer `--launch-metadata-only` within 0.5s and was killed" in caplog.text
    server = int(pid_file.read_text())
    wait_for(lambda: not pid_alive(server), timeout=10, what="the wrapper's server to be killed")


def test_the_probe_does_not_get_spin_ups_own_notify_socket(tmp_path: Path) -> None:
    program = install(
        tmp_path,
        "probe",
        '#!/bin/sh\n[ -z "$NOTIFY_SOCKET" ] || exit 3\necho \'{"all_flags": []}\' >&2\n',
    )
    env = {"NOTIFY_SOCKET": str(tmp_path / "systemd.sock")}
    answers = ask_launch_metadata([ExecutorLaunch("probe", [str(program)], env)])
    assert answers["probe"].flags == frozenset(), answers["probe"].missing


def test_only_sd_notify_true_declares_notification() -> None:
    parsed = parse_launch_metadata('log line\n{"all_flags": [], "sd_notify": true}\n')
    assert parsed is not None and parsed.sd_notify
    for value in ('"true"', "1", "false", "null"):
        parsed = parse_launch_metadata(f'{{"all_flags": [], "sd_notify": {value}}}')
        assert parsed is not None and not parsed.sd_notify
    parsed = parse_launch_metadata('{"all_flags": [{"short": "-L", "long": null}]}')  # Spin's
    assert parsed is not None and parsed.flags == {"-L"} and not parsed.sd_notify


def test_spin_up_waits_for_ready_from_executors_that_declare_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_slow(bin_dir, "slow")
    install(bin_dir, "shell", SHELL_EXECUTOR)
    install(bin_dir, "plain", PLAIN_EXECUTOR)
    manifest = write_app(tmp_path / "app", ["timer", "slow", "shell", "plain"])
    output = tmp_path / "spin-up.log"
    env = spin_up_env(bin_dir, SLOW_START=str(SLOW_START))
    with output.open("wb") as log:
        up = subprocess.Popen(spin_up_command(manifest), env=env, stderr=log, stdout=log)
    try:
        wait_for(
            lambda: events(output.read_text(), "ready", None),
            timeout=60,
            what="the supervisor's ready line",
        )
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=30)
    text = output.read_text()

    [timer] = events(text, "ready", "timer")
    assert timer["notified"] is True
    [slow] = events(text, "ready", "slow")  # one line: never taken as ready at 2 s
    assert slow["notified"] is True
    assert slow["uptime"] >= SLOW_START
    [shell] = events(text, "ready", "shell")
    assert shell["notified"] is True
    assert shell["uptime"] >= SLOW_START
    [plain] = events(text, "ready", "plain")
    assert plain["notified"] is False
    assert "no sd_notify in its launch metadata" in plain["reason"]
    [supervisor] = events(text, "ready", None)
    lines = text.splitlines()
    assert lines.index(json.dumps(supervisor, separators=(",", ":"))) > max(
        lines.index(json.dumps(r, separators=(",", ":"))) for r in (timer, slow, shell, plain)
    )
    assert up.returncode == 0, text


def test_an_executor_that_declares_it_and_exits_before_ready_is_a_start_failure(
    tmp_path: Path,
) -> None:
    bin_dir = tmp_path / "bin"
    install_slow(bin_dir, "slow")
    manifest = write_app(tmp_path / "app", ["slow"])
    env = spin_up_env(bin_dir, SLOW_START=str(SLOW_START), SLOW_FAILS="1")
    result = subprocess.run(
        spin_up_command(manifest), env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert events(result.stderr, "ready", "slow") == []
    assert len(events(result.stderr, "starting", "slow")) == 1  # not restarted
    [exited] = events(result.stderr, "exited", "slow")
    assert exited["uptime"] >= SLOW_START  # past the 2 s grace, still not taken as ready
    [failed] = events(result.stderr, "start-failed", "slow")
    assert failed["reason"] == "exited before it was ready: not restarted"
    assert result.stderr.rstrip().endswith("the slow executor could not load its components")
