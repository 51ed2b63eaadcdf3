"""Outbound MQTT (`fermyon:spin/mqtt@2.0.0`) seen by a real spin-sdk 3.4.1 guest
(tests/guests/sdk_python/mqtt_outbound), run in-process by the runtime against a real
mosquitto, with a plain Paho subscriber receiving what the guest published. Every failure must
reach the guest as the interface's error value, never a trap."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from executors.mqtt.tests.mosquitto_broker import PASSWORD, USER, Mosquitto
from spin.runtime import Guest, HttpRequest, Runtime
from spin.runtime.host_interfaces import mqtt as outbound_mqtt
from tests.runtime.host_interfaces.sdk_guests import load
from tests.support import MqttSubscriber, free_port


@pytest.fixture
def broker(mosquitto: Callable[..., Mosquitto]) -> Mosquitto:
    return mosquitto(password=True)


@pytest.fixture
def subscriber(broker: Mosquitto) -> Iterator[MqttSubscriber]:
    subscriber = MqttSubscriber(broker.port, "out", auth=(USER, PASSWORD))
    yield subscriber
    subscriber.close()


def publish(guest: Guest, query: str, body: bytes = b"") -> tuple[int, str]:
    request = HttpRequest("POST", f"/?{query}", [("host", "localhost")], [], body)
    response = guest.handle_http(request)
    return response.status, response.body.decode()


def address(broker: Mosquitto) -> str:
    return f"mqtt://127.0.0.1:{broker.port}"


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_a_guest_publishes_at_each_qos_and_a_subscriber_receives_it(
    runtime: Runtime, tmp_path: Path, broker: Mosquitto, subscriber: MqttSubscriber, qos: int
) -> None:
    guest = load(runtime, tmp_path, "mqtt_outbound", allowed_outbound_hosts=[address(broker)])
    query = f"address={address(broker)}&user={USER}&password={PASSWORD}&qos={qos}"
    assert publish(guest, query, f"hello at {qos}".encode()) == (200, "published")
    # The subscriber asked for QoS 2: the broker delivers at the publisher's QoS.
    assert subscriber.messages.get(timeout=10) == (f"hello at {qos}".encode(), qos)


def test_an_address_not_allowed_is_connection_failed_before_connecting(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guest = load(runtime, tmp_path, "mqtt_outbound", allowed_outbound_hosts=["mqtt://allowed"])
    target = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens: connecting would say refused
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        status, body = publish(guest, f"address={target}")
    assert (status, body) == (
        502,
        f"mqtt error: Error_ConnectionFailed(value='address {target} is not permitted')",
    )
    assert f"disallowed destination '{target}'" in caplog.text


@pytest.mark.parametrize(
    "target", ["127.0.0.1:1883", "not a url", "http://127.0.0.1:1883", "mqtt://"]
)
def test_an_address_that_is_not_mqtt_is_invalid_address(
    runtime: Runtime, tmp_path: Path, target: str
) -> None:
    guest = load(runtime, tmp_path, "mqtt_outbound", allowed_outbound_hosts=["*://*:*"])
    assert publish(guest, f"address={target}") == (502, "mqtt error: Error_InvalidAddress()")


def test_bad_credentials_are_connection_failed(
    runtime: Runtime, tmp_path: Path, broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    guest = load(runtime, tmp_path, "mqtt_outbound", allowed_outbound_hosts=[address(broker)])
    with caplog.at_level(logging.WARNING, logger="spin.runtime"):
        status, body = publish(guest, f"address={address(broker)}&user={USER}&password=wrong")
    assert status == 502
    assert body.startswith("mqtt error: Error_ConnectionFailed(value='the broker at 127.0.0.1:")
    assert "refused the connection: Not authorized" in body
    assert f"MQTT broker at 127.0.0.1:{broker.port}: the broker" in caplog.text


def test_an_unreachable_broker_is_connection_failed(runtime: Runtime, tmp_path: Path) -> None:
    target = f"mqtt://127.0.0.1:{free_port()}"
    guest = load(runtime, tmp_path, "mqtt_outbound", allowed_outbound_hosts=[target])
    status, body = publish(guest, f"address={target}")
    assert status == 502
    assert body.startswith("mqtt error: Error_ConnectionFailed(value='cannot connect to 127.0.0.1")


def test_connections_past_the_limit_are_too_many_connections(
    runtime: Runtime,
    tmp_path: Path,
    broker: Mosquitto,
    subscriber: MqttSubscriber,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbound_mqtt, "MAX_CONNECTIONS", 2)
    guest = load(runtime, tmp_path, "mqtt_outbound", allowed_outbound_hosts=[address(broker)])
    query = f"address={address(broker)}&user={USER}&password={PASSWORD}"
    assert publish(guest, f"{query}&connections=3") == (
        502,
        "mqtt error: Error_TooManyConnections()",
    )
    # The two opened were closed when the guest dropped them: two fit again.
    assert publish(guest, f"{query}&connections=2", b"again") == (200, "published")
    assert subscriber.messages.get(timeout=10) == (b"again", 1)
