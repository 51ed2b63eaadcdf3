"""`spin trigger http` serving wasi:http components (incoming-handler): a real executor process
and its guest workers over real sockets, guests built from tests/wat."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import h2.connection
import h2.events
import httpx
import psutil
import pytest

from tests.executors.http.test_server import Executor, build_app
from tests.support import wait_for

MANIFEST = """\
spin_manifest_version = 2

[application]
name = "wasi-http-test"

[[trigger.http]]
route = "/hello/..."
component = "hello"

[[trigger.http]]
route = "/..."
component = "cases"

[component.hello]
source = "wasi_http_hello.wasm"

[component.cases]
source = "wasi_http_cases.wasm"
"""

GUESTS = ["wasi_http_hello", "wasi_http_cases"]
WASM_TIMEOUT = 30.0
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def lock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_app(tmp_path_factory.mktemp("wasi-http") / "app", MANIFEST, GUESTS)


@pytest.fixture(scope="module")
def server(lock: Path) -> Iterator[Executor]:
    executor = Executor(lock, "--wasm-timeout", str(WASM_TIMEOUT), "--wasm-workers", "1")
    assert executor.wait_ready() == "READY=1", executor.stderr()
    yield executor
    assert executor.stop() == 0, executor.stderr()


def test_hello_is_served_with_its_status_headers_and_body(server: Executor) -> None:
    response = httpx.get(f"{server.url}/hello/there?x=1", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Hello, Fermyon!\n"


def test_hello_answers_head_and_post_on_kept_alive_connections(server: Executor) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(3):
            assert client.post("/hello", content=b"ignored").text == "Hello, Fermyon!\n"
        head = client.head("/hello")
        assert head.status_code == 200 and head.content == b""


def test_echo_gets_spin_headers_and_streams_a_chunked_body_back(server: Executor) -> None:
    # 300 KB sent chunked as produced: the guest asks for more than the first chunk. (Kept
    # small: wasmtime's C API converts list<u8> at ~0.25 µs per byte each way.)
    chunks = [bytes([n]) * 100_000 for n in range(3)]
    response = httpx.post(f"{server.url}/echo/a%20b?q=1", content=iter(chunks), timeout=60)
    assert response.status_code == 200
    assert response.headers["echo-path"] == "/echo/a%20b?q=1"
    assert response.headers["spin-path-info"] == "/echo/a%20b"
    assert response.content == b"".join(chunks)


def test_guest_stdout_goes_to_the_component_log(server: Executor, lock: Path) -> None:
    httpx.post(f"{server.url}/echo/logged", content=b"x", timeout=30)
    log = lock.parent / ".spin" / "logs" / "cases_stdout.txt"
    # The call's output is logged when the guest returns, which may be after the response.
    wait_for(lambda: b"echo /echo/logged\n" in log.read_bytes(), what="the guest's output")


def test_a_trap_after_the_response_started_cuts_the_body(server: Executor) -> None:
    with httpx.stream("GET", f"{server.url}/trap", timeout=30) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()
    assert httpx.get(f"{server.url}/hello", timeout=30).status_code == 200  # still serving


@pytest.mark.parametrize("path", ["/early", "/never"])
def test_no_response_from_the_guest_is_a_500(server: Executor, path: str) -> None:
    response = httpx.get(f"{server.url}{path}", timeout=30)
    assert (response.status_code, response.content) == (500, b"")


def test_a_100_mb_download_streams_through_a_small_executor(server: Executor) -> None:
    """100 MB (1600 chunks of 64 KiB) while the executor's RSS stays under 200 MB: the body is
    forwarded as the guest writes it, never gathered."""
    executor = psutil.Process(server.process.pid)
    peak = received = 0
    with httpx.stream("GET", f"{server.url}/huge/1600", timeout=120) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += len(chunk)
            peak = max(peak, executor.memory_info().rss)
    assert received == 1600 * 65536
    assert peak < 200 * MIB, f"executor RSS peaked at {peak / MIB:.0f} MiB"


def test_trailers_reach_an_http2_client_that_asks_for_them(lock: Path, tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    executor = Executor(lock, "--tls-cert", str(cert_path), "--tls-key", str(key_path))
    try:
        assert executor.wait_ready() == "READY=1", executor.stderr()
        context = ssl.create_default_context()
        ca.configure_trust(context)
        context.set_alpn_protocols(["h2"])
        headers, body, trailers = h2_get(context, executor.port, "/trailers")
        assert headers[":status"] == "200"
        assert body == b"with trailers\n"
        assert trailers == {"x-checksum": "abc123"}
    finally:
        assert executor.stop() == 0, executor.stderr()


def h2_get(
    context: ssl.SSLContext, port: int, path: str
) -> tuple[dict[str, str], bytes, dict[str, str]]:
    """GET over HTTP/2 with `te: trailers`: (headers, body, trailers)."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        connection = h2.connection.H2Connection()
        connection.initiate_connection()
        request = [
            (":method", "GET"),
            (":path", path),
            (":scheme", "https"),
            (":authority", f"127.0.0.1:{port}"),
            ("te", "trailers"),
        ]
        connection.send_headers(1, request, end_stream=True)
        tls.sendall(connection.data_to_send())
        headers: dict[str, str] = {}
        trailers: dict[str, str] = {}
        body = b""
        ended = False
        while not ended:
            data = tls.recv(65536)
            assert data, "the server closed the connection"
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    headers = {k.decode(): v.decode() for k, v in event.headers}
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    connection.acknowledge_received_data(len(event.data), event.stream_id)
                elif isinstance(event, h2.events.TrailersReceived):
                    trailers = {k.decode(): v.decode() for k, v in event.headers}
                elif isinstance(event, h2.events.StreamEnded):
                    ended = True
            tls.sendall(connection.data_to_send())
    return headers, body, trailers


