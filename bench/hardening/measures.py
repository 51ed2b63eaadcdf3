"""The four measurements of `run.py`, each against one subject (an environment that selects the
code under test); each returns the text of its table cell."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import psutil
import redis

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.locked import lock_app, write_lock  # noqa: E402
from spin.manifest import load_manifest  # noqa: E402
from tests.executors.http.test_availability import MANIFEST as HTTP_MANIFEST  # noqa: E402
from tests.support import RedisServer, free_port, wait_for, wat_to_wasm  # noqa: E402

WAT = REPO / "tests" / "wat"
HTTP_COMMAND = (sys.executable, "-m", "spin", "trigger", "http")
REDIS_COMMAND = (sys.executable, "-m", "spin", "trigger", "redis", "--quiet")
MIB = 1024 * 1024
DEADLINE = 180.0

TITLES = {
    "body": "peak RSS growth, one POST (executor / worker)",
    "slow": "/hello while 2 slow calls run (req/s, p99)",
    "abandoned": "next answer after 10 abandoned slow calls",
    "redis": "60k x 1 KB burst handled",
}


def run(name: str, work: Path, env: dict[str, str], after: bool, args: argparse.Namespace) -> str:
    work.mkdir(parents=True)
    measure: Callable[[Path, dict[str, str], bool, argparse.Namespace], str] = {
        "body": body_rss,
        "slow": slow_route,
        "abandoned": abandoned_calls,
        "redis": redis_burst,
    }[name]
    return measure(work, env, after, args)


# -- HTTP ----------------------------------------------------------------------------------


def http_app(work: Path) -> Path:
    for name in ("http_spin1_loop", "spin1_http_hello"):
        wat_to_wasm(WAT / f"{name}.wat", work)
    (work / "spin.toml").write_text(HTTP_MANIFEST)
    return write_lock(lock_app(load_manifest(work / "spin.toml"), assets_dir=None), work)


@contextmanager
def http_executor(work: Path, env: dict[str, str], *options: str) -> Iterator[str]:
    lock = http_app(work)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (work / "executor.err").open("wb") as err:
        process = subprocess.Popen(
            [*HTTP_COMMAND, "--listen", f"127.0.0.1:{port}", *options],
            env={**os.environ, **env, "SPIN_LOCKED_URL": lock.as_uri()},
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        wait_for(lambda: _answers(url, process), timeout=60, what=f"{url} to answer")
        process.url = url  # type: ignore[attr-defined]
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"the executor exited with {process.returncode}")
    try:
        return httpx.get(f"{url}/hello", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _executor_pid(port_url: str) -> psutil.Process:
    port = int(port_url.rsplit(":", 1)[1])
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return psutil.Process(connection.pid)
    raise RuntimeError(f"no process listens on {port_url}")


def _peak(process: psutil.Process) -> int:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def body_rss(work: Path, env: dict[str, str], after: bool, args: argparse.Namespace) -> str:
    size = args.body_mib * MIB
    limits = ["--max-body-size", f"{args.body_mib + 1}M", "--wasm-workers-max", "1"]
    options = ["--wasm-workers", "1"] + limits * after
    with http_executor(work, env, *options) as url:
        main = _executor_pid(url)
        (worker,) = main.children()
        before = {p.pid: p.memory_info().rss for p in (main, worker)}
        response = httpx.post(f"{url}/hello", content=b"z" * size, timeout=DEADLINE)
        growth = [(_peak(p) - before[p.pid]) / MIB for p in (main, worker)]
    status = "" if response.status_code == 200 else f" (status {response.status_code})"
    return (
        f"{growth[0]:.0f} / {growth[1]:.0f} MiB ({growth[0] / args.body_mib:.1f}x / "
        f"{growth[1] / args.body_mib:.1f}x of {args.body_mib} MiB){status}"
    )


def _slow_calls(url: str, count: int, timeout: float) -> list[threading.Thread]:
    def call() -> None:
        with suppress(httpx.HTTPError):
            httpx.get(f"{url}/loop", timeout=timeout)

    threads = [threading.Thread(target=call, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def slow_route(work: Path, env: dict[str, str], after: bool, args: argparse.Namespace) -> str:
    # A 10 s deadline: the slow calls outlast the measurement window.
    options = ["--wasm-workers", "2", "--wasm-timeout", "10"]
    with http_executor(work, env, *options) as url:
        _slow_calls(url, 2, 30)
        time.sleep(0.5)  # let both reach a worker (a pause of the load generator, not a wait)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        stop = time.monotonic() + args.duration

        def load() -> None:
            with httpx.Client(timeout=30) as client:
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    try:
                        status = client.get(f"{url}/hello").status_code
                    except httpx.HTTPError:
                        status = 0
                    latencies.append(time.perf_counter() - started)
                    statuses[status] = statuses.get(status, 0) + 1

        started = time.monotonic()
        threads = [threading.Thread(target=load) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE)
        elapsed = time.monotonic() - started
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
    return (
        f"{len(latencies) / elapsed:.0f} req/s, p99 {p99 * 1000:.1f} ms "
        f"({len(latencies)} answers: {statuses})"
    )


def abandoned_calls(work: Path, env: dict[str, str], after: bool, args: argparse.Namespace) -> str:
    options = ["--wasm-workers", "2", "--wasm-timeout", "2"]
    with http_executor(work, env, *options) as url:
        for _ in range(10):
            with suppress(httpx.TimeoutException):
                httpx.get(f"{url}/loop", timeout=0.3)
        started = time.perf_counter()
        response = httpx.get(f"{url}/hello", timeout=DEADLINE)
        waited = time.perf_counter() - started
    return f"{waited * 1000:.0f} ms (status {response.status_code})"


# -- Redis ---------------------------------------------------------------------------------


def redis_burst(work: Path, env: dict[str, str], after: bool, args: argparse.Namespace) -> str:
    server = RedisServer(work)
    server.start()
    try:
        return _burst(work, env, server, args.messages)
    finally:
        server.stop()


def _burst(work: Path, env: dict[str, str], server: RedisServer, messages: int) -> str:
    wasm = wat_to_wasm(WAT / "spin1_redis_log.wat", work)
    (work / "spin.toml").write_text(
        'spin_manifest_version = 2\n[application]\nname = "burst"\n'
        f"[application.trigger.redis]\naddress = {json.dumps(server.url)}\n"
        '[[trigger.redis]]\nchannel = "burst"\ncomponent = "logger"\n'
        f"[component.logger]\nsource = {json.dumps(wasm.name)}\n"
    )
    lock = write_lock(lock_app(load_manifest(work / "spin.toml"), assets_dir=None), work)
    log_file = work / "state" / "logs" / "logger_stdout.txt"
    with (work / "executor.err").open("wb") as err:
        process = subprocess.Popen(
            [*REDIS_COMMAND, "--state-dir", str(work / "state"), "--wasm-workers", "2"],
            env={**os.environ, **env, "SPIN_LOCKED_URL": lock.as_uri()},
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        assert process.stdout is not None
        wait_for(lambda: b"burst" in process.stdout.readline(), timeout=60, what="subscribed")
        payload = b"x" * 1023  # and the newline the guest prints: 1 KB a message
        client = redis.Redis.from_url(server.url)
        started = time.monotonic()
        for start in range(0, messages, 1000):
            pipe = client.pipeline(transaction=False)
            for _ in range(start, min(start + 1000, messages)):
                pipe.publish("burst", payload)
            pipe.execute()
        published = time.monotonic() - started
        handled = _settled_count(log_file)
        elapsed = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=60)
    dropped = "lost the connection" in (work / "executor.err").read_text()
    return (
        f"{handled / messages:.0%} ({handled} of {messages}; published in {published:.1f} s, "
        f"{handled / elapsed:.0f} msg/s; {'dropped by Redis' if dropped else 'not dropped'})"
    )


def _settled_count(log_file: Path) -> int:
    """Lines in the guest's log once it has stopped growing for 3 s."""
    last, still_since = -1, time.monotonic()
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        count = _lines(log_file)
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since > 3:
            break
        time.sleep(0.2)
    return max(last, 0)


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as file:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(MIB), b""))
    except FileNotFoundError:
        return 0
