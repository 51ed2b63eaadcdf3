"""Outbound networking shared by every guest kind: `allowed_outbound_hosts` matching with
Spin's rules (`allowed`), the host parse both sides of a check use (`host`), and the HTTP
client side of outbound requests (`http`)."""

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
