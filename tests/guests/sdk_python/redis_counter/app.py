"""spin-sdk 3.4.1 Redis app (world spin-redis): counts its messages in the default key-value
store with `wasi:keyvalue/atomics.increment` (key `hits`, by the message's integer, default 1).

A store error is written to stdout (a Redis handler has no response to carry it).
"""

import sys

from spin_sdk.wit import exports
from spin_sdk.wit.imports import atomics
from spin_sdk.wit.imports import wasi_keyvalue_store as store
from spin_sdk.wit.types import Err


class InboundRedis(exports.InboundRedis):
    def handle_message(self, message: bytes) -> None:
        delta = int(message) if message.strip().isdigit() else 1
        try:
            with store.open("default") as bucket:
                atomics.increment(bucket, "hits", delta)
        except Err as err:
            sys.stdout.write(f"key-value error: {err.value!r}\n")
            sys.stdout.flush()
