"""One subscription connection to one Redis server, kept alive across server restarts.

Spin's own Redis trigger exits when its connection drops. This one logs the loss, reconnects
with capped exponential backoff, subscribes to its channels again and carries on; if
`max_reconnect_time` passes without a connection it raises `RedisUnavailable`.

redis-py's own retrying is switched off (`retries=0`): this module decides when to reconnect,
so that the log says what happened and the give-up deadline is honoured.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable

import anyio
import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from spin.backoff import Backoff
from spin.errors import SpinError
from spin.executors.redis.config import redacted

log = logging.getLogger("spin.redis")

#: Called for every message: (channel, payload).
MessageCallback = Callable[[str, bytes], Awaitable[None]]

CONNECT_TIMEOUT = 5.0
#: The longest wait between two reconnection attempts (they start at 0.1 s and double).
RECONNECT_BACKOFF_CAP = 5.0
#: How long a graceful stop waits for Redis to confirm the unsubscribe.
UNSUBSCRIBE_TIMEOUT = 2.0


class RedisUnavailable(Exception):
    """The server stayed unreachable for longer than the allowed reconnect time."""


class ChannelSubscriber:
    """Subscribes to `channels` on `address` and passes each message to `on_message`."""

    def __init__(
        self,
        address: str,
        channels: list[str],
        on_message: MessageCallback,
        *,
        max_reconnect_time: float | None = None,
        backoff: Backoff | None = None,
        backlog: Callable[[], int] | None = None,
    ) -> None:
        self.address = address
        self.channels = channels
        self.on_message = on_message
        self.max_reconnect_time = math.inf if max_reconnect_time is None else max_reconnect_time
        self.backoff = backoff or Backoff(cap=RECONNECT_BACKOFF_CAP)
        #: messages received but not yet handed to a component, for the log when Redis hangs up
        self.backlog = backlog or (lambda: 0)
        self._client: aioredis.Redis | None = None
        self._pubsub: PubSub | None = None
        self._stopping = False
        self._serve_scope = anyio.CancelScope()
        self._served = anyio.Event()

    async def start(self) -> None:
        """Connect and subscribe for the first time; a failure here is the user's to fix."""
        try:
            await self._subscribe()
        except (RedisError, OSError, ValueError) as err:
            await self.close()
            raise SpinError(
                f"Cannot subscribe to Redis at {redacted(self.address)}: {err}. "
                "Check that the server is running and the trigger's `address` is right."
            ) from err

    async def serve(self) -> None:
        """Pass messages on until `stop()`; reconnect whenever the connection drops."""
        try:
            with self._serve_scope:
                while not self._stopping:
                    try:
                        await self._read_messages()
                    except (RedisError, OSError) as err:
                        if self._stopping:
                            break
                        await self._reconnect(err)
        finally:
            await self.close()
            self._served.set()

    async def stop(self) -> None:
        """Unsubscribe and let `serve()` return once Redis has confirmed it (messages already
        received are still passed on); without a live subscription, `serve()` just ends."""
        self._stopping = True
        pubsub = self._pubsub
        if pubsub is not None and pubsub.subscribed:
            with anyio.move_on_after(UNSUBSCRIBE_TIMEOUT):
                try:
                    await pubsub.unsubscribe()
                    await self._served.wait()
                except (RedisError, OSError) as err:
                    log.debug("unsubscribe from %s failed: %s", redacted(self.address), err)
        self._serve_scope.cancel()

    async def _subscribe(self) -> None:
        """A fresh connection, subscribed to every channel, confirmed by the server."""
        await self.close()
        self._client = aioredis.Redis.from_url(
            self.address,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_keepalive=True,
        )
        self._pubsub = self._client.pubsub()
        await self._pubsub.subscribe(*self.channels)
        pending = set(self.channels)
        with anyio.fail_after(CONNECT_TIMEOUT):
            while pending:
                reply = await self._pubsub.get_message(timeout=None)
                if reply and reply["type"] == "subscribe":
                    pending.discard(_text(reply["channel"]))

    async def _read_messages(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        while pubsub.subscribed:
            reply = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if reply is not None and reply["type"] == "message":
                await self.on_message(_text(reply["channel"]), reply["data"])
        self._stopping = True

    async def _reconnect(self, error: BaseException) -> None:
        where = redacted(self.address)
        log.warning("lost the connection to Redis at %s (%s): reconnecting", where, error)
        waiting = self.backlog()
        if waiting:
            log.error(
                "Redis at %s closed the subscription while %d messages were still waiting to be "
                "handled here: most likely it dropped this subscriber at its pub/sub output "
                "buffer limit (`CONFIG GET client-output-buffer-limit`, 32 MB by default) because "
                "messages arrived faster than the components handled them. Messages published "
                "until the reconnect are lost; raise the limit, add --wasm-workers, or make the "
                "handlers faster.",
                where,
                waiting,
            )
        started = time.monotonic()
        attempts = 0
        self.backoff.reset()
        while not self._stopping:
            attempts += 1
            try:
                await self._subscribe()
            except (RedisError, OSError, TimeoutError) as err:
                elapsed = time.monotonic() - started
                if elapsed >= self.max_reconnect_time:
                    await self.close()
                    raise RedisUnavailable(
                        f"Redis at {where} has been unreachable for {elapsed:.1f}s "
                        f"({attempts} attempts; last error: {err}); giving up."
                    ) from err
                delay = min(self.backoff.next_delay(), self.max_reconnect_time - elapsed)
                log.info("reconnect to %s failed (%s); retrying in %.1fs", where, err, delay)
                await anyio.sleep(delay)
            else:
                log.info(
                    "reconnected to Redis at %s after %.1fs; subscribed again to %s",
                    where,
                    time.monotonic() - started,
                    ", ".join(self.channels),
                )
                return

    async def close(self) -> None:
        """Drop the connection (shielded: it also runs while being cancelled)."""
        pubsub, client = self._pubsub, self._client
        self._pubsub = self._client = None
        with anyio.CancelScope(shield=True):
            for closable in (pubsub, client):
                if closable is not None:
                    try:
                        await closable.aclose()
                    except (RedisError, OSError) as err:
                        log.debug("closing the connection to %s: %s", redacted(self.address), err)


def _text(channel: bytes | str) -> str:
    return channel.decode("utf-8", "replace") if isinstance(channel, bytes) else channel
