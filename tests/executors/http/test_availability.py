"""A slow or abandoned route must not stall the others: real executor processes, real sockets,
real looping Wasm (tests/wat/http_spin1_loop.wat) next to a hello-world route."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.executors.http.test_server import Executor, build_app
from tests.support import wait_for

MANIFEST = """\
spin_manifest_version = 2
[application]
name = "availability"
[[trigger.http]]
route = "/loop"
component = "loop"
[[trigger.http]]
route = "/hello"
component = "hello"
[component.loop]
source = "http_spin1_loop.wasm"
[component.hello]
source = "spin1_http_hello.wasm"
"""


@pytest.fixture(scope="module")
def lock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("availability") / "app"
    return build_app(app, MANIFEST, ["http_spin1_loop", "spin1_http_hello"])


@pytest.fixture
def two_workers(lock: Path) -> Iterator[Executor]:
    """Two guest workers, both started at once, that may not grow, and a 30 s deadline no test
    should wait for."""
    executor = Executor(
        lock,
        *("--wasm-workers", "2", "--wasm-workers-max", "2", "--wasm-workers-min", "2"),
        *("--wasm-timeout", "30"),
        *("--max-queue-wait", "1"),
        env={"SPIN_LOG_LEVEL": "DEBUG"},  # "calling component ..." says a call is under way
    )
    executor.wait_ready()
    yield executor
    assert executor.stop() == 0, executor.stderr()


def abandoned_request(port: int, path: str) -> None:
    """Send a request and hang up without waiting for the answer (a client that timed out)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nhost: x\r\n\r\n".encode())


def test_two_slow_calls_leave_a_worker_for_the_other_routes(two_workers: Executor) -> None:
    # Before: both workers ran the looping calls and /hello waited for their deadline.
    with httpx.Client(base_url=two_workers.url, timeout=30) as client:
        slow = [
            socket.create_connection(("127.0.0.1", two_workers.port), timeout=30) for _ in range(2)
        ]
        try:
            for sock in slow:
                sock.sendall(b"GET /loop HTTP/1.1\r\nhost: x\r\n\r\n")
            wait_for(
                lambda: two_workers.stderr().count("calling component 'loop'") == 2,
                what="both slow calls to be under way",
            )
            started = time.monotonic()
            for _ in range(20):
                assert client.get("/hello").status_code == 200
            assert time.monotonic() - started < 5
            # The second slow call waits for the slow component's share and is answered 503
            # with Retry-After once it has waited --max-queue-wait.
            reply = wait_for(lambda: _received(slow[1]) or _received(slow[0]), timeout=10)
            assert reply.startswith(b"HTTP/1.1 503") and b"retry-after: 1" in reply.lower()
        finally:
            for sock in slow:
                sock.close()


def _received(sock: socket.socket) -> bytes:
    sock.setblocking(False)
    try:
        return sock.recv(4096)
    except BlockingIOError:
        return b""
    finally:
        sock.setblocking(True)


def test_calls_whose_clients_left_are_dropped_or_interrupted(two_workers: Executor) -> None:
    # Before: 10 abandoned calls to a looping route ran to their deadline one after the other
    # (the next request waited 4.6 s with a 2 s deadline; here the deadline is 30 s).
    for _ in range(10):
        abandoned_request(two_workers.port, "/loop")
    wait_for(
        lambda: two_workers.stderr().count("GET /loop client gone") == 10,
        what="the 10 abandoned calls to be dropped or interrupted",
    )
    started = time.monotonic()
    with httpx.Client(base_url=two_workers.url, timeout=30) as client:
        assert client.get("/hello").status_code == 200
        assert client.get("/hello").status_code == 200
    assert time.monotonic() - started < 3
    assert "guest worker" not in two_workers.stderr()  # interrupted, none replaced
