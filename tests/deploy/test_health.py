"""Probes for every executor (`--health-listen`, `--health-file`): ready exactly while the
executor has told its supervisor READY=1 and not yet STOPPING=1, alive while it answers.

The Redis executor is checked against a real redis-server that the test freezes (SIGSTOP) while
the executor subscribes, so "not ready until subscribed" is seen, not assumed; the external
`spin-trigger-timer` gets the probes from the shared `spin.trigger` start-up, with no code of
its own, started as a pod would start it (`spin up --trigger-type timer --exec`).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path

import httpx
import psutil
import pytest
import redis

from spin.trigger.health import Health
from tests.executors.redis.test_executor import Executor, RedisApp
from tests.support import RedisServer, RunningExecutor, free_port, run_spin, wait_for


def probe(port: int, path: str) -> int:
    """The status of GET path, or 0 when nothing answers."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code
    except httpx.TransportError:
        return 0


def connected_to(pid: int, port: int) -> bool:
    """True once the process has an established TCP connection to `port`."""
    return any(
        conn.raddr and conn.raddr.port == port and conn.status == psutil.CONN_ESTABLISHED
        for conn in psutil.Process(pid).net_connections("tcp")
    )


def guest_cpu(pid: int) -> float:
    """CPU seconds used by the executor's guest workers so far."""
    total = 0.0
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # a worker that just exited
            total += child.cpu_times().user
    return total


def test_the_redis_executor_is_ready_only_once_subscribed_and_not_while_draining(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("jobs", "slow")
    port, ready_file = free_port(), tmp_path / "probe" / "ready"
    frozen = psutil.Process(redis_server.process.pid)
    frozen.suspend()  # accepts the connection (the kernel does), answers nothing
    health = ["--health-listen", f"127.0.0.1:{port}", "--health-file", str(ready_file)]
    executor = Executor(app, *health)
    try:
        wait_for(lambda: probe(port, "/live") == 200, what="the liveness probe")
        wait_for(
            lambda: connected_to(executor.process.pid, redis_server.port),
            what="the executor's connection to the frozen redis-server",
        )
        assert probe(port, "/ready") == 503 and not ready_file.exists()
        frozen.resume()
        wait_for(lambda: probe(port, "/ready") == 200, what="the readiness probe")
        client = redis.Redis(port=redis_server.port)
        assert dict(client.pubsub_numsub("jobs"))[b"jobs"] == 1
        assert ready_file.read_text() == "ready\n"
        executor.wait_ready()  # READY=1 was sent to the supervisor's socket too

        before = guest_cpu(executor.process.pid)
        client.publish("jobs", "in flight")
        wait_for(
            lambda: guest_cpu(executor.process.pid) > before + 0.3,
            what="the slow guest running",
        )
        executor.process.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in executor.notification()
        assert probe(port, "/ready") == 503 and probe(port, "/live") == 200
        assert not ready_file.exists()
        assert executor.wait_exit() == 0
        assert "in flight" in executor.guest_stdout("slow")  # drained, not dropped
        assert probe(port, "/live") == 0  # gone with the executor
    finally:
        if frozen.is_running():
            frozen.resume()
        executor.close()


def test_an_external_executor_gets_the_probes_without_code_of_its_own(
    demo: Path, demo_env: dict[str, str], tmp_path: Path
) -> None:
    port, ready_file = free_port(), tmp_path / "ready"
    command = [sys.executable, "-m", "spin", "up", "-f", str(demo), "--trigger-type", "timer"]
    health = ["--health-listen", f"127.0.0.1:{port}", "--health-file", str(ready_file)]
    timer = RunningExecutor([*command, "--exec", *health], tmp_path, env=demo_env, name="timer")
    try:
        timer.wait_ready()
        assert probe(port, "/ready") == 200 and probe(port, "/live") == 200
        assert probe(port, "/other") == 404
        assert ready_file.exists()
        assert timer.stop() == 0
        assert not ready_file.exists()
    finally:
        timer.close()


def test_a_bad_probe_address_is_a_clear_error(
    demo: Path, demo_env: dict[str, str], tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "spin", "up", "-f", str(demo), "--trigger-type", "timer"]
    timer = RunningExecutor(
        [*command, "--exec", "--health-listen", "8081"], tmp_path, env=demo_env, name="timer"
    )
    assert timer.wait_exit() == 1
    assert "--health-listen '8081' is not HOST:PORT" in timer.stderr()
    assert "Traceback" not in timer.stderr()


@pytest.mark.parametrize("option", ["--health-listen=127.0.0.1:8081", "--health-file=ready"])
def test_a_probe_given_to_several_executors_is_refused_before_any_starts(
    demo: Path, demo_env: dict[str, str], option: str
) -> None:
    """One port or file for the demo's three executors: refused by spin up itself, naming the
    executors and --trigger-type, before any executor binds or writes anything."""
    result = run_spin("up", "-f", str(demo), option, cwd=demo.parent, env=demo_env)
    assert result.returncode == 2, result.stderr
    flag = option.partition("=")[0]
    assert f"{flag} would go to 3 executors (http, timer, redis)" in result.stderr
    assert "--trigger-type TYPE" in result.stderr and "Traceback" not in result.stderr
    assert "starting" not in result.stderr  # no executor was started


def test_an_executor_stopped_while_starting_never_reports_ready(tmp_path: Path) -> None:
    """SIGTERM during start-up, then the executor's notify_ready() (seen with Redis): the
    probes stay not ready."""
    health = Health(tmp_path / "ready")
    health.set_not_ready()
    health.set_ready()
    assert health.answer("/ready")[0] == 503 and not (tmp_path / "ready").exists()
    assert health.answer("/live")[0] == 200
