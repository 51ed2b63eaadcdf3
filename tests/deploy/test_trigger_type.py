"""`spin up --trigger-type TYPE`: one slice of a multi-trigger app, as a pod runs it, with the
real executors (HTTP and Redis internal, the timer the external `spin-trigger-timer`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import redis

from tests.support import RedisServer, RunningExecutor, free_port, run_spin, wait_for


def spin_up(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_spin("up", *args, cwd=cwd, env=env)


def subscribers(server: RedisServer, channel: str) -> int:
    client = redis.Redis(port=server.port)
    try:
        return int(dict(client.pubsub_numsub(channel))[channel.encode()])
    finally:
        client.close()


def test_one_type_with_exec_replaces_spin_up_with_that_executor(
    demo: Path, demo_env: dict[str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "spin", "up", "-f", str(demo), "--trigger-type", "redis"]
    executor = RunningExecutor([*command, "--exec"], tmp_path, env=demo_env, name="redis")
    try:
        executor.wait_ready()
        # same PID, now the Redis executor (its process title says so); it subscribed
        assert psutil.Process(executor.process.pid).cmdline()[0] == "spin redis executor"
        assert subscribers(redis_server, "messages") == 1
        redis.Redis(port=redis_server.port).publish("messages", "one slice")
        echo_log = demo.parent / ".spin" / "logs" / "echo_stdout.txt"
        wait_for(
            lambda: echo_log.exists() and "one slice" in echo_log.read_text(),
            what="the echo component's output",
        )
        assert executor.stop() == 0
    finally:
        executor.close()


def test_several_types_run_only_those_executors(
    demo: Path, demo_env: dict[str, str], redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    listen = ["--listen", f"127.0.0.1:{port}"]
    command = [sys.executable, "-m", "spin", "up", "-f", str(demo), *listen]
    selected = ["--trigger-type", "http", "--trigger-type", "timer"]
    up = RunningExecutor([*command, *selected], tmp_path, env=demo_env, name="spin-up")
    try:
        up.wait_ready()  # spin up says READY=1 once every executor it runs is ready
        assert httpx.get(f"http://127.0.0.1:{port}/.well-known/spin/health").status_code == 200
        tick_log = demo.parent / ".spin" / "logs" / "ticker_stdout.txt"
        wait_for(tick_log.exists, what="the timer component's first tick")
        children = psutil.Process(up.process.pid).children()
        titles = sorted(child.cmdline()[0] for child in children)
        executors = [title for title in titles if title.endswith(" executor")]
        assert executors == ["spin http executor", "spin timer executor"], titles
        assert subscribers(redis_server, "messages") == 0  # no Redis executor
        assert up.stop() == 0
    finally:
        up.close()


def test_an_unknown_type_is_refused_with_the_apps_types(
    demo: Path, demo_env: dict[str, str]
) -> None:
    result = spin_up("-f", str(demo), "--trigger-type", "mqtt", env=demo_env, cwd=demo.parent)
    assert result.returncode == 1
    assert f"--trigger-type mqtt: the application {demo} has no [[trigger.mqtt]]" in result.stderr
    assert "its trigger types are http, timer, redis" in result.stderr
    assert "Traceback" not in result.stderr


def test_exec_needs_the_selection_to_be_one_type(demo: Path, demo_env: dict[str, str]) -> None:
    two = ["--trigger-type", "http", "--trigger-type", "redis"]
    result = spin_up("-f", str(demo), *two, "--exec", env=demo_env, cwd=demo.parent)
    assert result.returncode == 1
    assert "has 2: http, redis" in result.stderr and "--trigger-type TYPE" in result.stderr
