"""The subscription connection and the fan-out, in process, against a real redis-server.

Guests here are plain Python objects behind the dispatcher's `RedisGuest` interface; the
end-to-end tests (test_executor.py) run real Wasm guests in the real executor process.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import anyio
import pytest
import redis.asyncio as aioredis

from spin.backoff import Backoff
from spin.errors import SpinError
from spin.executors.redis.dispatch import MessageDispatcher
from spin.executors.redis.subscriber import ChannelSubscriber, RedisUnavailable
from spin.runtime.errors import GuestError
from tests.support import RedisServer, free_port

pytestmark = pytest.mark.anyio

DEADLINE = 20


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def publisher(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


class Inbox:
    """Collects (channel, payload) pairs and lets a test wait for a count."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._changed = anyio.Event()

    async def __call__(self, channel: str, payload: bytes) -> None:
        self.messages.append((channel, payload))
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, count: int) -> list[tuple[str, bytes]]:
        with anyio.fail_after(DEADLINE):
            while len(self.messages) < count:
                await self._changed.wait()
        return self.messages


async def publish_until_received(
    publisher: aioredis.Redis, inbox: Inbox, channel: str, payload: bytes
) -> None:
    """Publish (again) until the subscriber got it: after a restart, the first publishes may
    reach a server the subscriber has not reconnected to yet."""
    with anyio.fail_after(DEADLINE):
        while (channel, payload) not in inbox.messages:
            await publisher.publish(channel, payload)
            with anyio.move_on_after(0.2):
                await inbox.wait_for(len(inbox.messages) + 1)


async def test_start_subscribes_before_returning_and_messages_arrive_per_channel(
    redis_server: RedisServer, publisher: aioredis.Redis
) -> None:
    inbox = Inbox()
    subscriber = ChannelSubscriber(redis_server.url, ["a", "b"], inbox)
    await subscriber.start()
    async with anyio.create_task_group() as group:
        group.start_soon(subscriber.serve)
        # start() returned only after Redis confirmed both subscriptions: nothing is lost
        assert await publisher.publish("a", b"one") == 1
        assert await publisher.publish("b", b"two") == 1
        assert await inbox.wait_for(2) == [("a", b"one"), ("b", b"two")]
        await subscriber.stop()
    assert await publisher.pubsub_numsub("a", "b") == [(b"a", 0), (b"b", 0)]


async def test_start_against_a_refused_address_is_a_clear_error() -> None:
    subscriber = ChannelSubscriber(f"redis://127.0.0.1:{free_port()}", ["a"], Inbox())
    with pytest.raises(SpinError, match=r"Cannot subscribe to Redis at redis://127\.0\.0\.1:\d+"):
        await subscriber.start()


