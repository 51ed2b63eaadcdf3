"""componentize-py app of the MQTT plugin's world (`mqtt-reply` in tests/guests/wit: the
plugin's `spin:mqtt-trigger/spin-mqtt` and `fermyon:spin/mqtt@2.0.0`): every message on a
topic is answered on `<topic>/reply` with `reply to <payload>`, at QoS 1, through outbound
MQTT to the broker in the environment variable MQTT_ADDRESS. A failed publish is the
handler's error `other(<the outbound error>)`.
"""

import os

import wit_world
from wit_world.imports import mqtt, spin_mqtt_types
from wit_world.types import Err


class WitWorld(wit_world.WitWorld):
    def handle_message(self, message: bytes, metadata: spin_mqtt_types.Metadata) -> None:
        print(f"received {message!r} on {metadata.topic}")
        try:
            with mqtt.Connection.open(os.environ["MQTT_ADDRESS"], "", "", 30) as connection:
                reply = b"reply to " + message
                connection.publish(f"{metadata.topic}/reply", reply, mqtt.Qos.AT_LEAST_ONCE)
        except Err as err:
            raise Err(spin_mqtt_types.Error_Other(repr(err.value))) from None
