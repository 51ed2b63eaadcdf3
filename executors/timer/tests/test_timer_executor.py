"""The `spin-trigger-timer` program, run as `spin up` runs it: a child process given the app's
manifest in SPIN_MANIFEST_URL (it locks the app itself, as SIP 003 allows), real Wasm guests
built from the WAT files beside this test, real signals. Guests write to stdout; the tests count
the lines of their stdout log files.

Like any third-party executor's tests, these use nothing of the root project but the programs
it installs: the helpers are their own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
import wasmtime

WAT_DIR = Path(__file__).parent / "wat"
PROGRAM = Path(sys.executable).with_name("spin-trigger-timer")


def wait_for(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.01, what: str
) -> None:
    """Poll `condition` until it is true, or fail at the deadline saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class TimerApp:
    """A timer app in a temporary directory: its manifest and log directory."""

    dir: Path

    @property
    def log_dir(self) -> Path:
        return self.dir / "logs"

    def lines(self, component_id: str) -> list[str]:
        path = self.log_dir / f"{component_id}_stdout.txt"
        return path.read_text().splitlines() if path.exists() else []

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY"))}
        env.update(
            SPIN_MANIFEST_URL=(self.dir / "spin.toml").as_uri(),
            SPIN_TRIGGER_TYPE="timer",
            SPIN_LOG_DIR=str(self.log_dir),
            **extra,
        )
        return env

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PROGRAM), "--quiet", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def make_app(directory: Path, manifest_body: str, guests: list[str]) -> TimerApp:
    """Write a v2 manifest (after its [application] table) and build the named WAT guests."""
    for guest in guests:
        wasm = wasmtime.wat2wasm((WAT_DIR / f"{guest}.wat").read_text())
        (directory / f"{guest}.wasm").write_bytes(wasm)
    (directory / "spin.toml").write_text(
        'spin_manifest_version = 2\n\n[application]\nname = "timer-test"\n' + manifest_body
    )
    return TimerApp(directory)


def component(name: str) -> str:
    return f'\n[component.{name}]\nsource = "{name}.wasm"\n'


def timer(trigger_id: str, component_id: str, interval: str) -> str:
    return (
        f'\n[[trigger.timer]]\nid = "{trigger_id}"\ncomponent = "{component_id}"\n'
        f"interval_secs = {interval}\n"
    )


def speedup(value: str) -> str:
    return f"\n[application.trigger.timer]\nspeedup = {value}\n"


