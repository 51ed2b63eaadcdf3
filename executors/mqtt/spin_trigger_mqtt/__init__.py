"""`spin-trigger-mqtt`: the MQTT trigger of Spin's `spin-trigger-mqtt` plugin as an external
executor on the public `spin.trigger` library alone. Apps written for the plugin run unchanged."""

from spin_trigger_mqtt.executor import MqttTrigger as MqttTrigger
