"""Outbound networking shared by every guest kind: `allowed_outbound_hosts` matching with
Spin's rules (`allowed`), the host parse both sides of a check use (`host`), and a component's
outbound HTTP (`client`: destination checks, self requests, the httpx client). `allowed` and
`host` use only the standard library, so the manifest check can call `validate` cheaply."""

from spin.runtime.outbound.allowed import (
    AllowedHost,
    AllowedHosts,
    InvalidAllowedHost,
    InvalidUrl,
    OutboundUrl,
    parse_entry,
    parse_url,
    validate,
)

__all__ = [
    "AllowedHost",
    "AllowedHosts",
    "InvalidAllowedHost",
    "InvalidUrl",
    "OutboundUrl",
    "parse_entry",
    "parse_url",
    "validate",
]
