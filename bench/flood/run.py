"""A guest that floods stdout for one request: what it costs the host.

Builds tests/wat/stdout_flood.wat into an app, serves it with `spin trigger http` (one guest
worker, `--wasm-timeout` seconds per call, 2 by default) and sends one GET. While the call runs
it samples the machine's shared memory (`Shmem` in /proc/meminfo: the guest's output is held in
memory files), the worker's RSS and the log file; it prints their peaks, the log's final size
and how the request ended. Extra arguments go to the executor (`--wasm-output-limit 1`).

    .venv/bin/python bench/flood/run.py [--timeout SECONDS] [executor options...]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import wasmtime

REPO = Path(__file__).resolve().parents[2]
MANIFEST = """\
spin_manifest_version = 2
[application]
name = "flood"
[[trigger.http]]
route = "/flood"
component = "flood"
[component.flood]
source = "flood.wasm"
"""
MIB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shmem_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) * 1024
    return 0


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def build(app: Path) -> Path:
    from spin.locked import lock_app, write_lock
    from spin.manifest import load_manifest

    wat = (REPO / "tests" / "wat" / "stdout_flood.wat").read_text()
    (app / "flood.wasm").write_bytes(wasmtime.wat2wasm(wat))
    (app / "spin.toml").write_text(MANIFEST)
    return write_lock(lock_app(load_manifest(app / "spin.toml"), assets_dir=None), app)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=2.0)
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp)
        lock = build(app)
        port = free_port()
        env = {**os.environ, "SPIN_LOCKED_URL": lock.as_uri()}
        command = [sys.executable, "-m", "spin", "trigger", "http", "--listen",
                   f"127.0.0.1:{port}", "--wasm-workers", "1", "--wasm-timeout",
                   str(args.timeout), "--quiet", *extra]  # fmt: skip
        executor = subprocess.Popen(command, env=env, cwd=app, stderr=subprocess.DEVNULL)
        try:
            measure(app, port, executor.pid)
        finally:
            executor.terminate()
            executor.wait(timeout=30)


def measure(app: Path, port: int, executor_pid: int) -> None:
    url = f"http://127.0.0.1:{port}/flood"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/.well-known/spin/health", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise SystemExit("the executor did not start") from None
            time.sleep(0.05)
    log = app / ".spin" / "logs" / "flood_stdout.txt"
    baseline = shmem_bytes()
    peaks = {"shmem": 0, "rss": 0, "log": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peaks["shmem"] = max(peaks["shmem"], shmem_bytes() - baseline)
            workers = children(executor_pid)
            peaks["rss"] = max([peaks["rss"], *(rss_bytes(pid) for pid in workers)])
            peaks["log"] = max(peaks["log"], log.stat().st_size if log.exists() else 0)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    response = httpx.get(url, timeout=120)
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # let the log reach its final size
    done.set()
    sampler.join()
    final_log = sum(p.stat().st_size for p in log.parent.glob("flood_*"))
    print(f"answer: {response.status_code} after {elapsed:.2f} s")
    print(f"peak shared memory (Shmem over its baseline): {peaks['shmem'] / MIB:.0f} MiB")
    print(f"peak worker RSS: {peaks['rss'] / MIB:.0f} MiB")
    print(f"log files: {final_log / MIB:.1f} MiB (stdout log peak {peaks['log'] / MIB:.1f} MiB)")


if __name__ == "__main__":
    main()
