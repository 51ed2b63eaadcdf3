"""The shared trigger library, exercised through a real executor process and real signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spin.locked import write_lock
from tests.support import REPO_ROOT, TESTS_DIR, RunningExecutor

SLEEPY = TESTS_DIR / "fixtures" / "trigger" / "sleepy_trigger.py"
REPO = REPO_ROOT


def minimal_lock(app_dir: Path) -> dict:
    return {
        "spin_lock_version": 1,
        "metadata": {
            "name": "sleepy-app",
            "origin": (app_dir / "spin.toml").as_uri(),
            "triggers": {"sleepy": {}},
        },
        "variables": {},
        "triggers": [
            {"id": "t1", "trigger_type": "sleepy", "trigger_config": {"component": "sleeper"}},
            {"id": "t2", "trigger_type": "other", "trigger_config": {"component": "sleeper"}},
        ],
        "components": [],
    }


StartSleepy = Callable[..., RunningExecutor]


@pytest.fixture
def start_sleepy(tmp_path: Path) -> Iterator[StartSleepy]:
    """Start the sleepy executor on a minimal app: `start_sleepy(*args, env={...})`."""
    started: list[RunningExecutor] = []

    def start(*args: str, env: dict[str, str] | None = None) -> RunningExecutor:
        lock = write_lock(minimal_lock(tmp_path), tmp_path / "work")
        executor = RunningExecutor(
            [sys.executable, str(SLEEPY), *args],
            tmp_path,
            env={
                "PYTHONPATH": str(REPO),
                "SPIN_LOCKED_URL": lock.as_uri(),
                "SPIN_TRIGGER_TYPE": "sleepy",
                **(env or {}),
            },
        )
        started.append(executor)
        return executor

    yield start
    for executor in started:
        executor.close()


def test_launch_metadata_lists_common_and_own_flags(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SLEEPY), "--launch-metadata-only"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    flags = json.loads(result.stderr)["all_flags"]
    assert {"short": "-L", "long": "--log-dir"} in flags
    assert {"short": None, "long": "--follow"} in flags
    assert {"short": None, "long": "--greeting"} in flags
    assert all(f["long"] != "--launch-metadata-only" for f in flags)


def test_ready_then_graceful_stop_on_sigterm(tmp_path: Path, start_sleepy: StartSleepy) -> None:
    executor = start_sleepy("--greeting", "hi", "-L", str(tmp_path / "logs"))
    assert executor.notification() == "READY=1"
    record = json.loads((tmp_path / "logs" / "sleeper_stdout.txt").read_text())
    assert record == {
        "greeting": "hi",
        "triggers": ["t1"],  # only this executor's type
        "quiet": False,
        "log_dir": str(tmp_path / "logs"),
    }
    executor.process.send_signal(signal.SIGTERM)
    assert executor.notification() == "STOPPING=1"
    assert executor.wait_exit(timeout=20) == 0
    assert "SIGTERM received: draining" in executor.stderr()


def test_work_in_flight_is_cancelled_after_the_grace_period(start_sleepy: StartSleepy) -> None:
    executor = start_sleepy(env={"SLEEPY_DRAIN": "forever", "SPIN_SHUTDOWN_GRACE": "0.3"})
    assert executor.notification() == "READY=1"
    executor.process.send_signal(signal.SIGINT)
    started = time.monotonic()
    assert executor.wait_exit(timeout=20) == 0
    assert time.monotonic() - started >= 0.3
    assert "after the 0.3s grace period" in executor.stderr()


def test_a_second_signal_stops_at_once(start_sleepy: StartSleepy) -> None:
    executor = start_sleepy(env={"SLEEPY_DRAIN": "forever"})
    assert executor.notification() == "READY=1"
    executor.process.send_signal(signal.SIGTERM)
    assert executor.notification() == "STOPPING=1"
    executor.process.send_signal(signal.SIGTERM)
    assert executor.wait_exit(timeout=5) == 0  # the default grace period is 10 s
    assert "SIGTERM again: stopping now" in executor.stderr()


def test_exit_code_of_run_is_the_process_exit_code(start_sleepy: StartSleepy) -> None:
    executor = start_sleepy(env={"SLEEPY_EXIT": "3"})
    assert executor.notification() == "READY=1"
    executor.process.send_signal(signal.SIGTERM)
    assert executor.wait_exit(timeout=20) == 3


def test_without_an_app_the_executor_explains_itself(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIN_")}
    result = subprocess.run(
        [sys.executable, str(SLEEPY)],
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "SPIN_LOCKED_URL or SPIN_MANIFEST_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_quiet_and_follow_decide_what_is_echoed(tmp_path: Path) -> None:
    from spin.locked import LockedApp
    from spin.trigger import CommonOptions, TriggerContext

    def context(**options: object) -> TriggerContext:
        return TriggerContext(
            trigger_type="sleepy",
            app=LockedApp(minimal_lock(tmp_path)),
            app_dir=tmp_path,
            working_dir=tmp_path,
            options=CommonOptions(**options),  # type: ignore[arg-type]
            grace_period=1,
        )

    assert context().component_logs("a").echo
    assert not context(quiet=True).component_logs("a").echo
    followed = context(follow=("b",))
    assert not followed.component_logs("a").echo
    assert followed.component_logs("b").echo
    assert followed.component_logs("b").stdout_path == tmp_path / ".spin" / "logs" / "b_stdout.txt"


def test_log_dir_empty_turns_log_files_off_as_in_spin(
    tmp_path: Path, start_sleepy: StartSleepy
) -> None:
    executor = start_sleepy("-L", "")
    assert executor.notification() == "READY=1"
    assert '"log_dir": "None"' in executor.stdout()  # echoed on the console only
    assert not list(tmp_path.rglob("*_stdout.txt"))
    executor.process.send_signal(signal.SIGTERM)
    assert executor.wait_exit(timeout=20) == 0


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--quiet", "--follow", "a"], {}, "--follow cannot be used with --quiet"),
        (["--follow", "a", "--shush"], {}, "--quiet cannot be used with --follow"),
        (["--disable-cache", "--cache", "c.toml"], {}, "--cache cannot be used with"),
        (["--cache", "c.toml"], {"DISABLE_WASMTIME_CACHE": "1"}, "cannot be used with"),
    ],
)
def test_spins_conflicting_options_are_usage_errors(
    start_sleepy: StartSleepy, args: list[str], env: dict[str, str], message: str
) -> None:
    executor = start_sleepy(*args, env=env)
    assert executor.wait_exit(timeout=30) == 2
    assert message in executor.stderr()


def test_spins_option_aliases_and_environment_variables(tmp_path: Path) -> None:
    from spin.trigger.executor import executor_command
    from tests.fixtures.trigger.sleepy_trigger import SleepyTrigger

    command = executor_command(SleepyTrigger)
    names = {opt for param in command.params for opt in param.opts}
    assert {"--sh", "--shush", "-q", "--quiet"} <= names
    envvars = {str(param.name): param.envvar for param in command.params}
    assert "RUNTIME_CONFIG_FILE" in envvars["runtime_config_file"]
    assert "DISABLE_WASMTIME_CACHE" in envvars["disable_cache"]
    assert "WASMTIME_CACHE_FILE" in envvars["cache"]


def test_unexpected_errors_show_no_traceback_unless_debugging(tmp_path: Path) -> None:
    lock = write_lock(minimal_lock(tmp_path), tmp_path / "work")
    lock.write_text("{not json")
    base = {**os.environ, "PYTHONPATH": str(REPO), "SPIN_LOCKED_URL": lock.as_uri()}
    quiet = subprocess.run(
        [sys.executable, str(SLEEPY)], env=base, capture_output=True, text=True, timeout=60
    )
    assert quiet.returncode == 1
    assert "Cannot read the locked app" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    debug = subprocess.run(
        [sys.executable, str(SLEEPY)],
        env={**base, "SPIN_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_key_value_and_sqlite_options_seed_the_apps_store_and_database_before_ready(
    tmp_path: Path, start_sleepy: StartSleepy
) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (x); INSERT INTO t VALUES (41);")
    executor = start_sleepy(
        "--key-value",
        "motd=hello",
        "--sqlite",
        f"@{tmp_path / 'schema.sql'}",
        "--sqlite",
        "INSERT INTO t VALUES (42)",
    )
    assert executor.notification() == "READY=1"
    executor.process.send_signal(signal.SIGTERM)
    assert executor.wait_exit(timeout=20) == 0
    state = tmp_path / ".spin"
    kv = sqlite3.connect(state / "sqlite_key_value.db").execute(
        "SELECT store, key, value FROM spin_key_value"
    )
    assert kv.fetchall() == [("default", "motd", b"hello")]
    rows = sqlite3.connect(state / "sqlite_db.db").execute("SELECT x FROM t").fetchall()
    assert rows == [(41,), (42,)]


def test_a_bad_runtime_config_file_stops_the_executor_before_ready(
    tmp_path: Path, start_sleepy: StartSleepy
) -> None:
    config = tmp_path / "runtime-config.toml"
    config.write_text('[key_value_store.cache]\ntype = "dynamo"\n')
    executor = start_sleepy("--runtime-config-file", str(config))
    assert executor.wait_exit(timeout=20) == 1
    stderr = executor.stderr()
    assert f"{config}: `key_value_store.cache.type` is 'dynamo'" in stderr
    assert "Traceback" not in stderr
