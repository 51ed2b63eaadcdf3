"""Benchmark of `spin-trigger-mqtt`: messages handled per second against a plain Paho
subscriber, in the same run, on a private loopback mosquitto.

Subjects, each a separate process subscribed at QoS 1 to its own topic, run one after the other:

- baseline: `baseline_subscriber.py`, Paho with manual acknowledgement, appending each message
  to a log file (the executor's work for a printing guest, without Wasm);
- the executor with the WAT component guest of executors/mqtt/tests (it prints each message,
  which the executor appends to the guest's log file).

Throughput: a burst of messages published back to back at QoS 1; messages per second from the
first publish to the last line in the subject's log file (polled every 5 ms). Bounded: fixed
message counts, every wait has a deadline. Run with `make bench-mqtt` (options: --messages N
--wasm-workers N).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.publish as publish
import wasmtime

REPO = Path(__file__).resolve().parents[2]
WAT = REPO / "executors" / "mqtt" / "tests" / "wat" / "mqtt.wat"
BIN = Path(sys.executable).parent
DEADLINE = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], object], what: str, interval: float = 0.005) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(interval)


def start_broker(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if binary is None:
        raise SystemExit("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    config = directory / "mosquitto.conf"
    # max_inflight_messages 0: no cap on unacknowledged QoS 1 messages towards a subscriber.
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\n"
        "max_inflight_messages 0\nmax_queued_messages 0\n"
    )
    broker = subprocess.Popen([binary, "-c", str(config)], stderr=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_for(listening, "mosquitto")
    return broker, port


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def burst(port: int, topic: str, log: Path, messages: int) -> float:
    """Publish `messages` at QoS 1; messages per second until the last one is in `log`."""
    before = line_count(log)
    payloads = [{"topic": topic, "payload": f"m{n}", "qos": 1} for n in range(messages)]
    started = time.perf_counter()
    publish.multiple(payloads, hostname="127.0.0.1", port=port)
    wait_for(lambda: line_count(log) >= before + messages, f"{messages} messages on {topic}")
    return messages / (time.perf_counter() - started)


def run_baseline(port: int, directory: Path, messages: int) -> float:
    log = directory / "baseline.log"
    script = Path(__file__).with_name("baseline_subscriber.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(port), "bench/baseline", str(log)],
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "ready"
        burst(port, "bench/baseline", log, 50)  # warm-up
        return burst(port, "bench/baseline", log, messages)
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_executor(port: int, directory: Path, messages: int, workers: int) -> float:
    (directory / "mqtt.wasm").write_bytes(wasmtime.wat2wasm(WAT.read_text()))
    (directory / "spin.toml").write_text(
        'spin_manifest_version = 2\n[application]\nname = "bench-mqtt"\n'
        f'[application.trigger.mqtt]\naddress = "mqtt://127.0.0.1:{port}"\n'
        '[[trigger.mqtt]]\ncomponent = "echo"\ntopic = "bench/spin"\nqos = "1"\n'
        '[component.echo]\nsource = "mqtt.wasm"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY"))}
    env.update(SPIN_MANIFEST_URL=(directory / "spin.toml").as_uri(), SPIN_TRIGGER_TYPE="mqtt")
    env["SPIN_LOG_LEVEL"] = "WARNING"  # an info line per message is not the work measured
    process = subprocess.Popen(
        [str(BIN / "spin-trigger-mqtt"), "--quiet", "--wasm-workers", str(workers)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    log = directory / ".spin" / "logs" / "echo_stdout.txt"
    try:

        def warmed_up() -> bool:  # QoS 1 before the subscription is lost: publish until seen
            publish.single("bench/spin", "warm", qos=1, hostname="127.0.0.1", port=port)
            return line_count(log) > 0

        wait_for(warmed_up, "the executor to subscribe", interval=0.2)
        burst(port, "bench/spin", log, 50)
        return burst(port, "bench/spin", log, messages)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--wasm-workers", type=int, default=1)
    args = parser.parse_args()
    # Paho's publish helper logs an error for a loop turn after its own disconnect (2.2.0).
    logging.getLogger("paho").addHandler(logging.NullHandler())
    logging.getLogger("paho").propagate = False
    with tempfile.TemporaryDirectory(prefix="bench-mqtt-") as temp:
        directory = Path(temp)
        broker, port = start_broker(directory)
        try:
            baseline = run_baseline(port, directory, args.messages)
            executor = run_executor(port, directory, args.messages, args.wasm_workers)
        finally:
            broker.terminate()
            broker.wait(timeout=10)
    print(f"{'subject':<32} {'messages/s':>12}")
    print(f"{'baseline (plain Paho subscriber)':<32} {baseline:>12.0f}")
    print(f"{'spin-trigger-mqtt (WAT guest)':<32} {executor:>12.0f}")
    print(f"ratio executor/baseline: {executor / baseline:.2f} ({args.messages} messages, QoS 1)")


if __name__ == "__main__":
    main()
