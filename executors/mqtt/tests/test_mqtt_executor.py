"""The `spin-trigger-mqtt` program against a real mosquitto (conftest.py): a child process given
the app's manifest in SPIN_MANIFEST_URL, guests built from `wat/mqtt.wat` (the plugin's world),
messages published by a plain Paho client. The guest writes "<topic> <payload>" per message to
stdout; the tests read its log file.

Like a third-party executor's tests, these use nothing of the root project but its programs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.publish as publish
import pytest
import wasmtime
from mosquitto_broker import PASSWORD, USER, Mosquitto

WAT = Path(__file__).parent / "wat" / "mqtt.wat"
PROGRAM = Path(sys.executable).with_name("spin-trigger-mqtt")


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    """Poll `condition` until it is true, or fail at the deadline saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class MqttApp:
    """An app in a temporary directory: one component `echo` per (trigger id, topic, qos)."""

    def __init__(self, directory: Path, broker: Mosquitto, app_table: str = "", **triggers: str):
        self.dir, self.broker = directory, broker
        (directory / "mqtt.wasm").write_bytes(wasmtime.wat2wasm(WAT.read_text()))
        manifest = (
            'spin_manifest_version = 2\n[application]\nname = "mqtt-test"\n'
            "[application.trigger.mqtt]\n"
            + (
                app_table
                or f'address = "mqtt://127.0.0.1:{broker.port}"\nkeep_alive_interval = "5"\n'
            )
            + '[component.echo]\nsource = "mqtt.wasm"\n'
        )
        for trigger_id, spec in triggers.items():
            topic, qos = spec.split(":")
            manifest += (
                f'[[trigger.mqtt]]\nid = "{trigger_id}"\ncomponent = "echo"\n'
                f'topic = "{topic}"\nqos = "{qos}"\n'
            )
        (directory / "spin.toml").write_text(manifest)
        self.stderr_path = directory / "executor.stderr"
        self.process: subprocess.Popen[bytes] | None = None
        self.variables: dict[str, str] = {}  # SPIN_VARIABLE_* for the executor

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY"))}
        env.update(SPIN_MANIFEST_URL=(self.dir / "spin.toml").as_uri(), SPIN_TRIGGER_TYPE="mqtt")
        env.update(self.variables, **extra)
        return env

    def args(self) -> list[str]:
        return [str(PROGRAM), "--quiet", "--wasm-workers", "1", "-L", str(self.dir / "logs")]

    def start(self, *, ready: bool = True) -> None:
        """Start the executor; with `ready`, wait for its READY=1 (every trigger subscribed)."""
        with tempfile.TemporaryDirectory(prefix="mqtt-notify-") as sockets:
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(f"{sockets}/notify")
            notify.settimeout(0.2)
            with self.stderr_path.open("ab") as stderr:
                self.process = subprocess.Popen(
                    self.args(),
                    env=self.env(NOTIFY_SOCKET=f"{sockets}/notify"),
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            deadline = time.monotonic() + 30
            while ready:
                assert self.process.poll() is None, self.stderr
                assert time.monotonic() < deadline, f"no READY=1 in 30 s:\n{self.stderr}"
                try:
                    ready = b"READY=1" not in notify.recv(1024)
                except TimeoutError:
                    continue
            notify.close()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.args(), *args], env=self.env(), capture_output=True, text=True, timeout=60
        )

    def publish(self, topic: str, qos: int, *payloads: str, auth: bool = False) -> None:
        credentials = {"username": USER, "password": PASSWORD} if auth else None
        messages = [{"topic": topic, "payload": p, "qos": qos} for p in payloads]
        publish.multiple(messages, hostname="127.0.0.1", port=self.broker.port, auth=credentials)

    def lines(self) -> list[str]:
        path = self.dir / "logs" / "echo_stdout.txt"
        return path.read_text().splitlines() if path.exists() else []

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text() if self.stderr_path.exists() else ""

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def apps() -> Iterator[list[MqttApp]]:
    started: list[MqttApp] = []
    yield started
    for app in started:
        if app.process is not None and app.process.poll() is None:
            app.process.kill()
            app.process.wait()


def test_messages_at_qos_0_1_and_2_reach_their_component(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto], apps: list[MqttApp]
) -> None:
    app = MqttApp(tmp_path, mosquitto(), q0="t/zero:0", q1="t/one:1", q2="t/two:2")
    apps.append(app)
    app.start()
    app.publish("t/zero", 0, "a0")
    app.publish("t/one", 1, "a1", "b1")
    app.publish("t/two", 2, "a2", "b2")
    expected = ["t/zero a0", "t/one a1", "t/one b1", "t/two a2", "t/two b2"]
    wait_for(lambda: len(app.lines()) >= 5, timeout=30, what="five messages handled")
    assert sorted(app.lines()) == sorted(expected)
    assert "mqtt 'q2' (component 'echo'): message on 't/two' handled in" in app.stderr
    assert app.stop() == 0
    assert "Traceback" not in app.stderr


