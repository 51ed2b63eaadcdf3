"""End to end: `spin up` on a multi-type manifest supervises fake `spin-trigger-<type>`
executors found on PATH, with a `[supervisor.<type>]` override from the manifest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fixtures.supervisor.harness import Supervised, pid_alive, write_executor
from tests.support import wait_for

#: An empty Wasm module: the manifest's component needs a source to lock.
EMPTY_WASM = b"\0asm\1\0\0\0"


def write_manifest(app_dir: Path, trigger_types: list[str], extra: str = "") -> Path:
    (app_dir / "app.wasm").write_bytes(EMPTY_WASM)
    lines = ["spin_manifest_version = 2", "", "[application]", 'name = "sup-e2e"', ""]
    for trigger_type in trigger_types:
        lines += [f"[[trigger.{trigger_type}]]", 'component = "app"', ""]
    lines += ["[component.app]", 'source = "app.wasm"', "", extra]
    manifest = app_dir / "spin.toml"
    manifest.write_text("\n".join(lines))
    return manifest


def spin_up(sup: Supervised, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PATH": f"{sup.dir / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    sup.process = subprocess.Popen(
        [sys.executable, "-m", "spin", "up", *args],
        cwd=sup.dir,
        env=env,
        stdout=sup.stdout_file.open("wb"),
        stderr=sup.stderr_file.open("wb"),
    )
    return sup.process


def test_spin_up_supervises_executors_on_path(sup: Supervised) -> None:
    (sup.dir / "bin").mkdir()
    events = str(sup.events_file)
    write_executor(sup.dir / "bin/spin-trigger-ticker", events=events)
    write_executor(sup.dir / "bin/spin-trigger-flaky", events=events, exit_code=4, exit_after=0.2)
    manifest = write_manifest(
        sup.dir,
        ["ticker", "flaky"],
        extra='[supervisor.flaky]\nrestart = "on-failure"\nmax_restarts = 2\n',
    )
    spin_up(sup, "-f", str(manifest), "--log-format", "json", "--shutdown-timeout", "5")
    assert sup.wait_exit() == 4  # the flaky type gave up after 2 restarts: its exit code
    assert len(sup.events("start", "flaky")) == 3
    ticker = sup.events("start", "ticker")[0]
    assert sup.events("term", "ticker") and not pid_alive(ticker["pid"])
    records = [r for r in sup.json_log() if r.get("event")]
    giving_up = next(r for r in records if r["event"] == "giving-up")
    assert giving_up["trigger"] == "flaky" and giving_up["code"] == 4
    assert "grace=4.5" in sup.output()


def test_spin_up_stops_on_sigterm_and_exits_0(sup: Supervised) -> None:
    (sup.dir / "bin").mkdir()
    for trigger_type in ("alpha", "beta"):
        write_executor(sup.dir / f"bin/spin-trigger-{trigger_type}", events=str(sup.events_file))
    manifest = write_manifest(sup.dir, ["alpha", "beta"])
    spin_up(sup, "-f", str(manifest))
    started = sup.wait_events("start", 2)
    wait_for(lambda: "ready executors=2" in sup.log(), what="every executor ready")
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    assert {r["trigger"] for r in sup.events("term")} == {"alpha", "beta"}
    assert not any(pid_alive(r["pid"]) for r in started)
    assert "alpha | hello from pid" in sup.output()


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as file:
        return int(file.read().rsplit(")", 1)[1].split()[1])


def test_spin_up_hands_over_to_the_supervisor_process_which_replans_on_sighup(
    sup: Supervised,
) -> None:
    (sup.dir / "bin").mkdir()
    for trigger_type in ("alpha", "beta"):
        write_executor(sup.dir / f"bin/spin-trigger-{trigger_type}", events=str(sup.events_file))
    manifest = write_manifest(sup.dir, ["alpha"])
    process = spin_up(sup, "-f", str(manifest))
    alpha = sup.wait_events("start", 1, "alpha")[0]
    # The same PID, now the lean `python -m spin.supervisor`, is the executors' parent.
    with open(f"/proc/{process.pid}/cmdline", "rb") as file:
        assert file.read().split(b"\0")[1:3] == [b"-m", b"spin.supervisor"]
    assert parent_of(alpha["pid"]) == process.pid
    wait_for(lambda: "ready executors=1" in sup.log(), what="alpha ready")

    write_manifest(sup.dir, ["alpha", "beta"])  # the planner process reads the manifest again
    sup.signal(signal.SIGHUP)
    sup.wait_log("reloaded executors=2")
    beta = sup.wait_events("start", 1, "beta")[0]
    assert parent_of(beta["pid"]) == process.pid

    manifest.write_text(manifest.read_text() + "\n[component.app.unknown]\nx = 1\n")
    sup.signal(signal.SIGHUP)
    failed = sup.wait_log("reload-failed").split("reload-failed")[1].splitlines()[0]
    assert "Invalid manifest" in failed and str(manifest) in failed, failed
    assert "Traceback" not in sup.log()

    sup.signal(signal.SIGINT)  # a terminal's Ctrl-C
    assert sup.wait_exit() == 0
    assert not any(pid_alive(record["pid"]) for record in sup.events("start"))
