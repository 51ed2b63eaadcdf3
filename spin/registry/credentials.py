"""Registry credentials in the usual Docker config file, `$DOCKER_CONFIG/config.json`, else
`~/.docker/config.json`: what `docker login` and `oras login` write, and what `spin registry
push/pull` and `spin up -f <reference>` read (through oras, which also follows the file's
`credsStore`/`credHelpers`).

`spin registry login` checks the user name and password against the registry before storing
them, so a typo fails there and not at the first push.
"""

from __future__ import annotations

import os
from pathlib import Path

from spin.errors import SpinError


def docker_config_path() -> Path:
    directory = os.environ.get("DOCKER_CONFIG")
    base = Path(directory) if directory else Path.home() / ".docker"
    return base / "config.json"


def login(server: str, username: str, password: str, *, insecure: bool = False) -> Path:
    """Check the credentials against `server` (a registry host, or a URL of one), then store
    them in the Docker config file, whose path is returned."""
    import oras.main.login

    from spin.registry.client import RegistrySession
    from spin.registry.reference import parse_reference

    host = server.split("://", 1)[-1].rstrip("/")
    if not username or not password:
        raise SpinError(
            f"`spin registry login {server}` needs a user name (-u) and a password "
            "(-p, or --password-stdin to read it from standard input)."
        )
    # Any repository will do: `GET /v2/` only checks who the user is.
    probe = parse_reference(f"{host}/spin-login-check:latest")
    session = RegistrySession(
        probe, insecure=insecure, credentials=(username, password), subject=f"the registry {host}"
    )
    if not session.api_check():
        raise SpinError(
            f"The registry {host} did not accept the user {username!r} with that password. "
            "Nothing was stored; check the user name and password and run `spin registry "
            "login` again."
        )
    path = docker_config_path()
    oras.main.login.DockerClient().login(
        username=username, password=password, registry=host, dockercfg_path=str(path)
    )
    return path
