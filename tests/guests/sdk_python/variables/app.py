"""spin-sdk 3.4.1 HTTP app: returns the value of a Spin variable.

The variable is named by the `name` query parameter (default `greeting`). An undefined or
invalid variable is answered 500 with the error as text, e.g. `Error_Undefined(value='...')`.
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk import http, variables
from spin_sdk.http import Request, Response
from spin_sdk.wit.types import Err


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        names = parse_qs(urlsplit(request.uri).query).get("name")
        name = names[0] if names else "greeting"
        try:
            value = variables.get(name)
        except Err as err:
            message = f"variables error: {err.value!r}"
            return Response(500, {"content-type": "text/plain"}, message.encode())
        return Response(200, {"content-type": "text/plain"}, value.encode())
