"""Spin's trigger plugins `spin-trigger-cron` and `spin-trigger-mqtt` (executors/cron,
executors/mqtt): installed with `spin plugins install` and run by one `spin up` beside the
internal HTTP and Redis executors, against a real redis-server and a real mosquitto; and both
found on PATH and as entry points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import paho.mqtt.publish as mqtt_publish
import pytest

from executors.mqtt.tests.mosquitto_broker import Mosquitto
from spin.up.discovery import locate_executor
from tests.support import (
    REPO_ROOT,
    RedisServer,
    free_port,
    run_spin,
    wait_for,
    wat_to_wasm,
)

BIN = Path(sys.executable).parent
#: A PATH without the virtualenv's bin directory: cron and MQTT can only be found as plugins.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
GUESTS = {
    "hello": REPO_ROOT / "tests" / "wat" / "http_spin1_hello.wat",
    "echo": REPO_ROOT / "tests" / "wat" / "spin1_redis_log.wat",
    "ticker": REPO_ROOT / "executors" / "cron" / "tests" / "wat" / "cron.wat",
    "listener": REPO_ROOT / "executors" / "mqtt" / "tests" / "wat" / "mqtt.wat",
}


@pytest.fixture
def mosquitto_port(mosquitto: Callable[..., Mosquitto]) -> int:
    """An anonymous mosquitto without persistence (the shared `mosquitto` fixture)."""
    return mosquitto().port


def write_app(directory: Path, redis_port: int, mqtt_port: int) -> Path:
    for component_id, wat in GUESTS.items():
        wat_to_wasm(wat, directory).rename(directory / f"{component_id}.wasm")
    manifest = directory / "spin.toml"
    components = "".join(f'[component.{c}]\nsource = "{c}.wasm"\n' for c in GUESTS)
    manifest.write_text(
        'spin_manifest_version = 2\n[application]\nname = "four-triggers"\n'
        f'[application.trigger.redis]\naddress = "redis://127.0.0.1:{redis_port}"\n'
        f'[application.trigger.mqtt]\naddress = "mqtt://127.0.0.1:{mqtt_port}"\n'
        'username = ""\npassword = ""\nkeep_alive_interval = "30"\n'
        '[[trigger.http]]\nroute = "/hello"\ncomponent = "hello"\n'
        '[[trigger.redis]]\nchannel = "messages"\ncomponent = "echo"\n'
        '[[trigger.cron]]\ncron_expression = "* * * * * *"\ncomponent = "ticker"\n'
        '[[trigger.mqtt]]\ntopic = "events"\nqos = "1"\ncomponent = "listener"\n' + components
    )
    return manifest


def test_one_spin_up_runs_http_redis_cron_and_mqtt(
    tmp_path: Path, redis_server: RedisServer, mosquitto_port: int
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    env.update(SPIN_DATA_DIR=str(tmp_path / "data"), PATH=SYSTEM_PATH)
    for program in ("spin-trigger-cron", "spin-trigger-mqtt"):
        installed = run_spin(
            "plugins", "install", "--file", str(BIN / program), env=env, timeout=60
        )
        assert installed.returncode == 0, installed.stderr
    manifest = write_app(tmp_path, redis_server.port, mosquitto_port)
    port = free_port()
    output = tmp_path / "spin-up.log"
    command = [sys.executable, "-m", "spin", "up", "-f", str(manifest), "--quiet"]
    with output.open("wb") as log:
        up = subprocess.Popen(
            [*command, "--listen", f"127.0.0.1:{port}"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    logs = tmp_path / ".spin" / "logs"

    def lines(component_id: str) -> list[str]:
        path = logs / f"{component_id}_stdout.txt"
        return path.read_text().splitlines() if path.exists() else []

    def hello() -> bool:
        assert up.poll() is None, f"spin up exited:\n{output.read_text()}"
        try:
            return (
                httpx.get(f"http://127.0.0.1:{port}/hello", timeout=5).text == "Hello, Fermyon!\n"
            )
        except httpx.TransportError:
            return False

    def published_to_mqtt() -> bool:
        # At QoS 1 a message published before the executor subscribed is dropped: again.
        mqtt_publish.single(
            "events", "hello-mqtt", qos=1, hostname="127.0.0.1", port=mosquitto_port
        )
        return "events hello-mqtt" in lines("listener")

    try:
        wait_for(hello, timeout=60, what="the HTTP component")
        wait_for(lambda: len(lines("ticker")) >= 2, timeout=30, what="two cron ticks")
        redis_server.publish_once_subscribed("messages", "hello-redis")
        wait_for(lambda: "hello-redis" in lines("echo"), timeout=30, what="the Redis message")
        wait_for(published_to_mqtt, timeout=30, what="the MQTT message")
    finally:
        up.send_signal(signal.SIGTERM)
        code = up.wait(timeout=60)
    text = output.read_text()
    assert code == 0, text
    data = tmp_path / "data" / "plugins"
    assert f"Spin plugin at {data / 'trigger-cron' / 'trigger-cron'}" in text
    assert f"Spin plugin at {data / 'trigger-mqtt' / 'trigger-mqtt'}" in text
    # Each executor's own log lines, relayed with its trigger type as prefix.
    for expected in ("ran for tick", "message on 'events' handled", "exited code=0"):
        assert expected in text, text
    assert text.count("exited code=0") == 4, text


@pytest.mark.parametrize("trigger_type", ["cron", "mqtt"])
def test_cron_and_mqtt_are_found_on_path_and_as_entry_points(
    trigger_type: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPIN_DATA_DIR", str(tmp_path / "no-plugins"))
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{SYSTEM_PATH}")
    found = locate_executor(trigger_type)
    assert found is not None
    assert found.argv == [str(BIN / f"spin-trigger-{trigger_type}")]

    names = {e.name: e.value for e in entry_points(group="spin.triggers")}
    assert names[trigger_type].startswith(f"spin_trigger_{trigger_type}.executor:")
    monkeypatch.setenv("PATH", SYSTEM_PATH)
    found = locate_executor(trigger_type)
    assert found is not None
    assert found.argv[-2:] == ["spin.up.entry_point", trigger_type]
