"""spin-sdk 3.4.1 HTTP app: streams N bytes (`?bytes=N`, default 1 MiB) without holding them.

spin_sdk.http's `handle_request` buffers the whole body, so this app implements the generated
`wasi:http/incoming-handler` export itself: it sets the response (no content-length, so the
host must stream it) and then writes the body in 4000-byte chunks through the output stream.
Byte k of the body is the ASCII digit `k % 10`, so a test can check any slice of it.
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk.wit import exports
from spin_sdk.wit.imports.types import (
    Fields,
    IncomingRequest,
    OutgoingBody,
    OutgoingResponse,
    ResponseOutparam,
)
from spin_sdk.wit.types import Ok

DEFAULT_BYTES = 1024 * 1024
# A multiple of 10 keeps the digit pattern aligned across chunks, and it stays under the 4096
# bytes that one `blocking-write-and-flush` may carry.
CHUNK = b"0123456789" * 400


def requested_size(request: IncomingRequest) -> int:
    query = urlsplit(request.path_with_query() or "/").query
    values = parse_qs(query).get("bytes")
    return int(values[0]) if values else DEFAULT_BYTES


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        remaining = requested_size(request)
        headers = Fields.from_list([("content-type", b"application/octet-stream")])
        response = OutgoingResponse(headers)
        response.set_status_code(200)
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        with body.write() as stream:
            while remaining > 0:
                chunk = CHUNK[: min(remaining, len(CHUNK))]
                stream.blocking_write_and_flush(chunk)
                remaining -= len(chunk)
        OutgoingBody.finish(body, None)
