"""SIGHUP under load with real executors: only the executors whose part of the app changed
restart, and the HTTP executor is replaced without refusing a single request.

The new HTTP executor listens beside the old one (SO_REUSEPORT) and the old one stops once the
new one is ready. Connections the kernel had already queued to the old listener are reset when
it closes, unless `net.ipv4.tcp_migrate_req` is 1, which moves them to the new listener
(docs/operations.md). The test turns it on for its run where it may (root), and puts it back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import WAT_DIR, free_port, wait_for, wat_to_wasm

MANIFEST = """spin_manifest_version = 2
[application]
name = "reload"
[[trigger.http]]
route = "/hello"
component = "hello"
{extra_route}
[[trigger.timer]]
component = "tick"
interval_secs = 60
[component.hello]
source = "hello.wasm"
[component.tick]
source = "tick.wasm"
"""
MIGRATE = Path("/proc/sys/net/ipv4/tcp_migrate_req")
SECOND_ROUTE = '[[trigger.http]]\nroute = "/again"\ncomponent = "hello"\n'


class Load:
    """Requests in a loop on fresh connections (as new clients arrive), counting failures."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(limits=limits, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    status = client.get(self.url).status_code
                except httpx.HTTPError as err:
                    self.failures.append(repr(err))
                    continue
                if status == 200:
                    self.ok += 1
                else:
                    self.failures.append(f"status {status}")

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@contextmanager
def queued_connections_migrate() -> Iterator[bool]:
    """tcp_migrate_req on for the block if we may set it; yields whether it is on."""
    try:
        before = MIGRATE.read_text().strip()
        MIGRATE.write_text("1")
    except OSError:
        yield False
        return
    try:
        yield True
    finally:
        MIGRATE.write_text(before)


def test_a_route_edit_reloads_http_without_refusing_requests_and_spares_the_rest(
    tmp_path: Path,
) -> None:
    wat_to_wasm(WAT_DIR / "spin1_http_hello.wat", tmp_path).rename(tmp_path / "hello.wasm")
    wat_to_wasm(WAT_DIR / "timer_core.wat", tmp_path).rename(tmp_path / "tick.wasm")
    manifest = tmp_path / "spin.toml"
    manifest.write_text(MANIFEST.format(extra_route=""))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    # the external timer executor (executors/timer), installed beside this Python
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    port = free_port()
    log = tmp_path / "spin-up.log"
    with log.open("wb") as stderr:
        spin_up = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spin",
                "up",
                "-f",
                str(manifest),
                "--listen",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for(lambda: "ready executors=2" in log.read_text(), timeout=60, what="the app")
        with (
            queued_connections_migrate() as migrating,
            Load(f"http://127.0.0.1:{port}/hello") as load,
        ):
            wait_for(lambda: load.ok >= 20, timeout=30, what="requests before the reload")
            manifest.write_text(MANIFEST.format(extra_route=SECOND_ROUTE))
            spin_up.send_signal(signal.SIGHUP)
            wait_for(lambda: "reloaded" in log.read_text(), timeout=60, what="the reload")
            served_at_reload = load.ok
            wait_for(lambda: load.ok >= served_at_reload + 20, timeout=30, what="more requests")
        refused = [f for f in load.failures if "ConnectError" in f]
        assert refused == [], "no request is refused while the executors change over"
        if migrating:
            assert load.failures == [], load.failures[:5]
        assert httpx.get(f"http://127.0.0.1:{port}/again", timeout=10).status_code == 200
        lines = log.read_text().splitlines()
        # The timer's part of the app did not change: it was left running, not restarted.
        assert any("timer[" in line and line.endswith("unchanged") for line in lines)
        assert len([line for line in lines if "timer[" in line and "starting" in line]) == 1
        assert len([line for line in lines if "http[" in line and "starting" in line]) == 2
    finally:
        spin_up.send_signal(signal.SIGTERM)
        assert spin_up.wait(timeout=60) == 0
