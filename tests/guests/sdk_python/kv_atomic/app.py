"""spin-sdk 3.4.1 HTTP app: wasi:keyvalue@0.2.0-draft2 (store, atomics, batch) on a store.

The store is the `store` query parameter (default `default`); the path says what to do:
- `/incr?key=K&delta=N`: `atomics.increment` (atomic in the host), answers the new value;
- `/cas?key=K&value=V`: `cas.new`, then `swap` to V, answers `swapped` or `cas-failed`;
- `/batch`: `set-many` a=1 b=2, `get-many` a b missing, `delete-many` a, answers what it saw;
- `/keys`: `list-keys`, answers the keys sorted, comma-separated;
- `/get?key=K`: `bucket.get`, answers the value or `none`.
A store error is answered 500 with the error as text.
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk import http
from spin_sdk.http import Request, Response
from spin_sdk.wit.imports import atomics, batch
from spin_sdk.wit.imports import wasi_keyvalue_store as store
from spin_sdk.wit.types import Err


def run(path: str, query: dict[str, str]) -> str:
    with store.open(query.get("store", "default")) as bucket:
        key = query.get("key", "hits")
        if path == "/incr":
            return str(atomics.increment(bucket, key, int(query.get("delta", "1"))))
        if path == "/cas":
            # swap takes the cas (an own handle), so it is not used in a `with`.
            cas = atomics.Cas.new(bucket, key)
            try:
                atomics.swap(cas, query.get("value", "").encode())
            except Err as err:
                if isinstance(err.value, atomics.CasError_CasFailed):
                    return "cas-failed"
                raise
            return "swapped"
        if path == "/batch":
            batch.set_many(bucket, [("a", b"1"), ("b", b"2")])
            seen = batch.get_many(bucket, ["a", "b", "missing"])
            batch.delete_many(bucket, ["a"])
            return repr(seen) + " " + repr(bucket.exists("a"))
        if path == "/keys":
            return ",".join(sorted(bucket.list_keys(None).keys))
        value = bucket.get(key)
        return "none" if value is None else value.decode()


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        parts = urlsplit(request.uri)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        try:
            text = run(parts.path, query)
        except Err as err:
            message = f"key-value error: {err.value!r}"
            return Response(500, {"content-type": "text/plain"}, message.encode())
        return Response(200, {"content-type": "text/plain"}, text.encode())
