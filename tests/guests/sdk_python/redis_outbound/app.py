"""spin-sdk 3.4.1 HTTP app: outbound Redis (`fermyon:spin/redis@2.0.0`) with spin_sdk.redis.

The server is the `address` query parameter. The app sets `greeting`, reads it back, increments
`count`, adds two members to the set `colours` and removes one, runs `APPEND greeting !` and
`GET greeting` through `execute`, publishes on channel `news`, deletes `count`, and answers
each result on a line. A Redis error is answered 502 with the error as text (for example
`Error_InvalidAddress()` when allowed_outbound_hosts does not allow the address).
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk import http, redis
from spin_sdk.http import Request, Response
from spin_sdk.wit.imports.redis import RedisParameter_Binary
from spin_sdk.wit.types import Err


def run(address: str) -> list[str]:
    with redis.open(address) as db:
        db.set("greeting", b"hello")
        lines = [repr(db.get("greeting")), repr(db.get("absent"))]
        lines.append(str(db.incr("count")))
        lines.append(str(db.sadd("colours", ["red", "green"])))
        lines.append(str(db.srem("colours", ["red"])))
        lines.append(repr(db.smembers("colours")))
        lines.append(
            repr(
                db.execute(
                    "APPEND", [RedisParameter_Binary(b"greeting"), RedisParameter_Binary(b"!")]
                )
            )
        )
        lines.append(repr(db.execute("GET", [RedisParameter_Binary(b"greeting")])))
        db.publish("news", b"published")
        lines.append(str(db.del_(["count"])))
    return lines


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        query = parse_qs(urlsplit(request.uri).query)
        address = query.get("address", ["redis://127.0.0.1:6379"])[0]
        try:
            lines = run(address)
        except Err as err:
            message = f"redis error: {err.value!r}"
            return Response(502, {"content-type": "text/plain"}, message.encode())
        return Response(200, {"content-type": "text/plain"}, "\n".join(lines).encode())
