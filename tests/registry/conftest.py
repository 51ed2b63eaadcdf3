"""A real OCI registry for the registry tests: Debian's `docker-registry` (the CNCF distribution
registry) on a free loopback port, with its storage in the test's directory; optionally with
htpasswd (Basic) authentication."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, wait_for


class DockerRegistry:
    """`docker-registry serve` with a config written for the test; `host` is `127.0.0.1:PORT`."""

    def __init__(self, workdir: Path, users: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.host = f"localhost:{self.port}"
        self.storage = workdir / "storage"
        self.users = users or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
        if not os.path.exists(binary):
            raise RuntimeError("docker-registry is not installed (.ci/run installs it)")
        config = self.workdir / "config.yml"
        auth = ""
        if self.users:
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text("".join(f"{u}:{_bcrypt(p)}\n" for u, p in self.users.items()))
            auth = f"auth:\n  htpasswd:\n    realm: spin-tests\n    path: {htpasswd}\n"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n" + auth
        )
        self.process = subprocess.Popen(
            [binary, "serve", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "registry.log").open("wb"),
        )
        wait_for(self.answers, timeout=20, what=f"docker-registry on port {self.port}")

    def answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, (
            self.workdir / "registry.log"
        ).read_text()
        try:
            status = httpx.get(f"http://{self.host}/v2/", timeout=1).status_code
        except httpx.TransportError:
            return False
        return status in (200, 401)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def blob_file(self, digest: str) -> Path:
        """Where the registry keeps a blob's bytes (the distribution registry's layout)."""
        hex_digest = digest.removeprefix("sha256:")
        return (
            self.storage / "docker/registry/v2/blobs/sha256" / hex_digest[:2] / hex_digest / "data"
        )


def _bcrypt(password: str) -> str:
    """The registry's htpasswd takes bcrypt hashes only; libcrypt makes them (`crypt` is
    deprecated in Python 3.11 and 3.12, and works)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[DockerRegistry]:
    workdir = tmp_path / "registry"
    workdir.mkdir()
    server = DockerRegistry(workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def spin_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory and Docker config of the test's own (for in-process calls and for the
    `spin` child processes, which inherit the environment)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SPIN_DATA_DIR", str(home / "spin-data"))
    monkeypatch.setenv("DOCKER_CONFIG", str(home / "docker"))
    monkeypatch.setenv("HOME", str(home))
    return home
