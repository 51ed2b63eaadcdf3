"""The runtime with WASI preview 1 commands (WAGI guests) built from tests/wat."""

from __future__ import annotations

from pathlib import Path

import pytest

from spin.runtime import GuestError, HttpRequest, Runtime
from spin.runtime.logs import ComponentLogs
from tests.support import wat_component


def test_command_gets_argv_env_stdin_and_returns_stdout(runtime: Runtime, tmp_path: Path) -> None:
    logs = ComponentLogs(tmp_path / "logs", "wagi", echo=False)
    component = wat_component("wagi_hello", tmp_path, component_id="wagi", env={"FROM": "app"})
    guest = runtime.load(component, logs)
    assert guest.kind == "command"

    out = guest.run_command(["/hello", "a b"], {"REQUEST_METHOD": "POST"}, b"request body")

    assert out == (
        b"Content-Type: text/plain\n\nhello from wagi\n"
        b"args:\n/hello\na b\n"
        b"env:\nFROM=app\nREQUEST_METHOD=POST\n"
        b"stdin:\nrequest body"
    )
    # stdout is the command's answer, not a log line; stderr goes to the component's log
    assert not logs.stdout_path.exists()
    assert logs.stderr_path.read_bytes() == b"wagi stderr line\n"


def test_command_cannot_handle_http_requests(runtime: Runtime, tmp_path: Path) -> None:
    guest = runtime.load(
        wat_component("wagi_hello", tmp_path), ComponentLogs(tmp_path, "w", echo=False)
    )
    with pytest.raises(GuestError, match="handle-http-request"):
        guest.handle_http(HttpRequest("GET", "/", [], [], b""))
