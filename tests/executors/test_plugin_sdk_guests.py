"""componentize-py guests of the trigger plugins' own worlds (tests/guests/sdk_python/cron_kv and
mqtt_reply, built from tests/guests/wit) run by the real `spin-trigger-cron` and
`spin-trigger-mqtt` programs: a cron guest that stores a key-value entry per tick, and an MQTT
guest that answers each message through outbound MQTT, against a real mosquitto."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.publish as publish
import pytest

from executors.mqtt.tests.mosquitto_broker import Mosquitto
from tests.support import MqttSubscriber, RunningExecutor, sdk_wasm_in, wait_for

BIN = Path(sys.executable).parent


@pytest.fixture
def executors() -> Iterator[list[RunningExecutor]]:
    started: list[RunningExecutor] = []
    yield started
    for executor in started:
        executor.close()


def start(
    trigger_type: str, manifest: str, app_dir: Path, state_dir: Path, executors: list
) -> RunningExecutor:
    """`spin-trigger-<type>` for the app `manifest` in `app_dir`, as `spin up` starts it."""
    (app_dir / "spin.toml").write_text(manifest)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIN_")}
    env.update(SPIN_MANIFEST_URL=(app_dir / "spin.toml").as_uri(), SPIN_TRIGGER_TYPE=trigger_type)
    command = [str(BIN / f"spin-trigger-{trigger_type}"), "--quiet", "--state-dir", str(state_dir)]
    executor = RunningExecutor([*command, "--wasm-workers", "1"], app_dir, env=env)
    executors.append(executor)
    executor.wait_ready()
    return executor


def test_a_cron_guest_stores_a_key_value_entry_per_tick(
    tmp_path: Path, executors: list[RunningExecutor]
) -> None:
    state_dir = tmp_path / "state"
    sdk_wasm_in("cron_kv", tmp_path, state_dir)
    manifest = (
        'spin_manifest_version = 2\n[application]\nname = "cron-kv"\n'
        '[[trigger.cron]]\ncomponent = "ticks"\ncron_expression = "* * * * * *"\n'
        '[component.ticks]\nsource = "cron_kv.wasm"\nkey_value_stores = ["default"]\n'
    )
    cron = start("cron", manifest, tmp_path, state_dir, executors)

    def stored() -> dict[str, bytes]:
        database = state_dir / "sqlite_key_value.db"
        if not database.exists():
            return {}
        query = "SELECT key, value FROM spin_key_value WHERE store = 'default'"
        with sqlite3.connect(database) as db:
            try:
                return dict(db.execute(query).fetchall())
            except sqlite3.OperationalError:  # the runtime has not created its table yet
                return {}

    wait_for(lambda: len(stored()) >= 2, timeout=30, what="two ticks stored")
    assert cron.stop() == 0
    entries = stored()
    for key, value in entries.items():
        assert key == f"tick-{value.decode()}"  # the tick's own timestamp, in whole seconds
    stamps = sorted(int(value) for value in entries.values())
    assert len(set(stamps)) == len(stamps)  # one entry per tick, none run twice
    printed = (state_dir / "logs" / "ticks_stdout.txt").read_text().splitlines()
    assert {f"stored tick-{stamp}" for stamp in stamps} <= set(printed)


def mqtt_app(broker: Mosquitto, allowed: str) -> str:
    address = f"mqtt://127.0.0.1:{broker.port}"
    return (
        'spin_manifest_version = 2\n[application]\nname = "mqtt-reply"\n'
        f'[application.trigger.mqtt]\naddress = "{address}"\nkeep_alive_interval = "30"\n'
        '[[trigger.mqtt]]\ncomponent = "replier"\ntopic = "requests"\nqos = "1"\n'
        '[component.replier]\nsource = "mqtt_reply.wasm"\n'
        f'allowed_outbound_hosts = ["{allowed}"]\n'
        f'environment = {{ MQTT_ADDRESS = "{address}" }}\n'
    )


def test_an_mqtt_guest_replies_through_outbound_mqtt(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto], executors: list[RunningExecutor]
) -> None:
    broker = mosquitto()
    state_dir = tmp_path / "state"
    sdk_wasm_in("mqtt_reply", tmp_path, state_dir)
    replies = MqttSubscriber(broker.port, "requests/reply")
    try:
        mqtt = start("mqtt", mqtt_app(broker, "mqtt://127.0.0.1:*"), tmp_path, state_dir, executors)
        for text in ("hello", "again"):
            publish.single("requests", text, qos=1, hostname="127.0.0.1", port=broker.port)
            assert replies.messages.get(timeout=30) == (f"reply to {text}".encode(), 1)
    finally:
        replies.close()
    assert mqtt.stop() == 0
    assert "mqtt 'replier-mqtt-trigger' (component 'replier'): message on 'requests' handled" in (
        mqtt.stderr()
    )


def test_an_mqtt_guest_denied_its_broker_fails_the_message(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto], executors: list[RunningExecutor]
) -> None:
    broker = mosquitto()
    state_dir = tmp_path / "state"
    sdk_wasm_in("mqtt_reply", tmp_path, state_dir)
    mqtt = start("mqtt", mqtt_app(broker, "mqtt://elsewhere:1883"), tmp_path, state_dir, executors)
    publish.single("requests", "hello", qos=1, hostname="127.0.0.1", port=broker.port)
    wait_for(lambda: "left unacknowledged" in mqtt.stderr(), timeout=30, what="the failure")
    assert mqtt.stop() == 0
    assert "is not permitted" in mqtt.stderr()  # the outbound error the guest returned
    assert "disallowed destination 'mqtt://127.0.0.1:" in mqtt.stderr()
