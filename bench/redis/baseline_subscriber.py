"""The benchmark's baseline: a plain redis.asyncio subscriber doing what the Redis executor does
for a guest that prints its payload, minus Wasm: append the payload (and a newline) to a log
file and echo it.

Usage: baseline_subscriber.py REDIS_URL CHANNEL LOG_FILE. Prints "ready" once subscribed.
"""

from __future__ import annotations

import sys

import anyio
import redis.asyncio as aioredis


async def main(url: str, channel: str, log_path: str) -> None:
    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    while (await pubsub.get_message(timeout=None) or {}).get("type") != "subscribe":
        pass
    print("ready", flush=True)
    with open(log_path, "ab") as log:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None:
                line = message["data"] + b"\n"  # as the log guests print it
                log.write(line)
                log.flush()
                sys.stdout.buffer.write(line)
                sys.stdout.buffer.flush()


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:4])
