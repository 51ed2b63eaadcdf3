"""The `spin-trigger-cron` program, run as `spin up` runs it: a child process given the app's
manifest in SPIN_MANIFEST_URL, guests built from `wat/cron.wat` (the plugin's world), real
signals, the real wall clock (expressions tick every second or two: no test waits minutes).
Guests write "cron <timestamp>" lines to stdout; the tests read their log files.

Like a third-party executor's tests, these use nothing of the root project but its programs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
import wasmtime
from spin_trigger_cron.schedule import CronClock, six_fields

WAT = Path(__file__).parent / "wat" / "cron.wat"
PROGRAM = Path(sys.executable).with_name("spin-trigger-cron")
MODES = {"ok": 0, "error": 1, "slow": 2}


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    """Poll `condition` until it is true, or fail at the deadline saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def guest_wasm(mode: str, export: str = "handle-cron-event") -> bytes:
    text = WAT.read_text().replace("(i32.const 0)) ;; MODE", f"(i32.const {MODES[mode]}))")
    lifted = '(func (export "handle-cron-event") (param "metadata"'
    text = text.replace(lifted, lifted.replace("handle-cron-event", export))
    return wasmtime.wat2wasm(text)


class CronApp:
    """An app in a temporary directory: `crons` maps a component id to (expression, mode)."""

    def __init__(self, directory: Path, crons: dict[str, tuple[str, str]], **guest: str) -> None:
        self.dir = directory
        manifest = 'spin_manifest_version = 2\n[application]\nname = "cron-test"\n'
        for component_id, (expression, mode) in crons.items():
            (directory / f"{component_id}.wasm").write_bytes(guest_wasm(mode, **guest))
            manifest += (
                f'[[trigger.cron]]\ncomponent = "{component_id}"\n'
                f'cron_expression = "{expression}"\n'
                f'[component.{component_id}]\nsource = "{component_id}.wasm"\n'
            )
        (directory / "spin.toml").write_text(manifest)
        self.stderr_path = directory / "executor.stderr"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY"))}
        env.update(SPIN_MANIFEST_URL=(self.dir / "spin.toml").as_uri(), SPIN_TRIGGER_TYPE="cron")
        return env

    def start(self) -> None:
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [str(PROGRAM), "--quiet", "--wasm-workers", "1", "-L", str(self.dir / "logs")],
                env=self.env(),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def run(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PROGRAM), "--quiet"], env=self.env(), capture_output=True, text=True, timeout=60
        )

    def lines(self, component_id: str) -> list[str]:
        path = self.dir / "logs" / f"{component_id}_stdout.txt"
        return path.read_text().splitlines() if path.exists() else []

    def timestamps(self, component_id: str) -> list[int]:
        return [
            int(line.split()[1]) for line in self.lines(component_id) if line.startswith("cron")
        ]

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def apps() -> Iterator[list[CronApp]]:
    started: list[CronApp] = []
    yield started
    for app in started:
        if app.process is not None and app.process.poll() is None:
            app.process.kill()
            app.process.wait()


def test_components_run_on_their_ticks_with_the_tick_timestamp(
    tmp_path: Path, apps: list[CronApp]
) -> None:
    app = CronApp(tmp_path, {"odd": ("1/2 * * * * *", "ok"), "fails": ("* * * * * *", "error")})
    apps.append(app)
    app.start()
    wait_for(lambda: len(app.timestamps("odd")) >= 3, timeout=30, what="three odd-second runs")

    odd = app.timestamps("odd")
    # "1/2" in the seconds field: seconds 1, 3, 5, ... 59, then 1 again (59 -> 1 is 2 s too).
    assert all(stamp % 2 == 1 for stamp in odd), odd
    assert all(later - earlier == 2 for earlier, later in pairwise(odd[:3])), odd
    # A guest that returns an error is logged each time; its schedule goes on.
    wait_for(lambda: app.stderr.count("returned error") >= 2, timeout=30, what="two failures")
    assert "cron 'fails-cron-trigger' (component 'fails') failed after" in app.stderr
    assert "handle-cron-event returned error" in app.stderr
    assert "cron 'odd-cron-trigger' (component 'odd') ran for tick" in app.stderr
    assert app.stop() == 0
    assert "Traceback" not in app.stderr


