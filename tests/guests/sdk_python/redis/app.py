"""spin-sdk 3.4.1 Redis app (world spin-redis): writes each message it receives to stdout."""

import sys

from spin_sdk.wit import exports


class InboundRedis(exports.InboundRedis):
    def handle_message(self, message: bytes) -> None:
        text = message.decode("utf-8", errors="replace")
        sys.stdout.write(f"redis message: {text}\n")
        sys.stdout.flush()