class RunningTimer:
    """`spin-trigger-timer` running in the background, with a notify socket for READY=1."""

    def __init__(self, app: TimerApp, *args: str, **env: str) -> None:
        self.socket_dir = Path(tempfile.mkdtemp(prefix="timer-notify-"))
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.socket_dir / "notify"))
        self.notify.settimeout(0.5)
        self.stderr_path = app.dir / "executor.stderr"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [str(PROGRAM), "--quiet", *args],
                env=app.env(NOTIFY_SOCKET=str(self.socket_dir / "notify"), **env),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def wait_for_state(self, state: str) -> None:
        """Wait for a notify datagram with `state` (e.g. READY=1) from the executor."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the executor exited:\n{self.stderr}"
            try:
                message = self.notify.recv(1024).decode()
            except TimeoutError:
                continue
            if state in message.split("\n"):
                return
        raise AssertionError(f"no {state} from the executor in 30 s:\n{self.stderr}")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.notify.close()
        for leftover in self.socket_dir.iterdir():
            leftover.unlink()
        self.socket_dir.rmdir()


@pytest.fixture
def start_timer() -> Iterator[Callable[..., RunningTimer]]:
    started: list[RunningTimer] = []

    def start(app: TimerApp, *args: str, **env: str) -> RunningTimer:
        running = RunningTimer(app, *args, **env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()


def times_of_new_lines(app: TimerApp, wanted: dict[str, int]) -> dict[str, list[float]]:
    """Poll the stdout logs of the components in `wanted` until each has gained that many
    lines; return when (time.monotonic) each new line was first seen."""
    start = {component_id: len(app.lines(component_id)) for component_id in wanted}
    seen: dict[str, list[float]] = {component_id: [] for component_id in wanted}

    def poll() -> bool:
        now = time.monotonic()
        for component_id, times in seen.items():
            new = len(app.lines(component_id)) - start[component_id]
            times.extend([now] * (min(new, wanted[component_id]) - len(times)))
        return all(len(seen[c]) >= wanted[c] for c in wanted)

    wait_for(poll, timeout=30, interval=0.005, what=f"new lines in the logs: {wanted}")
    return seen


def test_each_component_runs_every_interval_divided_by_speedup(
    tmp_path: Path, start_timer: Callable[..., RunningTimer]
) -> None:
    app = make_app(
        tmp_path,
        speedup("10")
        + timer("often", "tick", "1")  # every 100 ms
        + timer("seldom", "tock", "4")  # every 400 ms
        + component("tick")
        + component("tock").replace('"tock.wasm"', '"tick.wasm"'),
        ["tick"],
    )
    running = start_timer(app)
    running.wait_for_state("READY=1")

    seen = times_of_new_lines(app, {"tick": 5, "tock": 3})
    often, seldom = seen["tick"], seen["tock"]

    # Never early: runs are at least an interval apart (80%: polling and thread start-up)...
    assert often[4] - often[0] >= 0.8 * 4 * 0.1
    assert seldom[2] - seldom[0] >= 0.8 * 2 * 0.4
    # ...the speedup applies (without it, four intervals of `often` take 4 s)...
    assert often[4] - often[0] < 3.0
    # ...and each trigger keeps its own beat.
    assert len(app.lines("tick")) > len(app.lines("tock"))
    assert set(app.lines("tick")) == {"tick"}
    assert "timer 'often' (component 'tick') ran in" in running.stderr
    assert running.stop() == 0


def test_test_flag_runs_each_component_once_and_exits_0(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        timer("hourly", "tick", "3600")
        + timer("daily", "tock", "86400")
        + component("tick")
        + component("tock").replace('"tock.wasm"', '"tick.wasm"'),
        ["tick"],
    )
    result = app.run("--test")
    assert result.returncode == 0, result.stderr
    assert app.lines("tick") == ["tick"]
    assert app.lines("tock") == ["tick"]


def test_a_wasm_component_guest_runs_on_its_interval(
    tmp_path: Path, start_timer: Callable[..., RunningTimer]
) -> None:
    app = make_app(
        tmp_path,
        speedup("10") + timer("every", "tick-component", "1") + component("tick-component"),
        ["tick-component"],
    )
    running = start_timer(app)
    running.wait_for_state("READY=1")
    seen = times_of_new_lines(app, {"tick-component": 3})["tick-component"]
    assert seen[2] - seen[0] >= 0.8 * 2 * 0.1
    assert set(app.lines("tick-component")) == {"tick"}
    assert running.stop() == 0


def test_test_flag_exits_1_when_a_guest_fails(tmp_path: Path) -> None:
    app = make_app(tmp_path, timer("broken", "trap", "1") + component("trap"), ["trap"])
    result = app.run("--test")
    assert result.returncode == 1
    assert "timer 'broken' (component 'trap') failed" in result.stderr
    assert "Traceback" not in result.stderr


def completion_times(stderr: str, label: str) -> list[datetime]:
    """When the executor logged that `label` finished a run (its UTC log timestamps)."""
    return [
        datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
        for line in stderr.splitlines()
        if f"{label} ran in" in line
    ]


def test_a_run_still_going_is_not_doubled_up(
    tmp_path: Path, start_timer: Callable[..., RunningTimer]
) -> None:
    # The guest takes 1 s; the interval is 50 ms: most ticks find it still running.
    app = make_app(
        tmp_path, speedup("20") + timer("busy", "slow", "1") + component("slow"), ["slow"]
    )
    running = start_timer(app)
    label = "timer 'busy' (component 'slow')"
    wait_for(
        lambda: len(completion_times(running.stderr, label)) >= 3, timeout=30, what="3 slow runs"
    )

    assert f"{label}: tick skipped, the previous run is still going" in running.stderr
    # One run at a time: each ends at least the guest's 1 s after the one before (runs started
    # on every 50 ms tick would end 50 ms apart).
    ends = completion_times(running.stderr, label)
    assert all((later - earlier).total_seconds() >= 0.99 for earlier, later in pairwise(ends))
    assert running.stop() == 0
    lines = app.lines("slow")
    assert lines == ["start", "end"] * (len(lines) // 2)


def test_sigterm_lets_the_run_in_flight_finish_then_exits_0(
    tmp_path: Path, start_timer: Callable[..., RunningTimer]
) -> None:
    app = make_app(tmp_path, timer("hourly", "slow", "3600") + component("slow"), ["slow"])
    running = start_timer(app, SPIN_LOG_LEVEL="DEBUG")
    running.wait_for_state("READY=1")
    wait_for(lambda: "run starting" in running.stderr, timeout=30, what="the first run to start")

    running.process.send_signal(signal.SIGTERM)
    running.wait_for_state("STOPPING=1")
    assert running.process.wait(timeout=30) == 0
    # The run in flight was finished after SIGTERM, and no new one was started.
    stderr = running.stderr
    assert stderr.index("SIGTERM received") < stderr.index(
        "timer 'hourly' (component 'slow') ran in"
    )
    assert app.lines("slow") == ["start", "end"]


def test_a_run_past_the_grace_period_ends_at_its_deadline(
    tmp_path: Path, start_timer: Callable[..., RunningTimer]
) -> None:
    app = make_app(tmp_path, timer("hourly", "loop", "3600") + component("loop"), ["loop"])
    running = start_timer(
        app, "--wasm-timeout", "2", SPIN_LOG_LEVEL="DEBUG", SPIN_SHUTDOWN_GRACE="0.2"
    )
    running.wait_for_state("READY=1")
    wait_for(lambda: "run starting" in running.stderr, timeout=30, what="the first run to start")

    # The guest never returns: after the grace period the executor gives up waiting, and the
    # worker process running it is stopped instead of keeping the executor alive.
    assert running.stop() == 0
    assert "work still in flight after the 0.2s grace period" in running.stderr
    assert "ran in" not in running.stderr


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (
            timer("t1", "tick", "1").replace("interval_secs = 1\n", ""),
            "'t1' has no `interval_secs`",
        ),
        (timer("t1", "tick", '"5"'), "'t1': field `interval_secs` is '5'"),
        (timer("t1", "tick", "-2"), "'t1': field `interval_secs` is -2"),
        (speedup("0") + timer("t1", "tick", "1"), "`application.trigger.timer.speedup` is 0"),
        (speedup('"fast"') + timer("t1", "tick", "1"), "`application.trigger.timer.speedup`"),
    ],
)
def test_bad_timer_configuration_is_one_clear_error(
    tmp_path: Path, manifest: str, expected: str
) -> None:
    app = make_app(tmp_path, manifest + component("tick"), ["tick"])
    result = app.run()
    assert result.returncode == 1
    assert result.stderr.startswith("Error: "), result.stderr
    assert expected in result.stderr
    assert str(tmp_path / "spin.toml") in result.stderr
    assert "Traceback" not in result.stderr


def test_a_component_without_the_timer_export_is_refused(tmp_path: Path) -> None:
    app = make_app(
        tmp_path, timer("t1", "no-handler", "1") + component("no-handler"), ["no-handler"]
    )
    result = app.run()
    assert result.returncode == 1
    assert "'no-handler'" in result.stderr
    assert "does not export `handle-timer-request`" in result.stderr
    assert "Traceback" not in result.stderr


def test_launch_metadata_lists_the_timer_and_runtime_options() -> None:
    result = subprocess.run(
        [str(PROGRAM), "--launch-metadata-only"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    metadata = json.loads(result.stderr)
    flags = {flag["long"] for flag in metadata["all_flags"]}
    assert {"--test", "--wasm-timeout", "--log-dir", "--allow-transient-write"} <= flags
    assert metadata["sd_notify"] is True  # `spin up` waits for its READY=1
