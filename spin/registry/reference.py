"""Registry references, `[registry/]repository[:tag][@sha256:digest]`, checked against the OCI
distribution grammar before anything goes on the network, so a typo is one clear error instead
of a registry's 404 or a parser's traceback.

As Docker reads them: the first path part is the registry when it has a `.` or a `:` or is
`localhost`; without one the registry is Docker Hub (`docker.io`). Without a tag or digest the
tag is `latest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spin.errors import SpinError

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"

_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = re.compile(
    rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?"
)
_REPOSITORY = re.compile(rf"{_PATH_PART}(?:/{_PATH_PART})*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")

_SHAPE = (
    "A reference is [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST], for example "
    "localhost:5000/hello:v1 or ghcr.io/me/hello:1.0 (repository names are lower case)."
)


@dataclass(frozen=True)
class Reference:
    registry: str
    repository: str
    tag: str
    digest: str | None = None

    @property
    def target(self) -> str:
        """What the registry's manifest URL names: the digest if given, else the tag."""
        return self.digest or self.tag

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}:{self.tag}"
        return f"{text}@{self.digest}" if self.digest else text


def parse_reference(text: str) -> Reference:
    """The reference `text` names; SpinError (naming it and the expected shape) if malformed."""
    rest, _, digest = text.partition("@")
    registry = DEFAULT_REGISTRY
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repository, colon, tag = rest.rpartition(":") if ":" in rest else (rest, "", DEFAULT_TAG)
    problem = ""
    if not _REGISTRY.fullmatch(registry):
        problem = f"the registry {registry!r} is not a host name with an optional port"
    elif not _REPOSITORY.fullmatch(repository):
        problem = f"the repository {repository!r} is not a valid repository name"
    elif colon and not _TAG.fullmatch(tag):
        problem = f"the tag {tag!r} is not a valid tag"
    elif digest and not _DIGEST.fullmatch(digest):
        problem = f"the digest {digest!r} is not sha256: and 64 lower-case hex digits"
    if problem:
        raise SpinError(f"Invalid registry reference {text!r}: {problem}. {_SHAPE}")
    return Reference(registry, repository, tag, digest or None)


def looks_like_reference(text: str) -> bool:
    """Whether `spin up -f TEXT` (naming no existing file) means a registry reference, guessed as
    Spin guesses: it parses, and names a tag, a digest or a registry (so `examples/demo`, a
    missing directory, is not one)."""
    try:
        reference = parse_reference(text)
    except SpinError:
        return False
    explicit_tag = ":" in text.rpartition("/")[2] or reference.digest is not None
    explicit_registry = text.startswith(f"{reference.registry}/")
    return explicit_tag or explicit_registry
