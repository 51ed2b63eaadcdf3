"""`allowed_outbound_hosts` with Spin's rules: the parse and match of entries (`rules`) and the
URL standard's host parse both sides of a check use (`host`). Standard library only, and below
both the manifest (which validates entries when an app loads) and the runtime (which checks each
outbound destination against them), so that `spin up` validates without loading the runtime."""

from spin.allowed_hosts.rules import (
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
