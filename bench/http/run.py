"""Benchmark of `spin trigger http`: requests per second and latency against plain hypercorn.

Subjects, each measured alone with the same load, in one run:

- baseline: `plain_hypercorn.py`, a hello-world ASGI app on hypercorn, served as the executor
  serves (same server, same settings, no Wasm);
- `spin trigger http` serving a hello-world guest of each kind: a Spin 1.x module, an
  inbound-http component, a WAGI module and a wasi:http (incoming-handler) component written
  in WAT (four routes of one app): one executor process
  plus its guest worker processes (`--wasm-workers`, default one per CPU; printed with the
  results, since plain hypercorn runs in one process).

Load: `wrk` when it is installed (the benchmark installs nothing), else a bounded httpx load
generator; loopback only, fixed duration and connection count. Printed: requests/s, p50, p99
and the ratio of requests/s to the baseline, with the targets (Spin 1.x or WAGI >= 0.6,
component >= 0.45, wasi:http >= 0.3).

Run with `make bench-http` (options: --duration SECONDS --connections N --wasm-workers N).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.locked import lock_app, write_lock  # noqa: E402
from spin.manifest import load_manifest  # noqa: E402
from tests.support import free_port, wait_for, wat_to_wasm  # noqa: E402

WAT = REPO / "tests" / "wat"
TARGETS = {"spin1": 0.6, "wagi": 0.6, "component": 0.45, "wasi-http": 0.3}

MANIFEST = """\
spin_manifest_version = 2
[application]
name = "hello-bench"
[[trigger.http]]
route = "/spin1"
component = "spin1"
[[trigger.http]]
route = "/component"
component = "component"
[[trigger.http]]
route = "/wagi"
component = "wagi"
executor = { type = "wagi" }
[[trigger.http]]
route = "/wasi-http"
component = "wasi-http"
[component.spin1]
source = "http_spin1_hello.wasm"
[component.component]
source = "http_component_hello.wasm"
[component.wagi]
source = "http_wagi_hello.wasm"
[component.wasi-http]
source = "wasi_http_hello.wasm"
"""


@dataclass(frozen=True)
class Result:
    subject: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def start(command: list[str], url: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout=60, interval=0.05, what=f"{url} to answer")
    return process


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- load generators ---------------------------------------------------------------------


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk_load(
    wrk: str, url: str, duration: float, connections: int
) -> tuple[float, float, float, int]:
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return rps, p50, p99, count


async def _httpx_load(
    url: str, duration: float, connections: int
) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.get(url)
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000, errors


def measure(subject: str, url: str, duration: float, connections: int) -> Result:
    wrk = shutil.which("wrk")
    warm_up = min(2.0, duration)
    if wrk:
        wrk_load(wrk, url, warm_up, connections)
        rps, p50, p99, errors = wrk_load(wrk, url, duration, connections)
    else:
        asyncio.run(_httpx_load(url, warm_up, connections))
        rps, p50, p99, errors = asyncio.run(_httpx_load(url, duration, connections))
    return Result(subject, rps, p50, p99, errors)


# -- the run ------------------------------------------------------------------------------


def build_app(app_dir: Path) -> Path:
    for guest in ("http_spin1_hello", "http_component_hello", "http_wagi_hello", "wasi_http_hello"):
        wat_to_wasm(WAT / f"{guest}.wat", app_dir)
    (app_dir / "spin.toml").write_text(MANIFEST)
    return write_lock(lock_app(load_manifest(app_dir / "spin.toml"), assets_dir=None), app_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per subject")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--wasm-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="the executor's guest worker processes (default: one per CPU)",
    )
    args = parser.parse_args()

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        lock = build_app(Path(tmp))

        port = free_port()
        plain = start(
            [
                sys.executable,
                str(Path(__file__).parent / "plain_hypercorn.py"),
                f"127.0.0.1:{port}",
            ],
            f"http://127.0.0.1:{port}/",
        )
        try:
            results.append(
                measure(
                    "plain hypercorn", f"http://127.0.0.1:{port}/", args.duration, args.connections
                )
            )
        finally:
            stop(plain)

        port = free_port()
        executor = start(
            [
                sys.executable,
                "-m",
                "spin",
                "trigger",
                "http",
                "--listen",
                f"127.0.0.1:{port}",
                "--wasm-workers",
                str(args.wasm_workers),
                # every worker started up front: the bench measures the steady state, not
                # the pool's growth (workers otherwise start on demand)
                "--wasm-workers-min",
                str(args.wasm_workers),
            ],
            f"http://127.0.0.1:{port}/.well-known/spin/health",
            env={"SPIN_LOCKED_URL": lock.as_uri(), "SPIN_STATE_DIR": str(Path(tmp) / "state")},
        )
        try:
            for kind in ("spin1", "wagi", "component", "wasi-http"):
                url = f"http://127.0.0.1:{port}/{kind}"
                assert httpx.get(url, timeout=10).text == "Hello, Fermyon!\n", kind
                results.append(measure(kind, url, args.duration, args.connections))
        finally:
            stop(executor)

    load = "wrk" if shutil.which("wrk") else "httpx load generator"
    print(
        f"\nHTTP hello world, {args.connections} connections, {args.duration:.0f} s each, "
        f"{load}, {os.cpu_count()} CPUs"
    )
    print(
        f"plain hypercorn: 1 process; spin: 1 executor process + {args.wasm_workers} guest "
        "worker processes"
    )
    print(
        f"{'subject':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}"
        f"  {'target':<12}{'errors':>8}"
    )
    baseline = results[0].rps
    for r in results:
        target = TARGETS.get(r.subject)
        verdict = (
            ""
            if target is None
            else f">={target:.2f} " + ("ok" if r.rps / baseline >= target else "MISS")
        )
        print(
            f"{r.subject:<18}{r.rps:>10.0f}{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}"
            f"{r.rps / baseline:>8.2f}  {verdict:<12}{r.errors:>8}"
        )


if __name__ == "__main__":
    main()