def test_max_body_size_refuses_a_declared_body_and_fails_the_guests_read_of_a_chunked_one(
    lock: Path,
) -> None:
    executor = Executor(lock, "--max-body-size", "100K", "--wasm-workers", "1")
    try:
        assert executor.wait_ready() == "READY=1", executor.stderr()
        declared = httpx.post(f"{executor.url}/echo", content=bytes(200_000), timeout=30)
        assert declared.status_code == 413
        # Chunked: the guest's read fails past the limit; this guest then ends its answer.
        chunks = [bytes(50_000)] * 4
        streamed = httpx.post(f"{executor.url}/echo", content=iter(chunks), timeout=60)
        assert streamed.status_code == 200 and len(streamed.content) <= 100 * 1024
        assert httpx.get(f"{executor.url}/hello", timeout=30).status_code == 200
    finally:
        assert executor.stop() == 0, executor.stderr()


def test_a_body_slower_than_body_timeout_fails_the_guests_read(lock: Path) -> None:
    executor = Executor(lock, "--body-timeout", "1", "--wasm-workers", "1")
    log = lock.parent / ".spin" / "logs" / "cases_stdout.txt"

    def guest_calls() -> int:
        return log.read_bytes().count(b"echo /echo\n") if log.exists() else 0

    before = guest_calls()

    def trickle() -> Iterator[bytes]:
        yield b"first "
        # The rest only once the guest has answered (its output is logged when it returns):
        # past the 1 s budget, which failed its read.
        wait_for(lambda: guest_calls() > before, timeout=30, what="the guest to return")
        yield b"too late"

    try:
        assert executor.wait_ready() == "READY=1", executor.stderr()
        response = httpx.post(f"{executor.url}/echo", content=trickle(), timeout=30)
        # The guest's read failed after the first chunk; this guest then ends its answer.
        assert response.status_code == 200 and response.content == b"first "
    finally:
        assert executor.stop() == 0, executor.stderr()


def test_the_response_head_does_not_wait_for_a_guest_that_waits(lock: Path) -> None:
    """/wait sets its response, then waits 60 s before writing: the client has the head while
    the guest waits (before the 5 s deadline cuts the body)."""
    executor = Executor(lock, "--wasm-timeout", "5", "--wasm-workers", "1")
    try:
        assert executor.wait_ready() == "READY=1", executor.stderr()
        with httpx.stream("GET", f"{executor.url}/wait", timeout=30) as response:
            assert response.status_code == 200
            assert "deadline" not in executor.stderr()  # the head came first
            with pytest.raises(httpx.RemoteProtocolError):
                response.read()
        wait_for(lambda: "exceeded the 5 s deadline" in executor.stderr(), what="the deadline")
    finally:
        assert executor.stop() == 0, executor.stderr()


def test_a_client_leaving_a_download_stops_the_guest(lock: Path) -> None:
    """10 GB of response, the client reads 5 MB and leaves: the guest is stopped (its worker
    replaced), the next request is served, and the executor stops at once."""
    executor = Executor(lock, "--wasm-workers", "1")
    try:
        assert executor.wait_ready() == "READY=1", executor.stderr()
        with httpx.stream("GET", f"{executor.url}/huge/160000", timeout=30) as response:
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 5 * MIB:
                    break
        assert httpx.get(f"{executor.url}/hello", timeout=60).status_code == 200
        wait_for(lambda: "client gone" in executor.stderr(), what="the access log line")
    finally:
        assert executor.stop() == 0, executor.stderr()
    assert "grace period" not in executor.stderr()
