"""What a component learns about its request beyond the request itself: Spin's routing facts.

Spin hands the same facts to every guest: as `spin-*` request headers to Spin 1.x modules
and inbound-http components, and as `X_*` / CGI environment variables to WAGI modules. This
module computes them once, under their two names.
"""

from __future__ import annotations

from dataclasses import dataclass

from spin.executors.http.routing import RouteMatch


@dataclass(frozen=True)
class RequestFacts:
    """The parts of an incoming request that the routing facts are computed from."""

    scheme: str  # "http" or "https"
    host: str | None  # the Host header (HTTP/1.1) or :authority (HTTP/2), if any
    path_and_query: str  # the request target as received, e.g. "/foo/bar?x=1"
    client_addr: tuple[str, int]


def _client_addr(addr: tuple[str, int]) -> str:
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def routing_facts(facts: RequestFacts, match: RouteMatch, base: str) -> list[tuple[str, str, str]]:
    """(header name, WAGI variable name, value) triples, in Spin's order."""
    route = match.route
    full_url = f"{facts.scheme}://{facts.host or 'localhost'}{facts.path_and_query}"
    triples = [
        ("spin-path-info", "PATH_INFO", match.path_info),
        ("spin-full-url", "X_FULL_URL", full_url),
        ("spin-matched-route", "X_MATCHED_ROUTE", route.based),
        ("spin-base-path", "X_BASE_PATH", base),
        ("spin-raw-component-route", "X_RAW_COMPONENT_ROUTE", route.raw),
        ("spin-component-route", "X_COMPONENT_ROUTE", route.raw_or_prefix),
        ("spin-client-addr", "X_CLIENT_ADDR", _client_addr(facts.client_addr)),
    ]
    for name, value in match.params.items():
        upper = name.upper()
        triples.append(
            (f"spin-path-match-{upper.lower().replace('_', '-')}", f"X_PATH_MATCH_{upper}", value)
        )
    return triples


def spin_headers(facts: RequestFacts, match: RouteMatch, base: str) -> list[tuple[str, str]]:
    """The `spin-*` headers added to the request a Spin 1.x module or component receives."""
    return [(header, value) for header, _, value in routing_facts(facts, match, base)]


def wagi_variables(facts: RequestFacts, match: RouteMatch, base: str) -> dict[str, str]:
    """The same facts as WAGI environment variables (`PATH_INFO`, `X_FULL_URL`, ...)."""
    return {variable: value for _, variable, value in routing_facts(facts, match, base)}
