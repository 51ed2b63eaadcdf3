"""The deprecated `allowed_http_hosts` field, rewritten as `allowed_outbound_hosts` the way Spin
rewrites it.

`insecure:allow-all` allows every HTTP(S) host; `self` is the app itself; anything else is a
host with an optional port (`example.com`, `localhost:3001`) or an http(s) URL without a path,
and becomes one `http://` and one `https://` entry. Manifests of version 1 written before
`allowed_outbound_hosts` existed also get access to every Redis, MySQL and PostgreSQL host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from spin.manifest.checks import Checker, index_path

ALLOW_ALL = "insecure:allow-all"
LEGACY_DATABASE_ACCESS = ("redis://*:*", "mysql://*:*", "postgres://*:*")
_ALLOW_ALL_HTTP = ("http://*:*", "https://*:*", "http://self")


def outbound_from_http_hosts(
    check: Checker, hosts: tuple[str, ...], field: str, *, legacy_database_access: bool
) -> tuple[str, ...]:
    """The `allowed_outbound_hosts` entries that `allowed_http_hosts` (at `field`) stands for."""
    converted: list[str] = list(LEGACY_DATABASE_ACCESS) if legacy_database_access else []
    if ALLOW_ALL in hosts:
        return (*converted, *_ALLOW_ALL_HTTP)
    for i, host in enumerate(hosts):
        domain, port = _parse_host(check, host, index_path(field, i))
        if domain == "self":
            converted.append("http://self")
        else:
            suffix = f":{port}" if port is not None else ""
            converted += [f"http://{domain}{suffix}", f"https://{domain}{suffix}"]
    return tuple(converted)


def _parse_host(check: Checker, text: str, field: str) -> tuple[str, int | None]:
    fix = 'Write a host with an optional port (`"example.com:8080"`) or `"insecure:allow-all"`.'
    url = text if "//" in text else f"http://{text}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        check.fail(field, f"{text!r} is not a valid host or URL: {err}.", fix)
    if parts.scheme not in ("http", "https"):
        check.fail(field, f"{text!r} is not an http or https host.", fix)
    if not parts.hostname:
        check.fail(field, f"{text!r} has no host name.", fix)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        check.fail(field, f"{text!r} has a path; only a host and optional port are allowed.", fix)
    host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        host = host[: host.rindex(":")]
    return host.lower(), port
