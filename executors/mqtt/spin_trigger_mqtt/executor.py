"""The MQTT trigger executor: each `[[trigger.mqtt]]` has its own client (as in the plugin),
subscribed to its topic at its QoS, and calls its component's `handle-message` for each message.

A message's guest call runs in the runtime's worker pool; a subscription's messages are handled
one at a time, in order (MQTT wants the acknowledgements of QoS 1 in the order received). The
clients are Paho's, on Paho's network thread, with a persistent session (clean session off,
a client id per app and trigger) and manual acknowledgement:

- QoS 0: at most once. QoS 1: acknowledged only after the guest returned ok. QoS 2: the
  handshake's last step (PUBCOMP) only after the guest returned ok.
- A guest error (or a trap) at QoS >= 1 leaves the message unacknowledged: the broker delivers
  it again when this session resumes (a reconnect, or the executor's next start). The executor
  does not reconnect for it; mosquitto stops sending QoS >= 1 messages to a client that holds
  `max_inflight_messages` (default 20) unacknowledged ones.
- A lost connection is retried with backoff (1 s doubling to 30 s); every connection
  subscribes again.

Readiness is reported once every trigger has subscribed. On SIGTERM the message in flight
finishes and is acknowledged, then the clients disconnect.
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import click
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from spin.trigger import ConfiguredTrigger, SpinError, TriggerExecutor, manifest_name, render
from spin.trigger.wasm import RUNTIME_OPTIONS, GuestError, PooledGuest
from spin_trigger_mqtt.config import TRIGGER_TYPE, Broker, MqttAppConfig, MqttConfig, broker

log = logging.getLogger("spin_trigger_mqtt")

EXPORT = "handle-message"
MAX_BACKOFF = 30
#: Messages received but not yet handled, per trigger; beyond it Paho's thread waits.
BUFFER = 256
STREAM_GONE = (anyio.ClosedResourceError, anyio.BrokenResourceError)


@dataclass(frozen=True)
class MqttOptions:
    """The MQTT trigger's own option, as the plugin's."""

    test: bool = False


TEST_OPTION = click.Option(
    ["--test"], is_flag=True, help='Run each MQTT component once with "test message", then exit.'
)


class Subscription:
    """One `[[trigger.mqtt]]`: its client, its topic and the guest it runs."""

    def __init__(
        self, trigger: ConfiguredTrigger[MqttConfig], topic: str, client_id: str, guest: PooledGuest
    ) -> None:
        self.topic, self.qos, self.guest = topic, int(str(trigger.config.qos)), guest
        self.label = f"mqtt {trigger.id!r} (component {guest.id!r})"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.subscribed = anyio.Event()
        self.send, self.receive = anyio.create_memory_object_stream[mqtt.MQTTMessage](BUFFER)
        self.token = anyio.lowlevel.current_token()

    def start(self, to: Broker) -> None:
        if to.username:
            self.client.username_pw_set(to.username, to.password or None)
        if to.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(1, MAX_BACKOFF)
        self.client.connect_async(to.host, to.port, keepalive=to.keep_alive)
        self.client.loop_start()

    # -- on Paho's network thread ---------------------------------------------------------

    def _to_loop(self, function: Any, *args: Any) -> None:
        # When the executor is stopping the loop may be gone: an unacknowledged message comes
        # again in the next session.
        with contextlib.suppress(RuntimeError, CancelledError, *STREAM_GONE):
            anyio.from_thread.run(function, *args, token=self.token)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, code: Any, _p: Any) -> None:
        if code.is_failure:
            log.error("%s: the broker refused the connection: %s", self.label, code)
            return
        log.info("%s: connected; subscribing to %r at QoS %d", self.label, self.topic, self.qos)
        client.subscribe(self.topic, self.qos)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _m: int, codes: Any, _p: Any) -> None:
        if any(code.is_failure for code in codes):
            log.error("%s: the broker refused the subscription to %r", self.label, self.topic)
        else:
            self._to_loop(self._set_subscribed)

    async def _set_subscribed(self) -> None:
        self.subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, code: Any, _p: Any) -> None:
        if code.is_failure:
            log.warning("%s: disconnected (%s); reconnecting with backoff", self.label, code)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._to_loop(self.send.send, message)

    # -- on the event loop ----------------------------------------------------------------

    async def consume(self, stopping: anyio.Event) -> None:
        async for message in self.receive:
            if stopping.is_set():
                return
            await self.handle(message.payload, message.topic, message.qos, message.mid)

    async def handle(self, payload: bytes, topic: str, qos: int = 0, mid: int = 0) -> bool:
        started = time.perf_counter()
        arguments = {"message": payload, "metadata": {"topic": topic}}
        try:
            await self.guest.handle_export(EXPORT, arguments)
        except GuestError as err:
            kept = "; left unacknowledged, the broker redelivers it" if qos else ""
            log.error("%s: message on %r failed: %s%s", self.label, topic, err.reason, kept)
            return False
        if qos:
            self.client.ack(mid, qos)
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s: handled a message on %r in %.1f ms", self.label, topic, elapsed)
        return True

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def check_mqtt_export(guest: PooledGuest) -> None:
    exported = EXPORT in guest.exports or any(e.endswith("/inbound-mqtt") for e in guest.exports)
    if guest.kind != "component" or not exported:
        raise SpinError(
            f"Component {guest.id!r} does not export `{EXPORT}`. An MQTT component implements "
            f"the plugin's world `spin-mqtt` (`{EXPORT}: func(message: payload, metadata: "
            "metadata) -> result<_, error>`); build it with the spin-trigger-mqtt SDK."
        )


class MqttTrigger(TriggerExecutor):
    trigger_type = TRIGGER_TYPE
    summary = "Run the app's MQTT components for the messages of their topics."
    options = (*RUNTIME_OPTIONS, TEST_OPTION)
    options_class = MqttOptions
    trigger_config = MqttConfig
    app_config = MqttAppConfig

    async def run(self) -> int | None:
        app, context = self.context.app, self.context
        manifest = manifest_name(app)
        triggers: list[ConfiguredTrigger[MqttConfig]] = context.trigger_configs
        to = broker(context.app_config, app, manifest)
        ids = dict.fromkeys(t.config.component for t in triggers)
        # As for Redis: none kept while idle; a message after a quiet period may wait for a
        # worker to start.
        async with context.open_guest_pool(ids, warm_workers=0) as pool:
            for component_id in ids:
                check_mqtt_export(pool.guests[component_id])
            subscriptions = [
                Subscription(
                    t,
                    render(t.config.topic, app.variables, what=f"{manifest}: mqtt {t.id!r} topic"),
                    f"spin-{app.name}-{t.id}",
                    pool.guests[t.config.component],
                )
                for t in triggers
            ]
            if context.executor_options.test:
                outcomes = [await s.handle(b"test message", "test") for s in subscriptions]
                return 0 if all(outcomes) else 1
            await self._serve(subscriptions, to)
        return None

    async def _serve(self, subscriptions: list[Subscription], to: Broker) -> None:
        stopping = self.context.stopping
        log.info("broker %s:%d, %d trigger(s)", to.host, to.port, len(subscriptions))
        try:
            async with anyio.create_task_group() as group:
                for subscription in subscriptions:
                    subscription.start(to)
                    group.start_soon(subscription.consume, stopping)
                group.start_soon(self._ready_once_subscribed, subscriptions)
                await stopping.wait()
                log.info("stopping: finishing the messages in flight")
                for subscription in subscriptions:
                    subscription.send.close()  # an idle consumer ends
                    subscription.subscribed.set()  # as does the wait for readiness
        finally:
            for subscription in subscriptions:
                subscription.receive.close()  # frees Paho's thread if it waits on a full buffer
                await anyio.to_thread.run_sync(subscription.stop)

    async def _ready_once_subscribed(self, subscriptions: list[Subscription]) -> None:
        for subscription in subscriptions:
            await subscription.subscribed.wait()
        if not self.context.stopping.is_set():
            self.context.notify_ready()
