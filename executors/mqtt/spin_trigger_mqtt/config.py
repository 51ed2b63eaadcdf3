"""The MQTT trigger's configuration, as the `spin-trigger-mqtt` plugin reads it::

    [application.trigger.mqtt]
    address = "mqtt://localhost:1883"
    username = "admin"
    password = "{{ mqtt_password }}"
    keep_alive_interval = "30"

    [[trigger.mqtt]]
    component = "mqtt-c01"
    topic = "messages-in01"
    qos = "1"

The plugin's values are strings (`qos = "1"`); numbers are accepted too. `address`, `username`,
`password` and `topic` may use application variables, as in the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from spin.trigger import LockedApp, Setting, SpinError, render

TRIGGER_TYPE = "mqtt"
SCHEMES = {"mqtt": (1883, False), "tcp": (1883, False), "mqtts": (8883, True), "ssl": (8883, True)}


def _whole(value: str | int, low: int, high: int) -> bool:
    text = str(value).strip()
    return text.isdigit() and low <= int(text) <= high


def valid_keep_alive(value: str | int) -> bool:
    return _whole(value, 1, 65535)


def valid_qos(value: str | int) -> bool:
    return _whole(value, 0, 2)


@dataclass(frozen=True, kw_only=True)
class MqttAppConfig:
    """`[application.trigger.mqtt]`."""

    address: Annotated[str, Setting(example='address = "mqtt://localhost:1883"')]
    username: str = ""
    password: str = ""
    keep_alive_interval: Annotated[
        str | int,
        Setting(
            example='keep_alive_interval = "30"',
            must="a whole number of seconds, 1 to 65535",
            valid=valid_keep_alive,
        ),
    ] = "30"


@dataclass(frozen=True, kw_only=True)
class MqttConfig:
    """One `[[trigger.mqtt]]` table."""

    component: Annotated[str, Setting(example='component = "mqtt-c01"')]
    topic: Annotated[str, Setting(example='topic = "messages-in01"')]
    qos: Annotated[
        str | int,
        Setting(example='qos = "1"', must="0, 1 or 2", valid=valid_qos),
    ]


@dataclass(frozen=True)
class Broker:
    """Where the clients connect, with the variables rendered."""

    host: str
    port: int
    tls: bool
    username: str
    password: str
    keep_alive: int


def broker(config: MqttAppConfig, app: LockedApp, manifest: str) -> Broker:
    table = "application.trigger.mqtt"

    def rendered(name: str) -> str:
        value: str = getattr(config, name)
        return render(value, app.variables, what=f"{manifest}: `{table}.{name}`")

    address = rendered("address")
    parts: Any = urlsplit(address)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise SpinError(
            f"{manifest}: field `{table}.address` is {address!r}; it must be a broker URL "
            f"such as `mqtt://localhost:1883` (schemes: {', '.join(SCHEMES)})."
        )
    default_port, tls = SCHEMES[parts.scheme]
    return Broker(
        parts.hostname,
        parts.port or default_port,
        tls,
        rendered("username"),
        rendered("password"),
        int(str(config.keep_alive_interval)),
    )
