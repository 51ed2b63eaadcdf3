"""The running Redis executor: load the components, subscribe, serve, stop cleanly.

Start-up failures (bad config, invalid Wasm, an address that refuses the connection) are
`SpinError`s. Once serving, a guest failure is only logged, a lost connection is re-established
(see `subscriber`), and the executor runs until SIGTERM (exit 0) or until Redis stays away for
longer than `--max-reconnect-time` (exit `EXIT_REDIS_UNAVAILABLE`).
"""

from __future__ import annotations

import logging
import sys

import anyio

from spin.errors import SpinError
from spin.executors.redis.config import AddressSubscriptions, plan_subscriptions
from spin.executors.redis.dispatch import MessageDispatcher
from spin.executors.redis.subscriber import ChannelSubscriber, MessageCallback, RedisUnavailable
from spin.runtime.pool.pool import PooledGuest
from spin.trigger import TriggerContext

log = logging.getLogger("spin.redis")

#: What a guest must export to handle messages: a Spin 1.x module's function, a component's
#: interface.
SPIN1_EXPORT = "handle-redis-message"
COMPONENT_EXPORT = "fermyon:spin/inbound-redis"
#: EX_TEMPFAIL from sysexits.h: "try again later", for a supervisor to restart us.
EXIT_REDIS_UNAVAILABLE = 75
#: The guest workers yield the CPU to the executor when both want it: the executor's loop reads
#: from Redis and must keep up with a burst, while handling can wait in the buffer. Without it,
#: on a busy 2-CPU machine Redis dropped the subscriber during a 60k x 1 KB burst (47% handled).
WORKER_NICENESS = 5
#: Guest calls in flight (running or queued for a worker) per worker process the pool may grow
#: to; further messages wait in the dispatcher's buffer, to be handed over in batches.
PENDING_CALLS_PER_WORKER = 2


async def serve(context: TriggerContext) -> int:
    plan = plan_subscriptions(context.app, context.trigger_configs, context.app_config)
    # None kept warm: a message after a quiet period may wait for a worker to start (about
    # 1 s), which a subscriber can afford; an idle executor then holds no worker.
    async with context.open_guest_pool(
        _component_ids(plan),
        warm_workers=0,
        max_workers=context.wasm_workers_max(),
        niceness=WORKER_NICENESS,
    ) as pool:
        for guest in pool.guests.values():
            _check_handles_redis(guest)
        async with anyio.create_task_group() as handlers:
            dispatcher = MessageDispatcher(handlers, PENDING_CALLS_PER_WORKER * pool.max_size)
            subscribers = [
                ChannelSubscriber(
                    subscriptions.address,
                    list(subscriptions.channels),
                    _router(dispatcher, subscriptions, pool.guests),
                    max_reconnect_time=context.executor_options.max_reconnect_time,
                    backlog=lambda: dispatcher.backlog,
                )
                for subscriptions in plan
            ]
            await _start(subscribers)
            _print_active_channels(plan)
            context.notify_ready()
            code = await _serve_until_stopped(subscribers, context.stopping)
            log.debug("draining messages in flight")
        return code


def _component_ids(plan: list[AddressSubscriptions]) -> list[str]:
    """Every component the subscriptions name."""
    return [
        component_id
        for subscriptions in plan
        for components in subscriptions.channels.values()
        for component_id in components
    ]


def _check_handles_redis(guest: PooledGuest) -> None:
    """Refuse at start, not on every message, a component that cannot take Redis messages."""
    if (guest.kind == "spin1" and SPIN1_EXPORT in guest.exports) or (
        guest.kind == "component" and COMPONENT_EXPORT in guest.exports
    ):
        return
    raise SpinError(
        f"Component {guest.id!r} cannot handle Redis messages: it exports neither "
        f"`{SPIN1_EXPORT}` (Spin 1.x module) nor `{COMPONENT_EXPORT}` (component). Exports "
        f"found: {', '.join(sorted(guest.exports)) or 'none'}. Point its Redis trigger at a "
        "Redis component, or rebuild it with the Spin Redis SDK."
    )


def _router(
    dispatcher: MessageDispatcher,
    subscriptions: AddressSubscriptions,
    guests: dict[str, PooledGuest],
) -> MessageCallback:
    """The message callback of one connection: its channel -> its components."""
    by_channel = {
        channel: [guests[component_id] for component_id in components]
        for channel, components in subscriptions.channels.items()
    }

    async def on_message(channel: str, payload: bytes) -> None:
        await dispatcher.dispatch(channel, payload, by_channel.get(channel, []))

    return on_message


async def _start(subscribers: list[ChannelSubscriber]) -> None:
    started: list[ChannelSubscriber] = []
    try:
        for subscriber in subscribers:
            await subscriber.start()
            started.append(subscriber)
    except BaseException:
        for subscriber in started:
            await subscriber.close()
        raise


def _print_active_channels(plan: list[AddressSubscriptions]) -> None:
    lines = []
    for subscriptions in plan:
        lines.append(f"Active Channels on {subscriptions.display_address}:")
        for channel, components in subscriptions.channels.items():
            lines.append(f"\t{channel}: [{', '.join(components)}]")
    print("\n".join(lines), file=sys.stdout, flush=True)


async def _serve_until_stopped(subscribers: list[ChannelSubscriber], stopping: anyio.Event) -> int:
    """Serve until a graceful stop (0) or until one server stays unreachable (75); either way,
    unsubscribe everywhere before returning."""
    finished = anyio.Event()
    exit_code = 0

    async def serve_one(subscriber: ChannelSubscriber) -> None:
        nonlocal exit_code
        try:
            await subscriber.serve()
        except RedisUnavailable as err:
            log.error("%s Exiting with code %d.", err, EXIT_REDIS_UNAVAILABLE)
            exit_code = EXIT_REDIS_UNAVAILABLE
            finished.set()

    async def wait_for_stop() -> None:
        await stopping.wait()
        finished.set()

    async with anyio.create_task_group() as serving:
        for subscriber in subscribers:
            serving.start_soon(serve_one, subscriber)
        serving.start_soon(wait_for_stop)
        await finished.wait()
        async with anyio.create_task_group() as stoppers:
            for subscriber in subscribers:
                stoppers.start_soon(subscriber.stop)
        serving.cancel_scope.cancel()
    return exit_code
