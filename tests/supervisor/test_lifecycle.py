"""The supervisor with fake executors: restarts carried out (waits, exit codes), stop, kill, no
orphans. Which decision follows an exit is tested without processes in test_restart_policy.py."""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.fixtures.supervisor.harness import Supervised, pid_alive
from tests.support import wait_for


def test_crash_loop_backs_off_then_gives_up_with_the_childs_exit_code(sup: Supervised) -> None:
    sup.start(
        [sup.executor("web", exit_code=3, exit_after=0.5), sup.executor("queue")],
        settings={"restart": "on-failure", "max_restarts": 3, "restart_window": 60},
    )
    assert sup.wait_exit() == 3
    starts = [r["t"] for r in sup.events("start", "web")]
    assert len(starts) == 4  # the first run and 3 restarts
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # each run lasts 0.5 s (ready, then a crash); the first restart is immediate, then 0.1 s and
    # 0.2 s (minus at most 25 % jitter)
    assert gaps[1] >= 0.575 and gaps[2] >= 0.65
    log = sup.log()
    # The waits decided (the gaps above also hold process start-up, which load stretches).
    delays = [float(part.split("=")[1]) for part in log.split() if part.startswith("delay=")]
    assert delays[0] == 0.0 and 0.075 <= delays[1] < delays[2] <= 0.2
    assert "restarting attempt=1 delay=0.0" in log
    assert "giving-up code=3" in log and "3 restarts within 60s" in log
    assert sup.events("term", "queue"), "the other executor was stopped gracefully"


def test_an_executor_that_exits_before_ready_stops_the_app_at_once(sup: Supervised) -> None:
    """A start failure is not a crash: no restart, whatever the policy; the others stop; exit 1;
    the executor's own error is repeated last, after the supervisor's stop log."""
    sup.start(
        [
            sup.executor("web", notify=False, exit_code=2, error="Error: port 3000 is in use."),
            sup.executor("queue"),
        ],
        settings={"restart": "always", "max_restarts": 5},
    )
    assert sup.wait_exit() == 1
    assert len(sup.events("start", "web")) == 1
    assert sup.events("term", "queue"), "the other executor was stopped gracefully"
    log = sup.log()
    assert "start-failed" in log and "restarting" not in log
    assert log.rstrip().splitlines()[-1] == "  Error: port 3000 is in use."


def test_never_policy_terminates_like_spin(sup: Supervised) -> None:
    sup.start(
        [sup.executor("web", exit_code=2, exit_after=0.2), sup.executor("queue")],
        settings={"restart": "never"},
    )
    assert sup.wait_exit() == 2
    assert "A trigger exited unexpectedly. Terminating." in sup.log()
    assert len(sup.events("start", "web")) == 1
    assert sup.events("term", "queue")


def test_an_executor_exiting_0_ends_while_the_others_go_on(sup: Supervised) -> None:
    sup.start([sup.executor("once", exit_code=0, exit_after=0.2), sup.executor("queue")])
    sup.wait_log("once[")
    sup.wait_log("ended")
    assert sup.process is not None and sup.process.poll() is None
    assert len(sup.events("start", "once")) == 1
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0


def test_sigkilled_child_is_restarted_at_once(sup: Supervised) -> None:
    sup.start([sup.executor("web"), sup.executor("queue")])
    first = sup.wait_events("start", 1, "web")[0]
    sup.wait_log("ready")
    killed_at = time.monotonic()
    os.kill(first["pid"], signal.SIGKILL)
    second = sup.wait_events("start", 2, "web")[1]
    assert second["pid"] != first["pid"]
    assert second["t"] - killed_at < 2.0  # immediate; generous for a loaded machine
    assert "exited signal=SIGKILL" in sup.log()
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0


