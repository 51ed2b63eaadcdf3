"""`spin-trigger-mqtt`: the MQTT trigger of Spin's `spin-trigger-mqtt` plugin as an external
trigger executor, built only on the public shared trigger library (`spin.trigger`,
`spin.trigger.wasm`). An app written for the plugin runs unchanged.
"""

from spin_trigger_mqtt.executor import MqttTrigger

__all__ = ["MqttTrigger"]
