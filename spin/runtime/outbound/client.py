"""A component's outbound HTTP: where a request may go, and the httpx client that sends it.

Shared by Spin 1.x modules (`wasi-outbound-http`) and components (`wasi:http/outgoing-handler`),
which differ in their ABI and error values, not in these rules (Spin's
`factor-outbound-http`):
- an absolute URL must match `allowed_outbound_hosts` (a URL without a scheme is checked as
  `https://...`); a URL that does not parse is simply not allowed;
- a relative request (to the app itself) needs a `self` entry (or a `*` host) for http or
  https, and goes to the app's own listen address (`RuntimeConfig.self_origin`, set by the HTTP
  executor); without one (Redis, timer) it is an invalid URL;
- a denied destination is logged with the entry that would allow it, as Spin prints it.
An invalid list (a bad entry, a variable without a value) denies every request, as in Spin,
where the list fails to resolve; the load-time check of the manifest reports it earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from spin.allowed_hosts.rules import (
    AllowedHosts,
    InvalidAllowedHost,
    InvalidUrl,
    parse_url,
)
from spin.errors import SpinError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("spin.runtime.outbound")

#: The scheme a destination without one is checked with (Spin checks outbound HTTP as https).
DEFAULT_SCHEME = "https"
SELF_SCHEMES = ("http", "https")
#: Redirects followed where the guest's interface follows them (Spin's 1.x client default).
MAX_REDIRECTS = 10


class DestinationDenied(Exception):
    """`allowed_outbound_hosts` does not allow this destination."""


class DestinationInvalid(Exception):
    """The destination cannot be turned into a URL to request."""


class OutboundHttp:
    """One component's outbound HTTP, in one worker: its allowed hosts and its client."""

    def __init__(
        self,
        component_id: str,
        entries: Sequence[str],
        *,
        render: Callable[[str], str] | None = None,
        self_origin: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.component_id = component_id
        self.self_origin = self_origin.rstrip("/") if self_origin else None
        self.timeout = timeout
        self._client: httpx.Client | None = None
        try:
            self.allowed = AllowedHosts.parse(entries, render=render)
        except (InvalidAllowedHost, SpinError) as err:
            log.error(
                "Component %r: its allowed_outbound_hosts cannot be used, so every outbound "
                "request is denied: %s",
                component_id,
                err,
            )
            self.allowed = AllowedHosts(())

    def check_absolute(self, url: str) -> None:
        """Raise DestinationDenied unless `url` may be requested."""
        if self.allowed.allows_url(url, DEFAULT_SCHEME):
            return
        try:
            parsed = parse_url(url, DEFAULT_SCHEME)
            self._report(parsed.scheme, parsed.authority)
        except InvalidUrl:
            log.warning(
                "Component %r tried to make an outbound request to %r, which is not a URL.",
                self.component_id,
                url,
            )
        raise DestinationDenied(url)

    def self_url(self, path_and_query: str) -> str:
        """The app's own URL for a relative request; DestinationDenied / DestinationInvalid."""
        if not self.allowed.allows_relative(SELF_SCHEMES):
            self._report(SELF_SCHEMES[0], "self")
            raise DestinationDenied(path_and_query)
        if self.self_origin is None:
            log.error(
                "Component %r made an outbound HTTP request to the relative URL %r, but this "
                "trigger has no address of its own to send it to.",
                self.component_id,
                path_and_query,
            )
            raise DestinationInvalid(path_and_query)
        return self.self_origin + path_and_query

    def _report(self, scheme: str, authority: str) -> None:
        pattern = f"{scheme}://{authority}"
        if authority == "self":
            what = "an HTTP request to its own app but it does not have permission"
        else:
            what = f"an outbound network connection to disallowed destination '{pattern}'"
        log.warning(
            "Component %r tried to make %s. To allow this request, add "
            "'allowed_outbound_hosts = [\"%s\"]' to the manifest component section.",
            self.component_id,
            what,
            pattern,
        )

    def client(self) -> httpx.Client:
        """The component's client in this worker: connections are reused across calls."""
        if self._client is None:
            import httpx  # on first use: most guests never make a request (~90 ms of import)

            client = httpx.Client(
                timeout=self.timeout, trust_env=False, max_redirects=MAX_REDIRECTS
            )
            # Send what Spin's client sends: no user agent, no compression offer, no
            # `connection` header (HTTP/1.1 keeps connections open without one).
            for name in ("user-agent", "accept-encoding", "connection"):
                del client.headers[name]
            self._client = client
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