def test_a_password_protected_broker_and_a_refused_login(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto], apps: list[MqttApp]
) -> None:
    broker = mosquitto(password=True)
    table = (
        f'address = "mqtt://127.0.0.1:{broker.port}"\nusername = "{USER}"\n'
        'password = "{{ mqtt_password }}"\nkeep_alive_interval = "30"\n'
    )
    (tmp_path / "good").mkdir()
    good = MqttApp(tmp_path / "good", broker, table, sub="secure/#:1")
    good.dir.joinpath("spin.toml").write_text(
        good.dir.joinpath("spin.toml")
        .read_text()
        .replace(
            "[application.trigger",
            "[variables]\nmqtt_password = { required = true }\n[application.trigger",
            1,
        )
    )
    apps.append(good)
    good.variables["SPIN_VARIABLE_MQTT_PASSWORD"] = PASSWORD
    good.start()
    good.publish("secure/a", 1, "hello", auth=True)
    wait_for(lambda: good.lines() == ["secure/a hello"], timeout=30, what="the message")
    assert good.stop() == 0

    (tmp_path / "bad").mkdir()
    bad = MqttApp(tmp_path / "bad", broker, table.replace("{{ mqtt_password }}", "wrong"), s="x:0")
    apps.append(bad)
    bad.start(ready=False)
    wait_for(lambda: "refused the connection" in bad.stderr, timeout=30, what="the refusal")
    assert "Not authorized" in bad.stderr or "Bad user name or password" in bad.stderr


def test_a_guest_error_at_qos_1_leaves_the_message_for_redelivery(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto], apps: list[MqttApp]
) -> None:
    app = MqttApp(tmp_path, mosquitto(), sub="jobs:1")
    apps.append(app)
    app.start()
    app.publish("jobs", 1, "fail-once", "fine")
    wait_for(lambda: len(app.lines()) >= 2, timeout=30, what="both messages handled")
    assert "returned error" in app.stderr and "left unacknowledged" in app.stderr
    assert app.stop() == 0

    # The same session again (the client id is the app's and the trigger's): the broker
    # redelivers the message that was never acknowledged, and only that one.
    app.start()
    wait_for(lambda: len(app.lines()) >= 3, timeout=30, what="the redelivery")
    time.sleep(0.5)  # a wrongly redelivered "fine" would land within this
    assert Counter(app.lines()) == {"jobs fail-once": 2, "jobs fine": 1}
    assert app.stop() == 0


def test_a_broker_restart_is_survived_and_every_message_handled_once(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto], apps: list[MqttApp]
) -> None:
    broker = mosquitto(persistence=True)
    app = MqttApp(tmp_path, broker, sub="events/#:1")
    apps.append(app)
    app.start()
    app.publish("events/a", 1, *(f"before-{n}" for n in range(5)))
    wait_for(lambda: len(app.lines()) >= 5, timeout=30, what="the first five")

    broker.stop()
    wait_for(lambda: "reconnecting with backoff" in app.stderr, timeout=30, what="the loss")
    broker.start()
    # Published while the executor is still away (its backoff is 1 s at least): the broker
    # keeps them for its persistent session and delivers them once it is back.
    app.publish("events/b", 1, *(f"during-{n}" for n in range(5)))
    wait_for(lambda: app.stderr.count("connected; subscribing") >= 2, timeout=30, what="return")
    app.publish("events/c", 1, *(f"after-{n}" for n in range(5)))
    wait_for(lambda: len(app.lines()) >= 15, timeout=30, what="all fifteen")
    time.sleep(0.5)  # a duplicate would land within this
    counts = Counter(line.split()[1] for line in app.lines())
    # Every message the broker delivered after the restart is handled once. One handled just
    # before the broker stopped may come again (QoS 1 is at least once): its acknowledgement,
    # sent after the guest returned, can be lost with the connection.
    assert len(counts) == 15, counts
    assert all(counts[f"{phase}-{n}"] == 1 for phase in ("during", "after") for n in range(5))
    assert app.stop() == 0


def test_test_flag_runs_each_component_once_as_the_plugin_does(
    tmp_path: Path, mosquitto: Callable[..., Mosquitto]
) -> None:
    app = MqttApp(tmp_path, mosquitto(), one="a:0", two="b:1")
    result = app.run("--test")
    assert result.returncode == 0, result.stderr
    assert app.lines() == ["test test message", "test test message"]


@pytest.mark.parametrize(
    ("table", "trigger", "expected"),
    [
        ('address = "http://x"\n', "t:0", "`application.trigger.mqtt.address` is 'http://x'"),
        ("", "t:0", "has no `application.trigger.mqtt.address`"),
        ('address = "mqtt://x"\nkeep_alive_interval = "0"\n', "t:0", "keep_alive_interval"),
        ('address = "mqtt://x"\n', "t:3", "field `qos` is '3'; it must be 0, 1 or 2"),
    ],
)
def test_bad_configuration_is_one_clear_error(
    tmp_path: Path, table: str, trigger: str, expected: str
) -> None:
    app = MqttApp(tmp_path, Mosquitto.__new__(Mosquitto), table or "username = 'x'\n", t=trigger)
    result = app.run()
    assert result.returncode == 1
    assert result.stderr.startswith("Error: "), result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_launch_metadata_lists_the_test_and_runtime_options() -> None:
    result = subprocess.run(
        [str(PROGRAM), "--launch-metadata-only"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    flags = {flag["long"] for flag in json.loads(result.stderr)["all_flags"]}
    assert {"--test", "--wasm-timeout", "--wasm-workers", "--log-dir"} <= flags
