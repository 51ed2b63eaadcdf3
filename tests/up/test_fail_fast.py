"""`spin up` fails fast: an executor that exits before it is ready stops the app at once, is not
restarted, and its own error is the last thing printed (exit code 1), for the mistakes an
operator meets first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import WAT_DIR, free_port, wat_to_wasm

HTTP_APP = """spin_manifest_version = 2
[application]
name = "fail-fast"
[[trigger.http]]
{trigger}
component = "hello"
[component.hello]
source = "{source}"
"""

REDIS_APP = """spin_manifest_version = 2
[application]
name = "fail-fast"
[application.trigger.redis]
address = "redis://127.0.0.1:{port}"
[[trigger.redis]]
channel = "messages"
component = "hello"
[component.hello]
source = "redis.wasm"
"""


def app(tmp_path: Path, text: str) -> Path:
    wat_to_wasm(WAT_DIR / "spin1_http_hello.wat", tmp_path).rename(tmp_path / "hello.wasm")
    wat_to_wasm(WAT_DIR / "spin1_redis_log.wat", tmp_path).rename(tmp_path / "redis.wasm")
    (tmp_path / "bad.wasm").write_bytes(b"this is not WebAssembly")
    manifest = tmp_path / "spin.toml"
    manifest.write_text(text)
    return manifest


def spin_up(manifest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPIN_", "NOTIFY_SOCKET"))}
    return subprocess.run(
        [sys.executable, "-m", "spin", "up", "-f", str(manifest), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def last_line(stderr: str) -> str:
    return stderr.rstrip().splitlines()[-1].strip()


def http_app(tmp_path: Path, trigger: str = 'route = "/"', source: str = "hello.wasm") -> Path:
    return app(tmp_path, HTTP_APP.format(trigger=trigger, source=source))


CASES = {
    "a typo in a trigger key": (
        lambda tmp: (http_app(tmp, trigger='rout = "/x"'), []),
        "unknown field `rout` in http trigger",
    ),
    "an invalid .wasm": (
        lambda tmp: (http_app(tmp, source="bad.wasm"), []),
        "is not a valid Wasm module or component",
    ),
    "--listen notaport": (
        lambda tmp: (http_app(tmp), ["--listen", "notaport"]),
        "--listen 'notaport' (or SPIN_HTTP_LISTEN_ADDR) is not an address and port",
    ),
    "--wasm-workers 0": (
        lambda tmp: (http_app(tmp), ["--wasm-workers", "0"]),
        "Invalid value for '--wasm-workers': 0 is not in the range",
    ),
    "Redis not running": (
        lambda tmp: (app(tmp, REDIS_APP.format(port=free_port())), []),
        "Cannot subscribe to Redis at redis://127.0.0.1:",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_start_failure_stops_the_app_with_the_executors_error_last(
    tmp_path: Path, case: str
) -> None:
    make, expected = CASES[case]
    manifest, args = make(tmp_path)
    result = spin_up(manifest, *args)
    assert result.returncode == 1, result.stderr
    assert expected in last_line(result.stderr), result.stderr
    assert "restarting" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_a_start_failure(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = spin_up(http_app(tmp_path), "--listen", address)
    assert result.returncode == 1, result.stderr
    assert address in last_line(result.stderr), result.stderr
    assert "restarting" not in result.stderr
