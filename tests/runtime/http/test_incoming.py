"""wasi:http incoming-handler guests in the runtime, in process: the response collected from
the exchange. Guests are built from tests/wat."""

from __future__ import annotations

from pathlib import Path

from spin.runtime import HttpRequest, Runtime
from spin.runtime.http.exchange import BufferedExchange, RequestHead
from tests.support import logs_for, wat_component


def head(path: str = "/hello", method: str = "GET") -> RequestHead:
    return RequestHead(method, path, "http", "localhost:3000", [("accept", b"*/*")])


def test_hello_answers_with_status_headers_and_a_finished_body(
    runtime: Runtime, tmp_path: Path
) -> None:
    guest = runtime.load(wat_component("wasi_http_hello", tmp_path), logs_for(tmp_path, "h"))
    assert guest.kind == "wasi-http"
    exchange = BufferedExchange()
    guest.serve_http(head(), exchange)
    assert exchange.status == 200
    assert exchange.headers == [("content-type", b"text/plain")]
    assert exchange.body == b"Hello, Fermyon!\n"
    assert exchange.finished and exchange.trailers is None and exchange.aborted is None


def test_hello_through_the_whole_request_call(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(wat_component("wasi_http_hello", tmp_path), logs_for(tmp_path, "h"))
    response = guest.handle_http(HttpRequest("GET", "/x?y=1", [("host", "h")], [], b""))
    assert (response.status, response.body) == (200, b"Hello, Fermyon!\n")
    assert response.headers == [("content-type", "text/plain")]
