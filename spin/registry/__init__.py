"""Apps as OCI artifacts, in Spin's own format: `spin registry push/pull/login` and
`spin up -f <reference>`. The oras client (and requests) load only when a registry is used."""

from __future__ import annotations

from pathlib import Path


def pull_app(reference: str, *, insecure: bool = False) -> Path:
    """The path of a local locked app (`spin.lock`, sources as `file://` paths in the cache) for
    the app at `reference`, pulled unless cached. Raises SpinError."""
    from spin.registry.pull import pull_app as pull

    return pull(reference, insecure=insecure)
