"""The `spin-trigger-mqtt` program, which `spin up` starts for an app's MQTT triggers."""

from spin.trigger import main as run_executor
from spin_trigger_mqtt.executor import MqttTrigger


def main() -> None:
    run_executor(MqttTrigger)


if __name__ == "__main__":
    main()
