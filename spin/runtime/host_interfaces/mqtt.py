"""Outbound MQTT for components: `fermyon:spin/mqtt@2.0.0` and `spin:mqtt/mqtt@3.0.0`, through
Eclipse Paho's client (imported on a guest's first `open`, so workers that never publish do not
load it).

`open(address, username, password, keep-alive-interval-in-secs)` takes an `mqtt://` (or TLS
`mqtts://`) URL, port 1883 (8883) when none is given, an optional `?client_id=...` as Spin's
client reads it (else the broker's client id is random). In Spin's order: an address that does
not parse is `invalid-address`; one that `allowed_outbound_hosts` does not allow is
`connection-failed("address ... is not permitted")`, and nothing connects; past
MAX_CONNECTIONS open at once it is `too-many-connections`. Unlike Spin, which connects on the
first publish, `open` connects and waits for the broker's answer, so an unreachable broker or
refused credentials are `connection-failed(msg)` from `open` itself, with a log line.

`publish(topic, payload, qos)` returns once the message is out at QoS 0, acknowledged (PUBACK)
at QoS 1 and completed (PUBCOMP) at QoS 2, as in Spin; a lost connection is
`connection-failed(msg)`. A connection closes when the guest drops it or its call ends.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from wasmtime.component import Variant

from spin.allowed_hosts.rules import InvalidUrl, OutboundUrl, parse_url
from spin.runtime.host_interfaces import log, spin_host, unavailable
from spin.runtime.wasi.p2.host import Err, Resource, WasiCall
from spin.runtime.wasi.p2.registry import Interface

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

fermyon = Interface("fermyon:spin/mqtt", error=unavailable("other"))
spin3 = Interface("spin:mqtt/mqtt", error=unavailable("other"))

#: scheme -> (default port, TLS)
SCHEMES = {"mqtt": (1883, False), "mqtts": (8883, True)}
#: Connections one component may hold open at once in a worker (Spin's per-instance table size).
MAX_CONNECTIONS = 1024
CONNECT_TIMEOUT = 5.0  # seconds for the TCP connection and the broker's CONNACK
PUBLISH_TIMEOUT = 30.0  # seconds for a publish to be sent / acknowledged / completed
QOS = {"at-most-once": 0, "at-least-once": 1, "exactly-once": 2}


class ConnectionSlots:
    """How many MQTT connections one component holds open in this worker."""

    def __init__(self) -> None:
        self.open = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.open >= MAX_CONNECTIONS:
                return False
            self.open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.open -= 1


class Connection(Resource):
    def __init__(self, client: mqtt.Client, slots: ConnectionSlots) -> None:
        self.client, self._slots = client, slots

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._slots.give_back()


def failed(message: str) -> Err:
    return Err(Variant("connection-failed", message))


def open_connection(
    call: WasiCall, address: str, username: str, password: str, keep_alive: int
) -> Connection:
    host = spin_host(call)
    try:  # as Spin's client reads it: the scheme and a host are required
        parts = urlsplit(address)
        url = parse_url(address, "mqtt") if parts.scheme in SCHEMES and parts.hostname else None
    except (InvalidUrl, ValueError):
        url = None
    if url is None:
        log.warning("Component %r: %r is not an MQTT address", host.component_id, address)
        raise Err(Variant("invalid-address"))
    if not host.outbound.allowed.allows(url):
        host.log_disallowed("MQTT", url)
        raise failed(f"address {address} is not permitted")
    if keep_alive > 65535:
        raise Err(Variant("other", f"keep-alive interval {keep_alive} s is above 65535 s"))
    if not host.mqtt.take():
        raise Err(Variant("too-many-connections"))
    try:
        client = connect(url, parse_qs(urlsplit(address).query), username, password, keep_alive)
    except Err as refused:
        host.mqtt.give_back()
        log.warning(
            "Component %r: MQTT broker at %s: %s",
            host.component_id,
            url.authority,
            refused.payload.payload,
        )
        raise
    return Connection(client, host.mqtt)


def connect(
    url: OutboundUrl, query: dict[str, list[str]], username: str, password: str, keep_alive: int
) -> mqtt.Client:
    """A client connected to the broker, its CONNACK received; Err(connection-failed) if not."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    default_port, tls = SCHEMES[url.scheme]
    client_id = query.get("client_id", [""])[0]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect_timeout = CONNECT_TIMEOUT
    if username or password:
        client.username_pw_set(username, password or None)
    if tls:
        client.tls_set()
    answered = threading.Event()
    answers: list[Any] = []

    def on_connect(_c: Any, _u: Any, _f: Any, code: Any, _p: Any) -> None:
        answers.append(code)
        answered.set()

    client.on_connect = on_connect
    port = url.port or default_port
    try:
        client.connect(url.host, port, keepalive=keep_alive)
    except (OSError, ValueError) as err:
        raise failed(f"cannot connect to {url.host}:{port}: {err}") from None
    client.loop_start()
    if not answered.wait(CONNECT_TIMEOUT):
        reason = f"no answer from {url.host}:{port} within {CONNECT_TIMEOUT:g} s"
    elif answers[0].is_failure:
        reason = f"the broker at {url.host}:{port} refused the connection: {answers[0]}"
    else:
        return client
    client.disconnect()
    client.loop_stop()
    raise failed(reason)


def publish(call: WasiCall, c: Connection, topic: str, payload: bytes, qos: str) -> None:
    import paho.mqtt.client as mqtt

    try:
        info = c.client.publish(topic, bytes(payload), qos=QOS[qos])
    except ValueError as err:  # an empty topic, or one with a wildcard
        raise Err(Variant("other", f"cannot publish on {topic!r}: {err}")) from None
    if info.rc != mqtt.MQTT_ERR_SUCCESS:
        raise failed(f"publish on {topic!r}: {mqtt.error_string(info.rc)}")
    try:
        info.wait_for_publish(PUBLISH_TIMEOUT)
    except RuntimeError as err:  # the connection went while the message waited
        raise failed(f"publish on {topic!r}: {err}") from None
    if not info.is_published():
        raise failed(f"publish on {topic!r}: not done within {PUBLISH_TIMEOUT:g} s")


for _interface in (fermyon, spin3):
    _interface.func("[static]connection.open")(open_connection)
    _interface.func("[method]connection.publish")(publish)

INTERFACES = (fermyon, spin3)