async def test_reconnects_after_the_server_restarts(
    redis_server: RedisServer, publisher: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spin.redis")
    inbox = Inbox()
    subscriber = ChannelSubscriber(
        redis_server.url, ["a"], inbox, backoff=Backoff(initial=0.05, cap=0.5)
    )
    await subscriber.start()
    async with anyio.create_task_group() as group:
        group.start_soon(subscriber.serve)
        await anyio.to_thread.run_sync(redis_server.stop)
        with anyio.fail_after(DEADLINE):
            while "lost the connection" not in caplog.text:
                await anyio.sleep(0.02)
        await anyio.to_thread.run_sync(redis_server.start)
        await publish_until_received(publisher, inbox, "a", b"after restart")
        assert "reconnected to Redis at" in caplog.text
        await subscriber.stop()


async def test_gives_up_after_max_reconnect_time(redis_server: RedisServer) -> None:
    subscriber = ChannelSubscriber(
        redis_server.url,
        ["a"],
        Inbox(),
        max_reconnect_time=0.5,
        backoff=Backoff(initial=0.05, cap=0.2),
    )
    await subscriber.start()
    await anyio.to_thread.run_sync(redis_server.stop)
    with anyio.fail_after(DEADLINE), pytest.raises(RedisUnavailable, match="giving up"):
        await subscriber.serve()


async def test_stop_while_reconnecting_ends_serve(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spin.redis")
    subscriber = ChannelSubscriber(redis_server.url, ["a"], Inbox(), backoff=Backoff(cap=0.2))
    await subscriber.start()
    await anyio.to_thread.run_sync(redis_server.stop)
    with anyio.fail_after(DEADLINE):
        async with anyio.create_task_group() as group:
            group.start_soon(subscriber.serve)
            while "lost the connection" not in caplog.text:
                await anyio.sleep(0.02)
            await subscriber.stop()


class Rendezvous:
    """Lets its callers on only once `parties` of them are waiting at once."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.all_here = anyio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived == self.parties:
            self.all_here.set()
        with anyio.fail_after(DEADLINE):
            await self.all_here.wait()


class BarrierGuest:
    """Blocks until `parties` guests are inside a call at once: proves calls run concurrently."""

    def __init__(self, component_id: str, barrier: Rendezvous) -> None:
        self.id = component_id
        self.barrier = barrier
        self.payloads: list[bytes] = []

    async def handle_redis(self, payload: bytes) -> None:
        await self.barrier.wait()
        self.payloads.append(payload)


class FailingGuest:
    id = "broken"

    async def handle_redis(self, payload: bytes) -> None:
        raise GuestError(self.id, "guest trapped")


async def test_dispatch_fans_out_concurrently_and_survives_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    barrier = Rendezvous(2)
    one, two = BarrierGuest("one", barrier), BarrierGuest("two", barrier)
    async with anyio.create_task_group() as handlers:
        dispatcher = MessageDispatcher(handlers, max_pending=3)
        await dispatcher.dispatch("events", b"hello", [one, FailingGuest(), two])
    assert one.payloads == two.payloads == [b"hello"]
    assert caplog.text.count("failed to handle a message") == 1
    assert "component 'broken' failed to handle a message on channel 'events'" in caplog.text
    assert "guest trapped" in caplog.text


async def test_a_drop_with_messages_waiting_is_logged_with_its_likely_cause(
    redis_server: RedisServer, publisher: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox()
    subscriber = ChannelSubscriber(
        redis_server.url, ["events"], inbox, backlog=lambda: 1234, backoff=Backoff(cap=0.05)
    )
    await subscriber.start()
    async with anyio.create_task_group() as serving:
        serving.start_soon(subscriber.serve)
        await publish_until_received(publisher, inbox, "events", b"before")
        await publisher.client_kill_filter(_type="pubsub")  # as Redis does at its buffer limit
        with anyio.fail_after(DEADLINE):
            while "1234 messages were still waiting" not in caplog.text:
                await anyio.sleep(0.01)
        await subscriber.stop()
    assert "pub/sub output buffer limit" in caplog.text


class GatedGuest:
    """Handles nothing until its gate opens: guests far slower than the burst."""

    id = "gated"

    def __init__(self) -> None:
        self.gate = anyio.Event()
        self.handled = 0

    async def handle_redis(self, payload: bytes) -> None:
        await self.gate.wait()
        self.handled += 1

    async def handle_redis_batch(self, payloads: list[bytes]) -> list[str | None]:
        await self.gate.wait()
        self.handled += len(payloads)
        return [None] * len(payloads)


async def test_a_burst_is_read_while_the_guests_are_busy(
    redis_server: RedisServer, publisher: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # Redis drops a subscriber whose unread output passes its limit (8 MB here; 32 MB by
    # default). Before, reading waited for a free call slot, so a burst bigger than the
    # sockets hold plus that limit was dropped (60k x 1 KB: 11% handled).
    await publisher.config_set("client-output-buffer-limit", "pubsub 8388608 0 0")
    guest, count, received = GatedGuest(), 2000, [0]
    async with anyio.create_task_group() as handlers:
        dispatcher = MessageDispatcher(handlers, max_pending=4)

        async def on_message(channel: str, payload: bytes) -> None:
            received[0] += 1
            await dispatcher.dispatch(channel, payload, [guest])

        subscriber = ChannelSubscriber(
            redis_server.url, ["burst"], on_message, backlog=lambda: dispatcher.backlog
        )
        await subscriber.start()
        handlers.start_soon(subscriber.serve)
        for start in range(0, count, 50):  # 32 MB in pipelined batches of 800 KB
            pipe = publisher.pipeline(transaction=False)
            for n in range(start, start + 50):
                pipe.publish("burst", b"%05d" % n + b"x" * (16 * 1024 - 5))
            await pipe.execute()
        with anyio.fail_after(DEADLINE):
            while received[0] < count:
                await anyio.sleep(0.01)
        guest.gate.set()
        with anyio.fail_after(DEADLINE):
            while guest.handled < count:
                await anyio.sleep(0.01)
        await subscriber.stop()
    assert "lost the connection" not in caplog.text
