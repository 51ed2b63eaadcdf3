"""spin-sdk 3.4.1 HTTP app for bench/kv: `n` key-value operations in one request.

Query: `op` is `get`, `set` (fermyon:spin/key-value@2.0.0 on the default store), `incr`
(wasi:keyvalue/atomics.increment) or `none` (the same loop doing nothing, no store opened);
`n` is how many (default 1). Answers the number of operations done.
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk import http, key_value
from spin_sdk.http import Request, Response
from spin_sdk.wit.imports import atomics
from spin_sdk.wit.imports import wasi_keyvalue_store as wasi_store

VALUE = b"x" * 100


def run(op: str, n: int) -> None:
    if op == "none":
        for _ in range(n):
            pass
    elif op == "incr":
        with wasi_store.open("default") as bucket:
            for _ in range(n):
                atomics.increment(bucket, "bench-counter", 1)
    else:
        with key_value.open_default() as store:
            if op == "set":
                for i in range(n):
                    store.set(f"bench-{i % 100}", VALUE)
            else:
                for i in range(n):
                    store.get(f"bench-{i % 100}")


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        query = parse_qs(urlsplit(request.uri).query)
        op, n = query.get("op", ["none"])[0], int(query.get("n", ["1"])[0])
        run(op, n)
        return Response(200, {"content-type": "text/plain"}, str(n).encode())
