"""Benchmark of `spin trigger redis`: messages handled per second and publish-to-handled latency.

Subjects, each a separate process subscribed to its own channel on a private loopback
redis-server, run one after the other:

- baseline: `baseline_subscriber.py`, a plain redis.asyncio subscriber that appends each payload
  to a log file and echoes it (the executor's work for a printing guest, without Wasm);
- the executor with the Spin 1.x log guest, and with the component log guest (both print the
  payload, which the executor appends to the guest's log file and echoes on its stdout).

Every subject echoes what it handled on stdout; a reader thread timestamps each payload as it
arrives. Latency: one message at a time, publish to echo (p50/p99). Throughput: a burst of
messages published back to back; messages per second from the first publish to the last echo.
Bounded: fixed message counts, and every wait has a deadline.

Run with `make bench-redis` (options: --messages N --latency-samples N --wasm-workers N; the
executor runs its guests in that many worker processes, one per CPU by default).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.locked import lock_app, write_lock  # noqa: E402
from spin.manifest import load_manifest  # noqa: E402
from tests.support import RedisServer, wat_to_wasm  # noqa: E402

WAT = REPO / "tests" / "wat"
DEADLINE = 120.0
WARM_UP = 50
PUBLISH_BATCH = 200
PAYLOAD = re.compile(rb"m(\d+)")


@dataclass(frozen=True)
class Result:
    subject: str
    rate: float  # messages handled per second
    p50_ms: float
    p99_ms: float


class EchoReader:
    """Reads a subject's stdout on a thread and records when each payload `m<seq>` arrives."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.seen: dict[int, float] = {}
        self.lines: list[bytes] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            now = time.perf_counter()
            with self._changed:
                match = PAYLOAD.search(line)
                if match:
                    self.seen.setdefault(int(match.group(1)), now)
                else:
                    self.lines.append(line)
                self._changed.notify_all()

    def wait(self, condition: object, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout=DEADLINE):  # type: ignore[arg-type]
                raise SystemExit(f"benchmark: timed out waiting for {what}")

    def wait_line(self, text: bytes) -> None:
        self.wait(lambda: any(text in line for line in self.lines), f"{text!r} on stdout")

    def wait_seq(self, seq: int) -> float:
        self.wait(lambda: seq in self.seen, f"message {seq}")
        return self.seen[seq]

    def wait_count(self, count: int) -> None:
        self.wait(lambda: len(self.seen) >= count, f"{count} messages")


def measure(
    name: str, reader: EchoReader, client: redis.Redis, channel: str, messages: int, samples: int
) -> Result:
    seq = 0
    latencies = []
    for i in range(WARM_UP + samples):
        seq += 1
        published = time.perf_counter()
        client.publish(channel, b"m%d" % seq)
        handled = reader.wait_seq(seq)
        if i >= WARM_UP:
            latencies.append(handled - published)
    first = seq + 1
    started = time.perf_counter()
    for batch_start in range(first, first + messages, PUBLISH_BATCH):
        pipe = client.pipeline(transaction=False)
        for n in range(batch_start, min(batch_start + PUBLISH_BATCH, first + messages)):
            pipe.publish(channel, b"m%d" % n)
        pipe.execute()
    reader.wait_count(seq + messages)
    finished = max(reader.seen[n] for n in range(first, first + messages))
    quantiles = statistics.quantiles(latencies, n=100)
    return Result(name, messages / (finished - started), quantiles[49] * 1e3, quantiles[98] * 1e3)


def run_baseline(work: Path, server: RedisServer, args: argparse.Namespace) -> Result:
    script = Path(__file__).with_name("baseline_subscriber.py")
    process = subprocess.Popen(
        [sys.executable, str(script), server.url, "baseline", str(work / "baseline.log")],
        stdout=subprocess.PIPE,
    )
    try:
        reader = EchoReader(process)
        reader.wait_line(b"ready")
        with redis.Redis.from_url(server.url) as client:
            return measure(
                "baseline: redis.asyncio, no Wasm",
                reader,
                client,
                "baseline",
                args.messages,
                args.latency_samples,
            )
    finally:
        process.kill()
        process.wait()


def run_executor(
    work: Path, server: RedisServer, args: argparse.Namespace, label: str, wat: str
) -> Result:
    app_dir = work / label
    app_dir.mkdir()
    wasm = wat_to_wasm(WAT / wat, app_dir)
    manifest = app_dir / "spin.toml"
    manifest.write_text(
        'spin_manifest_version = 2\n[application]\nname = "bench"\n'
        f"[application.trigger.redis]\naddress = {json.dumps(server.url)}\n"
        f'[[trigger.redis]]\nchannel = "{label}"\ncomponent = "hello"\n'
        f"[component.hello]\nsource = {json.dumps(wasm.name)}\n"
    )
    lock = write_lock(lock_app(load_manifest(manifest), assets_dir=None), app_dir / "work")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spin",
            "trigger",
            "redis",
            "--state-dir",
            str(app_dir / "state"),
            "--wasm-workers",
            str(args.wasm_workers),
            # every worker started up front: the bench measures the steady state, not the
            # pool's growth (a Redis executor otherwise starts its workers on demand)
            "--wasm-workers-min",
            str(args.wasm_workers),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO), "SPIN_LOCKED_URL": lock.as_uri()},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        reader = EchoReader(process)
        reader.wait_line(f"\t{label}: [hello]".encode())
        with redis.Redis.from_url(server.url) as client:
            return measure(
                f"spin trigger redis ({label})",
                reader,
                client,
                label,
                args.messages,
                args.latency_samples,
            )
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE)


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    baseline = results[0]
    print(
        f"\nRedis trigger: {args.messages} messages burst, {args.latency_samples} latency "
        f"samples, loopback redis-server, {os.cpu_count()} CPUs"
    )
    print(
        f"baseline: 1 process; spin: 1 executor process + {args.wasm_workers} guest worker "
        "processes"
    )
    header = f"{'subject':<38} {'msgs/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'rate x':>7} {'p50 x':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.subject:<38} {r.rate:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.rate / baseline.rate:>7.2f} {r.p50_ms / baseline.p50_ms:>7.2f}"
        )
    print("(rate x: throughput relative to the baseline; p50 x: median latency relative to it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=300)
    parser.add_argument(
        "--wasm-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="the executor's guest worker processes (default: one per CPU)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        work = Path(tmp)
        server = RedisServer(work)
        server.start()
        try:
            results = [
                run_baseline(work, server, args),
                run_executor(work, server, args, "spin1", "spin1_redis_log.wat"),
                run_executor(work, server, args, "component", "component_redis_log.wat"),
            ]
        finally:
            server.stop()
    print_table(results, args)


if __name__ == "__main__":
    main()
