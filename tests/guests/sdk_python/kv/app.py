"""spin-sdk 3.4.1 HTTP app: counts its requests in the default key-value store.

It reads key `counter` (a decimal string), adds one, writes it back and returns the new value
as text. get-then-set is not atomic (neither is it under Spin through this interface).
A store error is answered 500 with the error as text.
"""

from spin_sdk import http, key_value
from spin_sdk.http import Request, Response
from spin_sdk.wit.types import Err

KEY = "counter"


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        try:
            with key_value.open_default() as store:
                current = store.get(KEY)
                count = int(current.decode()) + 1 if current else 1
                store.set(KEY, str(count).encode())
        except Err as err:
            message = f"key-value error: {err.value!r}"
            return Response(500, {"content-type": "text/plain"}, message.encode())
        return Response(200, {"content-type": "text/plain"}, str(count).encode())
