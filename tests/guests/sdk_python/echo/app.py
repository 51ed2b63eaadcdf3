"""spin-sdk 3.4.1 HTTP app: returns the request body and reflects what it received in headers.

`x-echo-method`, `x-echo-uri` and `x-echo-content-type` carry the request's method, path with
query and content type; every `spin-*` request header comes back as `x-echo-spin-*`.
"""

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        headers = {
            "content-type": content_type or "application/octet-stream",
            "x-echo-method": request.method,
            "x-echo-uri": request.uri,
            "x-echo-content-type": content_type,
        }
        for name, value in request.headers.items():
            if name.lower().startswith("spin-"):
                headers[f"x-echo-{name.lower()}"] = value
        return Response(200, headers, request.body or b"")
