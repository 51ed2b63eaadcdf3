"""Request bodies cannot exhaust the executor: a size cap (413), a single copy, a read deadline
(408), a bounded number of connections. Real executor processes over real sockets."""

from __future__ import annotations

import contextlib
import resource
import select
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.executors.http.test_server import Executor, build_app
from tests.support import wait_for

MIB = 1024 * 1024

LIMITS_MANIFEST = """\
spin_manifest_version = 2
[application]
name = "limits"
[[trigger.http]]
route = "/echo/..."
component = "echo"
[[trigger.http]]
route = "/hello"
component = "hello"
[component.echo]
source = "spin1_http_echo.wasm"
[component.hello]
source = "spin1_http_hello.wasm"
"""


@pytest.fixture(scope="module")
def limits_lock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("limits") / "app"
    return build_app(app, LIMITS_MANIFEST, ["spin1_http_echo", "spin1_http_hello"])


def started(lock: Path, *args: str) -> Executor:
    executor = Executor(lock, "--wasm-workers", "1", *args)
    executor.wait_ready()
    return executor


@pytest.fixture(scope="module")
def capped(limits_lock: Path) -> Iterator[Executor]:
    executor = started(limits_lock, "--max-body-size", "1M")
    yield executor
    assert executor.stop() == 0, executor.stderr()


def test_a_body_over_the_cap_is_413_from_its_content_length(capped: Executor) -> None:
    body = b"x" * (2 * MIB)
    response = httpx.post(f"{capped.url}/echo/big", content=body, timeout=30)
    assert response.status_code == 413
    assert "is over --max-body-size (1048576)" in capped.stderr()


def test_a_chunked_body_over_the_cap_is_413_while_it_is_read(capped: Executor) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"y" * (512 * 1024 + 1)

    response = httpx.post(f"{capped.url}/echo/chunked", content=chunks(), timeout=30)
    assert response.status_code == 413


def test_a_body_at_the_cap_reaches_the_guest(capped: Executor) -> None:
    body = bytes(range(256)) * 4096  # exactly 1 MiB
    response = httpx.post(f"{capped.url}/echo/ok", content=body, timeout=30)
    assert (response.status_code, response.content) == (200, body)


def peak_rss(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


def test_a_large_body_is_held_about_once_in_the_executor_and_its_worker(
    limits_lock: Path,
) -> None:
    # Before: a 200 MiB body peaked at ~4x its size in the executor. Now it is read into one
    # buffer there; the worker holds the frame it read and the guest's own copy in its memory.
    size = 64 * MIB
    executor = started(limits_lock, "--max-body-size", "100M")
    try:
        main = psutil.Process(executor.process.pid)
        (worker,) = main.children()
        before = {p.pid: p.memory_info().rss for p in (main, worker)}
        response = httpx.post(f"{executor.url}/hello", content=b"z" * size, timeout=60)
        assert response.status_code == 200
        growth = {p.pid: (peak_rss(p.pid) - before[p.pid]) / size for p in (main, worker)}
        assert growth[main.pid] < 1.5 and growth[worker.pid] < 2.5, growth
    finally:
        assert executor.stop() == 0, executor.stderr()


# -- slow bodies and the connection bound -----------------------------------------------


def slow_body_connection(port: int) -> socket.socket:
    """A connection whose request announces a 100-byte body and sends one byte of it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /echo/slow HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nx")
    return sock


def answer(sock: socket.socket) -> bytes:
    """What the server sent before closing the connection (b"" if still open)."""
    ready, _, _ = select.select([sock], [], [], 0)
    if not ready:
        return b""
    chunks = []
    try:
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    except ConnectionResetError:  # closed with our unread request in its buffer
        chunks.append(b"reset")
    return b"".join(chunks) or b"closed"


def test_a_body_that_trickles_in_is_408_at_the_body_timeout(limits_lock: Path) -> None:
    # Before: a byte every 2 s kept a connection (and its request) open indefinitely.
    executor = started(limits_lock, "--body-timeout", "1")
    connections = [slow_body_connection(executor.port) for _ in range(20)]
    try:
        answers: dict[int, bytes] = {}

        def all_answered() -> bool:
            for index, sock in enumerate(connections):
                if index not in answers:
                    with contextlib.suppress(OSError):
                        sock.send(b"y")  # keep trickling
                    if reply := answer(sock):
                        answers[index] = reply
            return len(answers) == len(connections)

        wait_for(all_answered, timeout=15, interval=0.2, what="408 on every slow connection")
        assert all(reply.startswith(b"HTTP/1.1 408") for reply in answers.values()), answers
        assert httpx.get(f"{executor.url}/hello", timeout=10).status_code == 200
        refusals = executor.stderr().count("not received within --body-timeout (1 s)")
        assert 1 <= refusals < 20, "one line per condition, not one per connection"
    finally:
        for sock in connections:
            sock.close()
        assert executor.stop() == 0, executor.stderr()


def limit_open_files(soft: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, soft))

    return apply


def test_connections_past_the_limit_are_refused_and_logged_once(limits_lock: Path) -> None:
    # Before: with no bound, 1,100 slow clients exhausted the file descriptors and every
    # accept logged "Too many open files". Here the process may open 256 files.
    executor = Executor(
        limits_lock, "--wasm-workers", "1", "--body-timeout", "5", preexec_fn=limit_open_files(256)
    )
    executor.wait_ready()
    held: list[socket.socket] = []
    try:
        held = [slow_body_connection(executor.port) for _ in range(300)]
        refused = wait_for(
            lambda: [reply for sock in held if (reply := answer(sock))],
            what="connections past the limit to be refused",
        )
        assert all(reply.startswith((b"HTTP/1.1 503", b"reset")) for reply in refused), refused
        for sock in held:  # let the held ones go; the executor serves again
            sock.close()
        wait_for(
            lambda: httpx.get(f"{executor.url}/hello", timeout=10).status_code == 200,
            what="the executor to serve again",
        )
        stderr = executor.stderr()
        assert "--max-connections 1000 lowered to 128: the open-file limit is 256" in stderr
        assert stderr.count("connection limit reached") == 1, stderr[-2000:]
        # A burst can still reach the limit before the gate counts the connections (the loop
        # accepts a batch at once); the loop's error is then reported once, not per accept.
        assert stderr.count("Too many open files") <= 1, stderr[-2000:]
    finally:
        for sock in held:
            sock.close()
        assert executor.stop() == 0, executor.stderr()