def test_sigterm_stops_every_executor_and_exits_0(sup: Supervised) -> None:
    sup.start([sup.executor("web"), sup.executor("queue"), sup.executor("timer")])
    started = sup.wait_events("start", 3)
    sup.wait_log("supervisor[", timeout=5)
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    assert {r["trigger"] for r in sup.events("term")} == {"web", "queue", "timer"}
    assert not any(pid_alive(r["pid"]) for r in started)
    log = sup.log()
    assert log.count("stopped") >= 4 and 'stopping reason="SIGTERM received"' in log


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGQUIT])
def test_sigint_and_sigquit_stop_gracefully(sup: Supervised, signum: int) -> None:
    sup.start([sup.executor("web")])
    sup.wait_events("start", 1)
    sup.signal(signum)
    assert sup.wait_exit() == 0
    assert sup.events("term", "web")


def test_a_stubborn_executor_is_killed_after_the_shutdown_timeout(sup: Supervised) -> None:
    sup.start(
        [sup.executor("stuck", ignore_term=True), sup.executor("web")],
        settings={"shutdown_timeout": 0.5},
    )
    started = sup.wait_events("start", 2)
    sup.wait_log("ready")
    asked = time.monotonic()
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    took = time.monotonic() - asked
    assert took >= 0.5
    assert "killed" in sup.log() and "still running 0.5s after SIGTERM" in sup.log()
    assert not any(pid_alive(r["pid"]) for r in started)
    assert "grace=0.45" in sup.output()  # SPIN_SHUTDOWN_GRACE is a bit below the timeout


def test_a_second_signal_kills_at_once(sup: Supervised) -> None:
    sup.start([sup.executor("stuck", ignore_term=True)], settings={"shutdown_timeout": 60})
    stuck = sup.wait_events("start", 1)[0]
    sup.wait_log("ready")
    sup.signal(signal.SIGINT)
    sup.wait_log("stopping")
    sup.signal(signal.SIGINT)
    assert sup.wait_exit(timeout=10) == 0
    assert not pid_alive(stuck["pid"])
    assert "SIGINT again" in sup.log()


@pytest.mark.parametrize("where", ["group", "session"])
def test_grandchildren_are_killed_on_stop(sup: Supervised, where: str) -> None:
    sup.start([sup.executor("web", grandchild=where)], settings={"shutdown_timeout": 1})
    grandchild = sup.wait_events("grandchild", 1)[0]
    sup.wait_log("ready")
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    assert not pid_alive(grandchild["pid"])


def test_grandchildren_of_a_crashed_executor_are_killed_before_the_restart(
    sup: Supervised,
) -> None:
    sup.start(
        [sup.executor("web", grandchild="group", exit_code=1, exit_after=0.3)],
        settings={"max_restarts": 1},
    )
    assert sup.wait_exit() == 1
    for record in sup.events("grandchild"):
        assert not pid_alive(record["pid"])


def test_no_orphans_when_the_supervisor_is_sigkilled(sup: Supervised) -> None:
    sup.start(
        [
            sup.executor("web", grandchild="session"),
            sup.executor("queue", grandchild="group"),
            sup.executor("timer"),
        ]
    )
    sup.wait_events("grandchild", 2)
    sup.wait_events("start", 3)
    sup.wait_log("supervisor[")
    pids = sup.all_pids()
    assert len(pids) == 5
    # The guard says what it is in `ps` (not a second `spin up`, nor a bare `sh`).
    assert [p.cmdline()[0] for p in psutil.Process(sup.process.pid).children()].count(
        "spin up: orphan guard"
    ) == 1
    # the supervisor's private directory (the executors' notify sockets), the guard removes it
    private_dirs = Path(os.environ.get("TMPDIR") or "/tmp").glob(f"spin-up-{sup.process.pid}-*")
    private_dir = next(private_dirs)
    sup.signal(signal.SIGKILL)
    sup.wait_exit()
    wait_for(
        lambda: not any(pid_alive(pid) for pid in pids),
        timeout=1.5,
        what="every executor and grandchild to be gone after the supervisor's SIGKILL",
    )
    wait_for(lambda: not private_dir.exists(), timeout=1.5, what="the private directory removed")
