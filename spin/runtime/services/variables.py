"""Application variables as guests read them, through Spin's chain of providers.

For each variable the providers of the runtime config file are asked in their order, then the
environment (`SPIN_VARIABLE_<NAME>`, or a `.env` file in the working directory, as Spin's
default provider does), then the manifest's `default`; a required variable that none of them
has is an error for the guest, not a crash. Values are never logged: a variable may be a secret.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from spin.runtime.services.runtime_config import VariablesProvider

#: A provider answers a variable's value, or None when it does not have it.
Provider = Callable[[str], str | None]
DEFAULT_PREFIX = "SPIN_VARIABLE"


class VariableError(Exception):
    """`kind` is "undefined" (no provider has it) or "provider" (a provider failed)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def env_provider(
    prefix: str | None = None,
    dotenv_path: Path | None = Path(".env"),
    environ: Mapping[str, str] = os.environ,
) -> Provider:
    dotenv: dict[str, str] | None = None

    def lookup(name: str) -> str | None:
        nonlocal dotenv
        key = f"{prefix or DEFAULT_PREFIX}_{name.upper()}"
        if key in environ:
            return environ[key]
        if dotenv is None:
            dotenv = read_dotenv(dotenv_path)
        return dotenv.get(key)

    return lookup


def read_dotenv(path: Path | None) -> dict[str, str]:
    """`KEY=VALUE` lines (quotes around the value dropped, `#` comments skipped)."""
    if path is None or not path.is_file():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def vault_provider(url: str, token: str, mount: str, prefix: str | None = None) -> Provider:
    """HashiCorp Vault's KV v2 engine: the secret `<prefix>/<name>` holds `{"value": ...}`."""

    def lookup(name: str) -> str | None:
        import httpx  # only an app configured with Vault loads the client

        path = f"{prefix}/{name}" if prefix else name
        try:
            response = httpx.get(
                f"{url.rstrip('/')}/v1/{mount}/data/{path}",
                headers={"X-Vault-Token": token},
                timeout=10,
            )
        except httpx.HTTPError as err:
            raise VariableError("provider", f"Vault at {url} is unreachable: {err}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise VariableError("provider", f"Vault at {url} answered {response.status_code}")
        value = response.json().get("data", {}).get("data", {}).get("value")
        return None if value is None else str(value)

    return lookup


def make_provider(config: VariablesProvider) -> Provider:
    settings = config.settings
    if config.type == "static":
        values = dict(settings["values"])
        return values.get
    if config.type == "vault":
        return vault_provider(
            settings["url"], settings["token"], settings["mount"], settings.get("prefix")
        )
    return env_provider(settings.get("prefix"), settings.get("dotenv_path", Path(".env")))


class Variables:
    """The app's variables (locked-app `variables`) resolved through the provider chain."""

    def __init__(
        self,
        declared: Mapping[str, Mapping[str, Any]],
        configured: Sequence[VariablesProvider] = (),
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self._declared = declared
        self._providers = [make_provider(c) for c in configured]
        self._providers.append(env_provider(environ=environ))

    def get(self, name: str) -> str:
        spec = self._declared.get(name)
        if spec is None:
            raise VariableError("undefined", f"no variable named {name!r} is declared")
        for provider in self._providers:
            value = provider(name)
            if value is not None:
                return value
        if "default" in spec:
            return str(spec["default"])
        raise VariableError("undefined", f"the required variable {name!r} has no value")
