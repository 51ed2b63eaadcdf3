"""Spin 1.x's `outbound-redis` for modules built by Spin's 1.x SDKs, through redis-py.

Every function takes the server's address first and, last, the address of its
`expected<T, error>` result: a discriminant byte at 0 and the payload at T's alignment (unit:
none; `list<u8>`, `list<string>`, `list<redis-result>`: (ptr, len) at 4; s64 at 8). The error
is an enum whose only failure case is `error` (1). The address must be allowed by the
component's `allowed_outbound_hosts` (checked before connecting, with a warning, as the
component interfaces do: `host_interfaces.redis.client_for`); a missing key reads as an empty
payload, as in Spin 1.x.

`execute` takes a `list<redis-parameter>` of 16-byte cases (int64 s64 | binary (ptr, len), the
payload at 8) and answers a `list<redis-result>` of 16-byte cases (nil | status string |
int64 | binary).
"""

from __future__ import annotations

import logging
import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import wasmtime

from spin.runtime.host_interfaces.redis import RedisFailure, client_for, result_value
from spin.runtime.spin1.abi import GuestMemory, Lowering

if TYPE_CHECKING:
    import redis

    from spin.runtime.host_interfaces import SpinHost

log = logging.getLogger("spin.runtime")

#: outbound-redis's `error::error`.
REDIS_ERROR = 1
#: Offset of the payload in each function's `expected<T, error>` result.
PAYLOAD_OFFSET = {
    "publish": 1,
    "set": 1,
    "get": 4,
    "smembers": 4,
    "execute": 4,
    "incr": 8,
    "del": 8,
    "sadd": 8,
    "srem": 8,
}
RESULT_CASES = {"nil": 0, "status": 1, "int64": 2, "binary": 3}
CASE = struct.Struct("<B7xQ")  # a 16-byte variant: discriminant, payload at 8
LIST = struct.Struct("<II")

HostFunction = Callable[..., None]


def redis_functions(host: SpinHost) -> dict[str, HostFunction]:
    """The host functions of `outbound-redis`, by import name, for one component."""

    def client(memory: GuestMemory, ptr: int, size: int) -> redis.Redis:
        return client_for(host, memory.read_string(ptr, size))

    def strings(memory: GuestMemory, ptr: int, count: int) -> list[str]:
        return [memory.read_string(*LIST.unpack(memory.read(ptr + 8 * i, 8))) for i in range(count)]

    def publish(m: GuestMemory, ap: int, al: int, cp: int, cl: int, pp: int, pl: int) -> bytes:
        client(m, ap, al).publish(m.read_string(cp, cl), m.read(pp, pl))
        return b""

    def get(m: GuestMemory, ap: int, al: int, kp: int, kl: int) -> bytes:
        value = client(m, ap, al).get(m.read_string(kp, kl))
        return LIST.pack(*m.put_bytes(bytes(value or b"")))

    def set_value(m: GuestMemory, ap: int, al: int, kp: int, kl: int, vp: int, vl: int) -> bytes:
        client(m, ap, al).set(m.read_string(kp, kl), m.read(vp, vl))
        return b""

    def incr(m: GuestMemory, ap: int, al: int, kp: int, kl: int) -> bytes:
        return struct.pack("<q", client(m, ap, al).incr(m.read_string(kp, kl)))

    def delete(m: GuestMemory, ap: int, al: int, lp: int, ln: int) -> bytes:
        keys = strings(m, lp, ln)
        return struct.pack("<q", client(m, ap, al).delete(*keys) if keys else 0)

    def sadd(m: GuestMemory, ap: int, al: int, kp: int, kl: int, lp: int, ln: int) -> bytes:
        count = client(m, ap, al).sadd(m.read_string(kp, kl), *strings(m, lp, ln))
        return struct.pack("<q", count)

    def srem(m: GuestMemory, ap: int, al: int, kp: int, kl: int, lp: int, ln: int) -> bytes:
        count = client(m, ap, al).srem(m.read_string(kp, kl), *strings(m, lp, ln))
        return struct.pack("<q", count)

    def smembers(m: GuestMemory, ap: int, al: int, kp: int, kl: int) -> bytes:
        members = client(m, ap, al).smembers(m.read_string(kp, kl))
        names = sorted(v.decode() if isinstance(v, bytes) else str(v) for v in members)
        return LIST.pack(*lower_list(m, [LIST.pack(*m.put_bytes(n.encode())) for n in names]))

    def execute(m: GuestMemory, ap: int, al: int, cp: int, cl: int, lp: int, ln: int) -> bytes:
        arguments = [parameter(m, lp + CASE.size * i) for i in range(ln)]
        reply = client(m, ap, al).execute_command(m.read_string(cp, cl), *arguments)
        items = reply if isinstance(reply, list) else [reply]
        return LIST.pack(*lower_list(m, [result_case(m, item) for item in items]))

    functions = {
        "publish": publish,
        "get": get,
        "set": set_value,
        "incr": incr,
        "del": delete,
        "sadd": sadd,
        "srem": srem,
        "smembers": smembers,
        "execute": execute,
    }
    return {name: _expected(host, name, PAYLOAD_OFFSET[name], fn) for name, fn in functions.items()}


