"""The MQTT trigger executor: a Paho client per `[[trigger.mqtt]]` (as in the plugin), with a
persistent session and manual acknowledgement: a QoS >= 1 message is acknowledged only after the
guest returned ok. A subscription's messages are handled one at a time, in order (as MQTT wants
its acknowledgements). Delivery, reconnection and stopping: README.md.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import CancelledError
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from spin.trigger import (
    ConfiguredTrigger,
    SelfTestOptions,
    TriggerExecutor,
    manifest_name,
    render,
    require_export,
    run_guest,
    self_test_option,
)
from spin.trigger.wasm import RUNTIME_OPTIONS, PooledGuest
from spin_trigger_mqtt.config import TRIGGER_TYPE, Connect, MqttAppConfig, MqttConfig, broker

log = logging.getLogger("spin_trigger_mqtt")

EXPORT = "handle-message"
WORLD = "spin:mqtt-trigger/spin-mqtt"
SIGNATURE = "func(message: payload, metadata: metadata) -> result<_, error>"
#: The plugin's SDK; its 2023 WIT exported `handle-message` from an interface `inbound-mqtt`.
FROM_PLUGIN = {"sdk": "spin-trigger-mqtt", "interface": "inbound-mqtt"}
#: Messages received but not yet handled, per trigger; beyond it Paho's thread waits.
BUFFER = 256
TEST_HELP = 'Run each MQTT component once with "test message" on topic "test", then exit.'


class Subscription:
    """One `[[trigger.mqtt]]`: its client, its topic and the guest it runs."""

    def __init__(
        self, trigger: ConfiguredTrigger[MqttConfig], topic: str, guest: PooledGuest, client_id: str
    ) -> None:
        self.topic, self.qos, self.guest = topic, int(str(trigger.config.qos)), guest
        self.label = f"mqtt {trigger.id!r} (component {guest.id!r})"
        self.client = client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
        )
        client.on_connect, client.on_subscribe = self._on_connect, self._on_subscribe
        client.on_disconnect, client.on_message = self._on_disconnect, self._on_message
        self.subscribed = anyio.Event()
        self.send, self.receive = anyio.create_memory_object_stream[mqtt.MQTTMessage](BUFFER)
        self.token = anyio.lowlevel.current_token()

    def _to_loop(self, function: Any, *args: Any, run: Any = anyio.from_thread.run) -> None:
        """From Paho's network thread (the `_on_...` callbacks) to the event loop. Once the loop
        has gone (stopping), an unacknowledged message comes again in the next session."""
        gone = (RuntimeError, CancelledError, anyio.ClosedResourceError, anyio.BrokenResourceError)
        with contextlib.suppress(*gone):
            run(function, *args, token=self.token)

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
            self._to_loop(self.subscribed.set, run=anyio.from_thread.run_sync)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, code: Any, _p: Any) -> None:
        if code.is_failure:
            log.warning("%s: disconnected (%s); reconnecting with backoff", self.label, code)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._to_loop(self.send.send, message)

    async def consume(self, stopping: anyio.Event) -> None:
        async for message in self.receive:
            if stopping.is_set():
                return
            if await self.handle(message.payload, message.topic) and message.qos:
                self.client.ack(message.mid, message.qos)
            elif message.qos:
                log.info("%s: left unacknowledged, the broker redelivers it", self.label)

    async def handle(self, payload: bytes, topic: str) -> bool:
        call = self.guest.handle_export(EXPORT, {"message": payload, "metadata": {"topic": topic}})
        label = f"{self.label}: message on {topic!r}"
        return await run_guest(call, label=label, done="handled", log=log)


class MqttTrigger(TriggerExecutor):
    trigger_type = TRIGGER_TYPE
    summary = "Run the app's MQTT components for the messages of their topics."
    options = (*RUNTIME_OPTIONS, self_test_option(TEST_HELP))
    options_class = SelfTestOptions
    trigger_config = MqttConfig
    app_config = MqttAppConfig

    async def run(self) -> int | None:
        app, context = self.context.app, self.context
        manifest = manifest_name(app)
        to = broker(context.app_config, app, manifest)
        # As for Redis: no worker kept while idle (a message after a quiet spell may wait for one).
        async with context.open_guest_pool(
            (t.config.component for t in context.trigger_configs), warm_workers=0
        ) as pool:
            subscriptions = []
            for t in context.trigger_configs:
                guest = pool.guests[t.config.component]
                require_export(guest, EXPORT, world=WORLD, signature=SIGNATURE, **FROM_PLUGIN)
                what = f"{manifest}: mqtt {t.id!r} topic"
                topic = render(t.config.topic, app.variables, what=what)
                subscriptions.append(Subscription(t, topic, guest, f"spin-{app.name}-{t.id}"))
            if context.executor_options.test:
                outcomes = [await s.handle(b"test message", "test") for s in subscriptions]
                return 0 if all(outcomes) else 1
            await self._serve(subscriptions, *to)
        return None

    async def _serve(self, subscriptions: list[Subscription], at: str, connect: Connect) -> None:
        stopping = self.context.stopping
        log.info("broker %s, %d trigger(s)", at, len(subscriptions))
        try:
            async with anyio.create_task_group() as group:
                for subscription in subscriptions:
                    connect(subscription.client)
                    subscription.client.loop_start()
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
                subscription.client.disconnect()
                await anyio.to_thread.run_sync(subscription.client.loop_stop)

    async def _ready_once_subscribed(self, subscriptions: list[Subscription]) -> None:
        for subscription in subscriptions:
            await subscription.subscribed.wait()
        if not self.context.stopping.is_set():
            self.context.notify_ready()