def test_a_run_still_going_at_the_next_tick_makes_it_skip(
    tmp_path: Path, apps: list[CronApp]
) -> None:
    # The guest spins for 1 s; the expression ticks every second: a tick comes mid-run.
    app = CronApp(tmp_path, {"slow": ("* * * * * *", "slow")})
    apps.append(app)
    app.start()
    wait_for(lambda: "tick skipped" in app.stderr, timeout=30, what="a skipped tick")
    wait_for(lambda: app.lines("slow").count("end") >= 2, timeout=30, what="two runs")
    assert app.stop() == 0
    lines = [line for line in app.lines("slow") if not line.startswith("cron")]
    # One run at a time: every "start" is followed by its "end" before the next "start".
    assert lines == ["start", "end"] * (len(lines) // 2)
    assert (
        "cron 'slow-cron-trigger' (component 'slow'): tick skipped, the previous run is "
        "still going" in app.stderr
    )


def test_ticks_missed_during_a_pause_are_not_replayed(tmp_path: Path, apps: list[CronApp]) -> None:
    app = CronApp(tmp_path, {"every": ("* * * * * *", "ok")})
    apps.append(app)
    app.start()
    assert app.process is not None
    wait_for(lambda: len(app.timestamps("every")) >= 1, timeout=30, what="a first run")

    app.process.send_signal(signal.SIGSTOP)  # held up for about 4 ticks
    time.sleep(4)  # the pause under test: nothing to poll for while the process is stopped
    before = len(app.timestamps("every"))
    app.process.send_signal(signal.SIGCONT)
    wait_for(
        lambda: "missed while the executor was held up" in app.stderr,
        timeout=30,
        what="the missed-ticks warning",
    )
    # One run for the latest tick due, not one per missed tick (a burst would add 4 at once).
    wait_for(lambda: len(app.timestamps("every")) > before, timeout=30, what="the catch-up run")
    time.sleep(0.5)  # a burst would have landed by now; the next regular tick is ~1 s away
    stamps = app.timestamps("every")
    assert len(stamps) - before <= 2, stamps
    assert stamps[before] >= stamps[before - 1] + 3, stamps  # the latest tick, not the first
    assert app.stop() == 0


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("*/5 * * * *", "field `cron_expression` is '*/5 * * * *'; it must be six cron fields"),
        ("1/2 * * * * * *", "it must be six cron fields, seconds first"),
        ("61 * * * * *", "field `cron_expression` is '61 * * * * *'"),
        ("every minute", "field `cron_expression` is 'every minute'"),
    ],
)
def test_a_bad_expression_is_one_clear_error(
    tmp_path: Path, expression: str, expected: str
) -> None:
    result = CronApp(tmp_path, {"c": (expression, "ok")}).run()
    assert result.returncode == 1
    assert result.stderr.startswith("Error: "), result.stderr
    assert expected in result.stderr
    assert 'e.g. `cron_expression = "1/2 * * * * *"`' in result.stderr
    assert "Traceback" not in result.stderr


def test_a_component_without_the_cron_export_is_refused(tmp_path: Path) -> None:
    app = CronApp(tmp_path, {"other": ("* * * * * *", "ok")}, export="handle-other")
    result = app.run()
    assert result.returncode == 1
    assert "does not export `handle-cron-event`" in result.stderr
    assert "fermyon:spin-cron/spin-cron@2.0.0" in result.stderr
    assert "Traceback" not in result.stderr


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_croniter_reads_expressions_as_the_plugin_does() -> None:
    # Seconds first: "1/2" starts at second 1.
    assert CronClock("1/2 * * * * *").next_after(at("2026-01-01T00:00:00")) == at(
        "2026-01-01T00:00:01"
    )
    # Day of month AND day of week (croner's `with_dom_and_dow`, as tokio-cron-scheduler sets
    # it): the first Monday that is a 1st after 2026-01-01 is 1 June 2026.
    assert CronClock("0 0 0 1 * MON").next_after(at("2026-01-01T00:00:00")) == at(
        "2026-06-01T00:00:00"
    )
    # Sunday is 0 or 7 (2026-01-04 is a Sunday); UTC throughout.
    for sunday in ("0", "7", "SUN"):
        assert CronClock(f"0 30 12 * * {sunday}").next_after(at("2026-01-01T00:00:00")) == at(
            "2026-01-04T12:30:00"
        )
    assert not six_fields("* * * * *")  # the plugin requires the seconds field
    clock = CronClock("* * * * * *")
    latest, missed, upcoming = clock.catch_up(
        at("2026-01-01T00:00:01"), at("2026-01-01T00:00:05.5")
    )
    assert (latest, missed, upcoming) == (at("2026-01-01T00:00:05"), 4, at("2026-01-01T00:00:06"))


def test_launch_metadata_lists_the_runtime_options() -> None:
    result = subprocess.run(
        [str(PROGRAM), "--launch-metadata-only"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    flags = {flag["long"] for flag in json.loads(result.stderr)["all_flags"]}
    assert {"--wasm-timeout", "--wasm-workers", "--log-dir"} <= flags
