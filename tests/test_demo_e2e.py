"""The demo app end to end: `spin up` (the supervisor) runs its HTTP, timer and Redis triggers.

The HTTP and Redis executors are spin's own; the timer is the external program
`spin-trigger-timer`, found on PATH. The page the HTTP component serves shows what the timer
and Redis components printed, so one request proves that all three run the same app.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from tests.support import RedisServer, free_port, wait_for, wat_to_wasm

DEMO_DIR = Path(__file__).parent.parent / "examples" / "demo"
TICK_LINE = "timer: tick at "


def copy_demo(target: Path) -> Path:
    """The demo's manifest and WAT sources in `target`, built as `make demo` builds them."""
    shutil.copy(DEMO_DIR / "spin.toml", target / "spin.toml")
    (target / "build").mkdir()
    for source in sorted((DEMO_DIR / "wat").glob("*.wat")):
        wat_to_wasm(source, target / "build")
    (target / ".spin" / "logs").mkdir(parents=True)  # the page component mounts it
    return target / "spin.toml"


def test_spin_up_runs_the_demo_with_all_three_triggers(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    app_dir = tmp_path / "demo"
    app_dir.mkdir()
    manifest = copy_demo(app_dir)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        SPIN_DATA_DIR=str(tmp_path / "no-plugins"),  # so the timer can only come from PATH
        SPIN_VARIABLE_REDIS_PORT=str(redis_server.port),
    )
    output = tmp_path / "spin-up.log"
    with output.open("wb") as log:
        up = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spin",
                "up",
                "-f",
                str(manifest),
                "--listen",
                f"127.0.0.1:{port}",
                "--direct-mounts",  # the page reads the log files live, as run_demo.py runs it
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    page_url = f"http://127.0.0.1:{port}/"
    family: list[psutil.Process] = []
    try:

        def page() -> str:
            assert up.poll() is None, f"spin up exited:\n{output.read_text()}"
            try:
                response = httpx.get(page_url, timeout=5)
            except httpx.TransportError:
                return ""
            return response.text if response.status_code == 200 else ""

        wait_for(page, timeout=60, what="the demo page")
        assert "spin-trigger-timer on PATH" in output.read_text()
        family = psutil.Process(up.pid).children(recursive=True)
        assert len(family) >= 3  # one executor per trigger type

        # The timer fires on its own, again and again; the page shows it.
        wait_for(lambda: page().count(TICK_LINE) >= 2, timeout=30, what="two timer runs")

        # A Redis message is handled by the Redis component; the page shows that too.
        redis_server.publish_once_subscribed("messages", "hello-from-e2e")
        shown = wait_for(
            lambda: (text := page()) and "redis: hello-from-e2e" in text and text,
            timeout=30,
            what="the message on the page",
        )
        assert "Spin demo: one app, three triggers." in shown
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(timeout=60)

    log_text = output.read_text()
    assert code == 0, log_text
    leftovers = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], log_text
    # Each of the three executors stopped by itself with exit code 0, none was killed.
    assert log_text.count("exited code=0") == 3, log_text


def test_run_demo_starts_redis_and_the_app_then_stops_both(tmp_path: Path) -> None:
    """What `make demo` runs, on a copy of the demo: no Redis answers on the configured port,
    so it starts its own, prints how to use the app, and stops everything on SIGTERM."""
    for name in ("spin.toml", "run_demo.py"):
        shutil.copy(DEMO_DIR / name, tmp_path / name)
    shutil.copytree(DEMO_DIR / "wat", tmp_path / "wat")
    unused_port, listen_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    env["SPIN_DATA_DIR"] = str(tmp_path / "no-plugins")
    output = tmp_path / "demo.log"
    with output.open("wb") as log:
        demo = subprocess.Popen(
            [
                sys.executable,
                str(tmp_path / "run_demo.py"),
                "--listen",
                f"127.0.0.1:{listen_port}",
                "--redis-port",
                str(unused_port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: "Press Ctrl+C to stop." in output.read_text() or demo.poll() is not None,
            timeout=60,
            what="the demo's instructions",
        )
        text = output.read_text()
        redis_port = int(
            text.split("Started a Redis server for the demo on port ")[1].split(".")[0]
        )
        assert f"curl http://127.0.0.1:{listen_port}/" in text
        assert f"redis-cli -p {redis_port} publish messages hello" in text
        assert RedisServer(tmp_path, redis_port).ping()
        page = httpx.get(f"http://127.0.0.1:{listen_port}/", timeout=5)
        assert page.status_code == 200
        assert "The timer component (ticker) printed" in page.text
    finally:
        demo.send_signal(signal.SIGTERM)
        code = demo.wait(timeout=60)
    assert code == 0, output.read_text()
    assert "Stopped the demo's Redis server." in output.read_text()
    assert not RedisServer(tmp_path, redis_port).ping()


def test_run_demo_refuses_a_taken_address_instead_of_claiming_to_run(tmp_path: Path) -> None:
    """Something else answers on the demo's address: the demo must say so and fail, not print
    "The demo is running" because the other server answered its readiness check."""
    shutil.copy(DEMO_DIR / "run_demo.py", tmp_path / "run_demo.py")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = subprocess.run(
            [sys.executable, str(tmp_path / "run_demo.py"), "--listen", address],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"Cannot serve the demo on {address}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "The demo is running" not in result.stdout
