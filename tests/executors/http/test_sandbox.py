"""The sandbox through a real `spin trigger http`.

Files: a WAGI guest with a mounted directory that holds a link out of it must not read the
link's target, with or without `--allow-transient-write`; the executor refuses to start with
one clear message. Output: a guest flooding stdout is stopped at its bound (the largest response
for WAGI, `--wasm-output-limit` for the others) and the executor serves on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.executors.http.test_server import Executor, build_app

MANIFEST = """\
spin_manifest_version = 2
[application]
name = "sandbox"
[[trigger.http]]
route = "/cat"
component = "cat"
executor = { type = "wagi" }
[component.cat]
source = "http_wagi_cat.wasm"
files = [{ source = "assets", destination = "/" }]
"""


@pytest.mark.parametrize("flags", [(), ("--allow-transient-write",)], ids=["ro", "transient"])
@pytest.mark.parametrize("target", ["host", "../secret.txt", "missing"])
def test_a_link_out_of_the_mount_stops_the_executor_with_a_clear_error(
    tmp_path: Path, flags: tuple[str, ...], target: str
) -> None:
    app = tmp_path / "app"
    (app / "assets").mkdir(parents=True)
    (app / "assets" / "hello.txt").write_text("hello\n")
    (app / "secret.txt").write_text("SECRET\n")
    (tmp_path / "host").write_text("HOST\n")  # stands for /etc/hostname
    link_target = str(tmp_path / "host") if target == "host" else target
    os.symlink(link_target, app / "assets" / "h")
    executor = Executor(build_app(app, MANIFEST, ["http_wagi_cat"]), *flags)
    try:
        executor.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # Before the fix it served: with the flag, /cat?h answered the link's target.
        answer = httpx.get(f"{executor.url}/cat?h", timeout=10).text
        executor.stop()
        pytest.fail(f"the executor started; /cat?h answered {answer!r}")
    stderr = executor.stderr()
    assert executor.process.returncode == 1, stderr
    assert f"symbolic link h -> {link_target}" in stderr
    assert "Traceback" not in stderr
    assert not list(app.glob(".spin/transient/*/*")), "a private copy was left behind"


FLOOD_MANIFEST = """\
spin_manifest_version = 2
[application]
name = "flood"
[[trigger.http]]
route = "/wagi"
component = "wagi"
executor = { type = "wagi" }
[[trigger.http]]
route = "/spin1"
component = "spin1"
[component.wagi]
source = "wagi_flood.wasm"
[component.spin1]
source = "stdout_flood.wasm"
"""


def test_flooding_guests_are_stopped_at_their_output_bounds(tmp_path: Path) -> None:
    lock = build_app(tmp_path / "app", FLOOD_MANIFEST, ["stdout_flood", "wagi_flood"])
    options = ("--max-body-size", "64K", "--wasm-output-limit", "0.25", "--wasm-timeout", "20")
    executor = Executor(lock, *options, "--quiet")
    try:
        assert executor.wait_ready() == "READY=1"
        with httpx.Client(base_url=executor.url, timeout=30) as client:
            for route, bound in (("/wagi", "64 KiB to stdout"), ("/spin1", "256 KiB to stdout")):
                response = client.get(route)
                assert response.status_code == 500
                assert response.elapsed.total_seconds() < 10, f"{route} ran to the deadline"
                assert f"wrote more than {bound}" in executor.stderr()
    finally:
        assert executor.stop() == 0, executor.stderr()
    logs = tmp_path / "app" / ".spin" / "logs"
    assert (logs / "spin1_stdout.txt").stat().st_size == 256 * 1024
