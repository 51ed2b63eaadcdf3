"""Request bodies cannot exhaust the executor: a size cap (413), a single copy, a read deadline
(408), a bounded number of connections. Real executor processes over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.executors.http.test_server import Executor, build_app

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
