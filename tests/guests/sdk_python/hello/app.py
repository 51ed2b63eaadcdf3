"""spin-sdk 3.4.1 HTTP app: answers every request with a fixed greeting and a custom header."""

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        headers = {"content-type": "text/plain", "x-hello": "sdk-python"}
        return Response(200, headers, b"Hello from Python SDK")
