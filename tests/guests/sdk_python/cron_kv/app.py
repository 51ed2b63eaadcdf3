"""componentize-py app of the cron plugin's world (`cron-kv` in tests/guests/wit: the plugin's
`fermyon:spin-cron/spin-cron@2.0.0` and `fermyon:spin/key-value@2.0.0`): every tick stores
`tick-<metadata.timestamp>` = the timestamp in the default key-value store and prints it.
"""

import wit_world
from wit_world.imports import cron_types, key_value


class WitWorld(wit_world.WitWorld):
    def handle_cron_event(self, metadata: cron_types.Metadata) -> None:
        with key_value.Store.open("default") as store:
            store.set(f"tick-{metadata.timestamp}", str(metadata.timestamp).encode())
        print(f"stored tick-{metadata.timestamp}")
