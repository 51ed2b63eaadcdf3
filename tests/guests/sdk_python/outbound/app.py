"""spin-sdk 3.4.1 HTTP app: forwards the request to another URL with spin_sdk.http.send.

The target comes from the `x-target-url` header, else from the `url` query parameter. The
incoming method and body are forwarded. The answer is 200 with the target's status in
`x-outbound-status` and its body, or 502 with the error the host returned as text
(for example `ErrorCode_HttpRequestDenied()` when the host is not allowed).
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk import http
from spin_sdk.http import Request, Response
from spin_sdk.wit.types import Err


def target_of(request: Request) -> str | None:
    url = request.headers.get("x-target-url")
    if url:
        return url
    values = parse_qs(urlsplit(request.uri).query).get("url")
    return values[0] if values else None


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        url = target_of(request)
        if url is None:
            return Response(400, {"content-type": "text/plain"}, b"no x-target-url or ?url=")
        body = request.body if request.method not in ("GET", "HEAD") else None
        try:
            answer = http.send(Request(request.method, url, {}, body))
        except Err as err:
            message = f"outbound error: {err.value!r}"
            return Response(502, {"content-type": "text/plain"}, message.encode())
        headers = {
            "content-type": answer.headers.get("content-type", "application/octet-stream"),
            "x-outbound-status": str(answer.status),
        }
        return Response(200, headers, answer.body or b"")
