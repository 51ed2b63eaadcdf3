"""Outbound Redis for components: `fermyon:spin/redis@2.0.0` and `spin:redis/redis@3.0.0`,
through redis-py.

`open(address)` checks the address against the component's `allowed_outbound_hosts` first (a
`redis://` URL; without a port, Redis's 6379): a denied or malformed address is
`invalid-address` and nothing connects, as in Spin. An allowed one is connected at once (a PING),
so an unreachable server is `other(msg)` from `open`, with a log line naming the address.
Clients are kept per address for the component's life (Spin also reuses its connections).
`execute` answers the reply as a list: nil, status, int64 or binary (an array's items each).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wasmtime.component import Variant

from spin.allowed_hosts.rules import InvalidUrl, parse_url
from spin.runtime.host_interfaces import log, spin_host, unavailable
from spin.runtime.wasi.p2.host import Err, Resource, WasiCall
from spin.runtime.wasi.p2.registry import Interface

if TYPE_CHECKING:
    import redis

    from spin.runtime.host_interfaces import SpinHost

fermyon = Interface("fermyon:spin/redis", error=unavailable("other"))
spin3 = Interface("spin:redis/redis", error=unavailable("other"))

SCHEME = "redis"
CONNECT_TIMEOUT = 5.0  # seconds to connect to a server
COMMAND_TIMEOUT = 30.0  # seconds for one reply


class RedisFailure(Exception):
    def __init__(self, value: Variant) -> None:
        super().__init__(value)
        self.value = value


class RedisClients:
    """One component's redis-py clients, by address."""

    def __init__(self, component_id: str) -> None:
        self.component_id = component_id
        self._clients: dict[str, redis.Redis] = {}
        self._lock = threading.Lock()

    def connect(self, address: str) -> redis.Redis:
        import redis

        with self._lock:
            client = self._clients.get(address)
            if client is None:
                client = redis.Redis.from_url(
                    address,
                    socket_connect_timeout=CONNECT_TIMEOUT,
                    socket_timeout=COMMAND_TIMEOUT,
                )
                self._clients[address] = client
        try:
            client.ping()
        except (redis.RedisError, OSError) as err:
            log.warning(
                "Component %r: cannot reach the Redis server at %s: %s",
                self.component_id,
                address,
                err,
            )
            raise RedisFailure(Variant("other", f"cannot reach {address}: {err}")) from None
        return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


class Connection(Resource):
    def __init__(self, client: redis.Redis, address: str) -> None:
        self.client = client
        self.address = address


def errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Redis failures become the interface's error values: a WRONGTYPE reply `type-error`,
    anything else `other(msg)`."""

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except RedisFailure as failure:
            raise Err(failure.value) from None
        except redis.ResponseError as err:
            if str(err).startswith("WRONGTYPE"):
                raise Err(Variant("type-error")) from None
            raise Err(Variant("other", str(err))) from None
        except (redis.RedisError, OSError) as err:
            raise Err(Variant("other", f"Redis: {err}")) from None

    return call


def client_for(host: SpinHost, address: str) -> redis.Redis:
    """A connected client for `address` if the component may reach it; RedisFailure (with the
    interface's error value) otherwise. Shared with Spin 1.x's `outbound-redis`."""
    try:
        url = parse_url(address, SCHEME)
    except InvalidUrl:
        log.warning("Component %r: %r is not a Redis address", host.component_id, address)
        raise RedisFailure(Variant("invalid-address")) from None
    if url.scheme not in (SCHEME, "rediss") or not host.outbound.allowed.allows(url):
        host.log_disallowed("Redis", url)
        raise RedisFailure(Variant("invalid-address"))
    return host.redis.connect(address)


@errors
def open_connection(call: WasiCall, address: str) -> Connection:
    return Connection(client_for(spin_host(call), address), address)


def execute(call: WasiCall, c: Connection, command: str, arguments: list[Variant]) -> list[Any]:
    reply = c.client.execute_command(command, *(a.payload for a in arguments))
    items = reply if isinstance(reply, list) else [reply]
    return [result_value(item) for item in items]


def result_value(item: Any) -> Variant:
    if item is None:
        return Variant("nil")
    if item is True:  # redis-py turns a command's "OK" status into True
        return Variant("status", "OK")
    if isinstance(item, int):
        return Variant("int64", item)
    if isinstance(item, bytes):
        return Variant("binary", item)
    if isinstance(item, str):
        return Variant("status", item)
    return Variant("binary", str(item).encode())


def publish(call: WasiCall, c: Connection, channel: str, payload: bytes) -> None:
    c.client.publish(channel, bytes(payload))


def set_value(call: WasiCall, c: Connection, key: str, value: bytes) -> None:
    c.client.set(key, bytes(value))


def _strings(values: Any) -> list[str]:
    return sorted(v.decode() if isinstance(v, bytes) else str(v) for v in values)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[static]connection.open": open_connection,
    "[method]connection.publish": publish,
    "[method]connection.get": lambda call, c, key: c.client.get(key),
    "[method]connection.set": set_value,
    "[method]connection.incr": lambda call, c, key: int(c.client.incr(key)),
    "[method]connection.del": lambda call, c, keys: int(c.client.delete(*keys)) if keys else 0,
    "[method]connection.sadd": lambda call, c, key, values: int(c.client.sadd(key, *values)),
    "[method]connection.smembers": lambda call, c, key: _strings(c.client.smembers(key)),
    "[method]connection.srem": lambda call, c, key, values: int(c.client.srem(key, *values)),
    "[method]connection.execute": execute,
}

for _interface in (fermyon, spin3):
    for _name, _fn in FUNCTIONS.items():
        _interface.func(_name)(errors(_fn))

INTERFACES = (fermyon, spin3)
