"""The MQTT trigger's configuration, as the `spin-trigger-mqtt` plugin reads it (README.md):
`[application.trigger.mqtt]` with `address`, `username`, `password`, `keep_alive_interval`, and
`[[trigger.mqtt]]` with `component`, `topic`, `qos`. The plugin's values are strings
(`qos = "1"`); numbers are accepted too. Address, credentials and topic may use variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from spin.trigger import LockedApp, Setting, SpinError, render

TRIGGER_TYPE = "mqtt"
#: scheme -> (default port, TLS)
#: How a client is set up to connect (and reconnect) to the broker.
Connect = Callable[[mqtt.Client], None]
SCHEMES = {"mqtt": (1883, False), "tcp": (1883, False), "mqtts": (8883, True), "ssl": (8883, True)}


@dataclass(frozen=True, kw_only=True)
class MqttAppConfig:
    address: Annotated[str, Setting(example='address = "mqtt://localhost:1883"')]
    username: str = ""
    password: str = ""
    keep_alive_interval: Annotated[
        str | int,
        Setting(
            example='keep_alive_interval = "30"',
            must="a whole number of seconds, 1 to 65535",
            valid=lambda value: str(value).isdigit() and 0 < int(value) < 65536,
        ),
    ] = "30"


@dataclass(frozen=True, kw_only=True)
class MqttConfig:
    component: Annotated[str, Setting(example='component = "mqtt-c01"')]
    topic: Annotated[str, Setting(example='topic = "messages-in01"')]
    qos: Annotated[Literal["0", "1", "2", 0, 1, 2], Setting(example='qos = "1"', must="0, 1 or 2")]


def broker(config: MqttAppConfig, app: LockedApp, manifest: str) -> tuple[str, Connect]:
    """The broker's `host:port`, and how a client connects to it (variables rendered, checked
    now: at start)."""
    table = "application.trigger.mqtt"

    def rendered(name: str) -> str:
        return render(getattr(config, name), app.variables, what=f"{manifest}: `{table}.{name}`")

    address, username, password = rendered("address"), rendered("username"), rendered("password")
    parts: Any = urlsplit(address)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise SpinError(
            f"{manifest}: field `{table}.address` is {address!r}; it must be a broker URL "
            f"such as `mqtt://localhost:1883` (schemes: {', '.join(SCHEMES)})."
        )
    default_port, tls = SCHEMES[parts.scheme]
    host, port = parts.hostname, parts.port or default_port

    def connect(client: mqtt.Client) -> None:
        if username:
            client.username_pw_set(username, password or None)
        if tls:
            client.tls_set()
        client.reconnect_delay_set(1, 30)  # seconds: Paho's backoff doubles from 1 to 30
        client.connect_async(host, port, keepalive=int(str(config.keep_alive_interval)))

    return f"{host}:{port}", connect
