"""The MQTT benchmark's baseline: a plain Paho subscriber doing the executor's work without
Wasm. It subscribes at QoS 1 with manual acknowledgement, and for each message appends
"<topic> <payload>" to a log file, then acknowledges it, one message at a time, as the
executor does. Prints "ready" once subscribed.

    python baseline_subscriber.py <port> <topic> <log file>
"""

from __future__ import annotations

import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def main() -> None:
    port, topic, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - open for the process's life
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-baseline", manual_ack=True)

    def on_connect(c: mqtt.Client, _u: object, _f: object, _code: object, _p: object) -> None:
        c.subscribe(topic, 1)

    def on_subscribe(*_args: object) -> None:
        print("ready", flush=True)

    def on_message(c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        log.write(message.topic.encode() + b" " + message.payload + b"\n")
        c.ack(message.mid, message.qos)

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