def _is_redis_error(err: Exception) -> bool:
    """Whether `err` is redis-py's, without importing redis-py: a module never imported raised
    nothing. Importing it to link the host functions cost every worker 8 MB of private memory
    (redis-py brings asyncio, importlib.metadata and its observability modules), for the few
    guests that ever call outbound-redis."""
    redis = sys.modules.get("redis")
    return redis is not None and isinstance(err, redis.RedisError)


def lower_list(memory: GuestMemory, entries: list[bytes]) -> tuple[int, int]:
    """Elements already laid out (each a fixed-size bytes) into one guest block: (ptr, count)."""
    data = b"".join(entries)
    if not data:
        return 0, 0
    values = Lowering(memory)
    ptr = memory.alloc(len(data), 8)
    values.pieces.append((ptr, data))
    values.finish()
    return ptr, len(entries)


def parameter(memory: GuestMemory, ptr: int) -> int | bytes:
    case, payload = CASE.unpack(memory.read(ptr, CASE.size))
    if case == 0:
        return struct.unpack("<q", struct.pack("<Q", payload))[0]
    data_ptr, size = LIST.unpack(memory.read(ptr + 8, 8))
    return memory.read(data_ptr, size)


def result_case(memory: GuestMemory, item: Any) -> bytes:
    value = result_value(item)
    case = RESULT_CASES[value.tag]
    if value.tag == "nil":
        return CASE.pack(case, 0)
    if value.tag == "int64":
        return struct.pack("<B7xq", case, value.payload)
    data = value.payload.encode() if isinstance(value.payload, str) else value.payload
    return struct.pack("<B7xII", case, *memory.put_bytes(data))


def _expected(
    host: SpinHost, name: str, offset: int, function: Callable[..., bytes]
) -> HostFunction:
    """Run `function(memory, *args)` and write `ok(payload)` or `err(error)` at the result."""

    def call(caller: wasmtime.Caller, *args: int) -> None:
        memory = GuestMemory(caller, caller.get)
        ret = args[-1]
        try:
            payload = function(memory, *args[:-1])
        except Exception as err:
            if not isinstance(err, (RedisFailure, OSError)) and not _is_redis_error(err):
                raise
            if not isinstance(err, RedisFailure):  # a RedisFailure was logged where it arose
                log.warning("Component %r: outbound-redis %s: %s", host.component_id, name, err)
            memory.write(ret, b"\1")
            memory.write(ret + offset, bytes([REDIS_ERROR]))
            return
        memory.write(ret, b"\0")
        if payload:
            memory.write(ret + offset, payload)

    return call
