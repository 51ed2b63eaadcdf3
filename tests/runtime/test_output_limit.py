"""A guest that floods stdout or stderr: its call fails soon after passing the output limit, what
it wrote streams to the logs (the first `limit` bytes), the memory held stays near one tick's
worth, and the log files themselves are bounded and rotated. Before, the output was held in
memory until the deadline (~1.7 GiB per second) and then appended to the log whole."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from spin.runtime import GuestError, HttpRequest, Runtime, RuntimeConfig
from spin.runtime.logs import ComponentLogs
from spin.runtime.output import CallOutput
from tests.support import logs_for, wat_component

LIMIT = 256 * 1024
DEADLINE = 5.0


@contextmanager
def peak_memfd_bytes() -> Iterator[list[int]]:
    """The most memory any of this process's memory files held while the block ran (sampled
    every millisecond from /proc/self/fd)."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.001):
            for fd in os.listdir("/proc/self/fd"):
                try:
                    if os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:"):
                        peak[0] = max(peak[0], os.stat(f"/proc/self/fd/{fd}").st_blocks * 512)
                except OSError:
                    continue  # closed meanwhile

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


@pytest.fixture
def flooding(tmp_path: Path) -> Iterator[tuple[Runtime, object, Path]]:
    runtime = Runtime(RuntimeConfig(instance_timeout=DEADLINE, output_limit=LIMIT))
    component = wat_component("stdout_flood", tmp_path)
    guest = runtime.load(component, logs_for(tmp_path, component.id))
    yield runtime, guest, tmp_path / "logs"
    runtime.close()


@pytest.mark.parametrize(("method", "stream"), [("GET", "stdout"), ("POST", "stderr")])
def test_a_flooding_guest_is_stopped_at_the_limit_with_its_output_bounded(
    flooding: tuple[Runtime, object, Path], method: str, stream: str
) -> None:
    _, guest, logs = flooding
    started = time.monotonic()
    with peak_memfd_bytes() as peak, pytest.raises(GuestError) as failed:
        guest.handle_http(HttpRequest(method, "/", [], [], b""))  # type: ignore[attr-defined]
    elapsed = time.monotonic() - started
    assert "wrote more than 256 KiB to stdout and stderr" in failed.value.reason
    assert "--wasm-output-limit" in failed.value.reason
    assert elapsed < DEADLINE / 2, f"stopped only after {elapsed:.2f} s"
    log = (logs / f"stdout-flood_{stream}.txt").read_bytes()
    assert log[:LIMIT] == b"x" * LIMIT  # the first `limit` bytes reached the log ...
    assert len(log) <= LIMIT + 200  # ... and nothing past them but the note
    assert (
        b"call stopped: wrote more than 256 KiB" in (logs / "stdout-flood_stderr.txt").read_bytes()
    )
    # Held in memory: at most a few ticks of output (~17 MB per 10 ms tick at full speed), not
    # what a flood until the deadline would have been (~8 GB).
    assert peak[0] < 64 * 1024 * 1024, f"memory files held {peak[0]} bytes"


def test_the_next_call_after_a_flood_runs_normally(
    flooding: tuple[Runtime, object, Path], tmp_path: Path
) -> None:
    runtime, guest, _ = flooding
    with pytest.raises(GuestError):
        guest.handle_http(HttpRequest("GET", "/", [], [], b""))  # type: ignore[attr-defined]
    hello = runtime.load(wat_component("spin1_http_hello", tmp_path), logs_for(tmp_path, "h"))
    assert hello.handle_http(HttpRequest("GET", "/", [], [], b"")).status == 200


def test_a_commands_stdout_is_bounded_by_its_own_limit(
    flooding: tuple[Runtime, object, Path],
) -> None:
    """WAGI: stdout is the response, kept rather than logged, up to the largest response."""
    _, guest, logs = flooding
    started = time.monotonic()
    with pytest.raises(GuestError) as failed:
        guest.run_command(["flood"], {}, b"", 64 * 1024)  # type: ignore[attr-defined]
    assert "wrote more than 64 KiB to stdout, the largest response" in failed.value.reason
    assert time.monotonic() - started < DEADLINE / 2
    assert not (logs / "stdout-flood_stdout.txt").exists()


def test_output_within_the_limit_streams_to_the_logs_and_frees_its_memory(
    tmp_path: Path,
) -> None:
    logs = ComponentLogs(tmp_path, "c", echo=False)
    output = CallOutput("c", logs, limit=8 * 1024 * 1024)
    try:
        os.write(output.stdout.fd, b"y" * 3_000_000)
        assert output.check() is None
        assert (tmp_path / "c_stdout.txt").stat().st_size == 3_000_000
        assert os.fstat(output.stdout.fd).st_blocks * 512 < 64 * 1024  # handed on, then freed
        os.write(output.stdout.fd, b"z" * 10)
        assert output.check() is None
        assert (tmp_path / "c_stdout.txt").read_bytes()[-11:] == b"y" + b"z" * 10
    finally:
        output.close()
        logs.close()


def test_log_files_are_capped_and_rotated_across_processes(tmp_path: Path) -> None:
    """Two instances stand for two worker processes appending to the same files."""
    first = ComponentLogs(tmp_path, "c", echo=False, max_bytes=1000)
    second = ComponentLogs(tmp_path, "c", echo=False, max_bytes=1000)
    try:
        for i in range(40):
            (first if i % 2 else second).write_stdout(b"%03d" % i + b"." * 97)
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == ["c_stdout.txt", "c_stdout.txt.1"]
        assert all((tmp_path / name).stat().st_size <= 1000 for name in files)
        assert (tmp_path / "c_stdout.txt").read_bytes().endswith(b"039" + b"." * 97)
    finally:
        first.close()
        second.close()
