"""wasi:http incoming-handler guests in the runtime, in process: the response collected from
the exchange. Guests are built from tests/wat."""

from __future__ import annotations

from pathlib import Path

import pytest

from spin.runtime import Guest, GuestError, HttpRequest, Runtime
from spin.runtime.component import binding
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


def test_a_guest_linked_with_the_binding_s_own_conversions_answers_alike(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Within `stock_binding()` (how bench/component_calls measures "before"), the host
    functions are added with the binding's conversions and our resources go out as
    `ResourceHost`: the same response, and no host function planned ahead."""
    planned = set(binding._typed_plans)
    logs = logs_for(tmp_path, "echo")
    with binding.stock_binding():
        guest = runtime.load(wat_component("wasi_http_cases", tmp_path), logs)
        assert set(binding._typed_plans) == planned
        body = bytes(range(256)) * 16
        exchange = BufferedExchange(body)
        guest.serve_http(RequestHead("POST", "/echo", "http", "h", []), exchange)
    assert exchange.status == 200 and exchange.body == body and exchange.finished


@pytest.fixture
def cases(runtime: Runtime, tmp_path: Path) -> Guest:
    return runtime.load(wat_component("wasi_http_cases", tmp_path), logs_for(tmp_path, "cases"))


def test_echo_streams_the_body_back_and_prints_to_the_component_logs(
    runtime: Runtime, tmp_path: Path
) -> None:
    logs = logs_for(tmp_path, "echo")
    guest = runtime.load(wat_component("wasi_http_cases", tmp_path), logs)
    body = bytes(range(256)) * 640  # 160 KiB: three reads of up to 64 KiB
    request = RequestHead(
        "POST", "/echo?q=1", "http", "h", [("spin-path-info", b"/echo"), ("x", b"y")]
    )
    exchange = BufferedExchange(body)
    guest.serve_http(request, exchange)
    assert exchange.status == 200
    assert exchange.headers == [("echo-path", b"/echo?q=1"), ("spin-path-info", b"/echo")]
    assert exchange.body == body and exchange.finished
    assert logs.stdout_path.read_bytes() == b"echo /echo?q=1\n"


def test_trailers_end_the_body(cases: Guest) -> None:
    exchange = BufferedExchange()
    cases.serve_http(head("/trailers"), exchange)
    assert exchange.body == b"with trailers\n"
    assert exchange.finished and exchange.trailers == [("x-checksum", b"abc123")]


def test_a_trap_after_the_response_started_aborts_the_body(cases: Guest) -> None:
    exchange = BufferedExchange()
    with pytest.raises(GuestError, match="unreachable"):
        cases.serve_http(head("/trap"), exchange)
    assert exchange.status == 200 and exchange.body == b"partial body\n"
    assert not exchange.finished and exchange.aborted is not None


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/early", "unreachable"), ("/never", "without setting response-outparam")],
)
def test_no_response_is_a_guest_error_before_anything_is_sent(
    cases: Guest, path: str, reason: str
) -> None:
    exchange = BufferedExchange()
    with pytest.raises(GuestError, match=reason):
        cases.serve_http(head(path), exchange)
    assert exchange.status is None and exchange.chunks == []


def test_huge_writes_its_chunks_in_order(cases: Guest) -> None:
    exchange = BufferedExchange()
    cases.serve_http(head("/huge/3"), exchange)
    assert exchange.chunks == [bytes(65536)] * 3 and exchange.finished
