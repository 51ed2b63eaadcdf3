"""One registry session for one reference, on the `oras` client library: its auth backends
(Bearer tokens and Basic), the Docker config file's credentials, blob upload and manifest
requests. What is ours on top: a first `GET /v2/` that tells a registry that is down, speaks
plain HTTP or wants credentials apart, before any transfer; digests checked on every download;
every failure turned into one paragraph that names the reference and the fix.

oras retries every failed request five times with sleeps of 3 to 83 s (about 130 s in all), which
turns "registry down" or "wrong password" into a two-minute hang; our session makes each request
once (`_Registry.do_request`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import oras.container
import oras.provider
import requests

from spin.errors import SpinError
from spin.registry.credentials import docker_config_path
from spin.registry.reference import Reference

#: Seconds to connect and between bytes.
TIMEOUT = 30.0
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_ACCEPTED_MANIFESTS = (
    OCI_MANIFEST,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_CHUNK = 1024 * 1024
# oras logs through logging; without a handler of its own Python prints its warnings bare on
# stderr (our errors say what went wrong). With spin's logging set up they reach its log.
logging.getLogger("oras.logger").addHandler(logging.NullHandler())

Descriptor = dict[str, Any]


class _Registry(oras.provider.Registry):
    """oras's registry client, each request made once (see the module docstring) and with a
    timeout."""

    def do_request(self, url: str, method: str = "GET", **kwargs: Any) -> requests.Response:
        return oras.provider.Registry.do_request.__wrapped__(self, url, method, **kwargs)  # type: ignore[attr-defined]


class _TimeoutSession(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistrySession:
    """Requests to the repository of one reference, authenticated as the registry asks."""

    def __init__(
        self,
        reference: Reference,
        *,
        insecure: bool = False,
        credentials: tuple[str, str] | None = None,
        subject: str = "",
    ) -> None:
        """`credentials` (user, password) instead of those in the Docker config file;
        `subject`: what a network error names (default: the registry of the reference)."""
        self.reference = reference
        self.subject = subject or f"the registry of {reference}"
        self.insecure = insecure
        self.scheme = "http" if insecure else "https"
        challenge = self._probe()
        backend = "basic" if challenge.lower().startswith("basic") else "token"
        self.oras = _Registry(hostname=reference.registry, insecure=insecure, auth_backend=backend)
        self.oras.session = self.oras.auth.session = _TimeoutSession()
        self.container = oras.container.Container(
            f"{reference.registry}/{reference.repository}:{reference.tag}"
        )
        if credentials is not None:
            self.oras.auth.set_basic_auth(*credentials)
            return
        config = docker_config_path()
        with self.errors():
            self.oras.auth.load_configs(
                self.container, configs=[str(config)] if config.is_file() else []
            )
        if backend == "basic" and not getattr(self.oras.auth, "_basic_auth", None):
            raise SpinError(
                f"The registry {reference.registry} asks for a user name and password for "
                f"{reference}, and none is stored for it in {docker_config_path()}. Run "
                f"`spin registry login {reference.registry}` first."
            )

    def _probe(self) -> str:
        """`GET /v2/`: fails at once if the registry is down or speaks another protocol;
        returns the challenge (`Basic ...`, `Bearer ...`) of a registry that wants credentials."""
        url = f"{self.scheme}://{self.reference.registry}/v2/"
        with self.errors():
            response = requests.get(url, timeout=TIMEOUT)
        if response.status_code == 401:
            return response.headers.get("www-authenticate", "")
        if response.status_code >= 400 and response.status_code != 404:
            raise self._refused(response, "answered the API check")
        return ""

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Network and auth failures as one clear SpinError naming the reference."""
        where = f"{self.scheme}://{self.reference.registry}"
        try:
            yield
        except requests.exceptions.SSLError as err:
            raise SpinError(
                f"Cannot reach {self.subject} over HTTPS at {where}: {err}. "
                "If it is a plain-HTTP registry (a local one, for example), add --insecure."
            ) from None
        except (requests.ConnectionError, requests.Timeout) as err:
            hint = ""
            if not self.insecure and "wrong version number" in str(err).lower():
                hint = " If it is a plain-HTTP registry, add --insecure."
            raise SpinError(
                f"Cannot reach {self.subject} at {where} "
                f"({type(err).__name__}). Check that the registry is running and the host and "
                f"port are right.{hint}"
            ) from None
        except ValueError as err:  # oras: the registry refused every credential it was given
            raise SpinError(
                f"The registry {self.reference.registry} refused access to {self.reference} "
                f"({err}). Log in with `spin registry login {self.reference.registry}` (the "
                f"credentials go to {docker_config_path()}) and check the user may use "
                f"{self.reference.repository}."
            ) from None

    def api_check(self) -> bool:
        """Whether the registry lets this session's user in (`GET /v2/` with its credentials)."""
        url = f"{self.scheme}://{self.reference.registry}/v2/"
        with self.errors():
            try:
                response = self.oras.do_request(url)
            except ValueError:  # oras: no token for these credentials
                return False
        return response.status_code == 200

    def _refused(self, response: requests.Response, doing: str) -> SpinError:
        status = f"{response.status_code} {response.reason}"
        detail = _registry_message(response)
        if response.status_code in (401, 403):
            return SpinError(
                f"The registry {self.reference.registry} refused access to {self.reference} "
                f"({status}{detail}). Log in with `spin registry login "
                f"{self.reference.registry}` and check the user may use "
                f"{self.reference.repository}."
            )
        return SpinError(
            f"The registry {self.reference.registry} {doing} for {self.reference} with "
            f"{status}{detail}."
        )

    def _request(self, url_path: str, method: str = "GET", **kwargs: Any) -> requests.Response:
        with self.errors():
            return self.oras.do_request(f"{self.scheme}://{url_path}", method, **kwargs)

    # -- pulling

    def manifest(self) -> tuple[dict[str, Any], str]:
        """The reference's manifest and its digest (checked against the reference's own)."""
        response = self._request(
            self.container.manifest_url(self.reference.target),
            headers={"Accept": ", ".join(_ACCEPTED_MANIFESTS)},
        )
        if response.status_code == 404:
            raise SpinError(
                f"The registry {self.reference.registry} has no {self.reference.repository}:"
                f"{self.reference.target} ({self.reference}: 404 Not Found). Check the "
                "repository name and the tag, or push the app first with `spin registry push`."
            )
        if response.status_code != 200:
            raise self._refused(response, "refused the manifest")
        digest = sha256_digest(response.content)
        if self.reference.digest and digest != self.reference.digest:
            raise SpinError(
                f"The manifest the registry sent for {self.reference} has the digest {digest}, "
                f"not {self.reference.digest}. Nothing was used; check the registry."
            )
        try:
            manifest = json.loads(response.content)
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict):
            raise SpinError(f"The manifest of {self.reference} is not a JSON object.")
        return manifest, digest

    def fetch_blob(self, descriptor: Descriptor, target: Path) -> None:
        """Download a blob to `target`; its content must have the descriptor's digest, else
        nothing is kept and the error names both digests."""
        digest = str(descriptor["digest"])
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.part")
        response = self._request(self.container.get_blob_url(digest), stream=True)
        with response:
            if response.status_code != 200:
                raise self._refused(response, f"refused the blob {digest}")
            hasher = hashlib.sha256()
            with self.errors(), partial.open("wb") as out:
                for chunk in response.iter_content(_CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
        actual = "sha256:" + hasher.hexdigest()
        if actual != digest:
            partial.unlink(missing_ok=True)
            raise SpinError(
                f"A layer of {self.reference} does not match its digest: the manifest says "
                f"{digest}, the content the registry sent is {actual}. It was refused and "
                "nothing was kept; the registry's copy is damaged or was changed, so push the "
                "app again."
            )
        partial.replace(target)

    # -- pushing

    def push_blob(self, path: Path, media_type: str) -> Descriptor:
        """Upload one file as a blob (skipped if the registry has it); its descriptor."""
        data = path.read_bytes()
        descriptor = {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)}
        with self.errors():
            response = self.oras.upload_blob(str(path), self.container, descriptor)
        if response.status_code not in (200, 201, 202):
            raise self._refused(response, f"refused the upload of {path.name}")
        return descriptor

    def push_manifest(self, manifest: dict[str, Any]) -> str:
        """Put the manifest under the reference's tag; the digest the registry gives it."""
        body = json.dumps(manifest, separators=(",", ":")).encode()
        response = self._request(
            self.container.manifest_url(self.reference.tag),
            "PUT",
            data=body,
            headers={"Content-Type": OCI_MANIFEST},
        )
        if response.status_code not in (200, 201):
            raise self._refused(response, "refused the manifest")
        return str(response.headers.get("docker-content-digest") or sha256_digest(body))


def _registry_message(response: requests.Response) -> str:
    """The registry's own error messages (OCI `errors` list), if it sent any."""
    try:
        errors = response.json().get("errors", [])
        messages = [str(e.get("message", "")) for e in errors if isinstance(e, dict)]
    except (ValueError, AttributeError):
        return ""
    text = "; ".join(m for m in messages if m)
    return f": {text}" if text else ""
