"""Variables through Spin's provider chain: runtime-config providers, environment, default."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spin.runtime.services.runtime_config import VariablesProvider
from spin.runtime.services.variables import VariableError, Variables

DECLARED = {"token": {"required": True, "secret": True}, "greeting": {"default": "hello"}}


def test_environment_then_default_then_undefined() -> None:
    variables = Variables(DECLARED, environ={"SPIN_VARIABLE_TOKEN": "from-env"})
    assert variables.get("token") == "from-env"
    assert variables.get("greeting") == "hello"
    with pytest.raises(VariableError) as missing:
        Variables(DECLARED, environ={}).get("token")
    assert missing.value.kind == "undefined"
    with pytest.raises(VariableError) as undeclared:
        variables.get("nope")
    assert undeclared.value.kind == "undefined"


def test_configured_providers_come_first_in_their_order(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nAPP_GREETING="from dotenv"\n')
    providers = [
        VariablesProvider("static", {"values": {"token": "static"}}),
        VariablesProvider("env", {"prefix": "APP", "dotenv_path": dotenv}),
    ]
    variables = Variables(DECLARED, providers, environ={"SPIN_VARIABLE_TOKEN": "env"})
    assert variables.get("token") == "static"
    assert variables.get("greeting") == "from dotenv"


@pytest.fixture
def vault() -> Iterator[str]:
    """A loopback HTTP server answering Vault's KV v2 read API for one secret."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("X-Vault-Token") != "root":
                self.send_response(403)
                self.end_headers()
                return
            if self.path != "/v1/secret/data/app/token":
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps({"data": {"data": {"value": "from-vault"}}}).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_vault_provider_reads_kv2_secrets(vault: str) -> None:
    settings = {"url": vault, "token": "root", "mount": "secret", "prefix": "app"}
    variables = Variables(DECLARED, [VariablesProvider("vault", settings)], environ={})
    assert variables.get("token") == "from-vault"
    assert variables.get("greeting") == "hello"  # 404 in Vault: the next provider, the default
    denied = Variables(DECLARED, [VariablesProvider("vault", {**settings, "token": "x"})])
    with pytest.raises(VariableError) as failure:
        denied.get("token")
    assert failure.value.kind == "provider" and "from-vault" not in failure.value.message
