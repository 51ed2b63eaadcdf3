"""`allowed_outbound_hosts`: parse a component's entries and check destinations against them,
with Spin's rules (crates/outbound-networking-config, `allowed_hosts.rs`).

An entry is `<scheme>://<host>[:<port>]` with an optional trailing `/`:
- scheme: `*` (any) or letters only, compared as written (`HTTP://` matches nothing, since
  URLs' schemes are lower case);
- host: `*` (any), `self` or `self.alt` (the app itself: relative URLs only), `*.<domain>`
  (any name ending in `.<domain>`, not the domain itself, never an IP address), a CIDR block
  (`10.0.0.0/8`, host bits dropped; `ff00::/8`), or one host (domain, IPv4, `[IPv6]`),
  compared after the URL standard's host parse (case, IDNA, `0x7f.1`);
- port: `*`, a number, or a range `a..b` that excludes `b`; without one, the scheme's well-known
  port (http 80, https 443, redis 6379, postgres 5432, mysql 3306, mqtt 1883); a scheme with
  none (`*`, `tcp`) must give a port, so `*://example.com` is invalid.
A destination matches when scheme, host and port match one entry; a URL without a port uses its
scheme's. `insecure:allow-all` is not an entry (only the old `allowed_http_hosts` accepted it);
`{{ variable }}` templates are resolved first, and an entry that resolves to nothing (``,
`http://`, `https://`) is dropped. `http://*.spin.internal` stands for each component of the app.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from spin.allowed_hosts.host import Host, InvalidHost, host_text, parse_host

WELL_KNOWN_PORTS = {
    "postgres": 5432,
    "mysql": 3306,
    "redis": 6379,
    "mqtt": 1883,
    "http": 80,
    "https": 443,
}
SERVICE_CHAINING_SUFFIX = ".spin.internal"
SELF_HOSTS = ("self", "self.alt")
FIX = (
    "Write entries as <scheme>://<host>[:<port>] with '*' wildcards allowed for each, "
    'e.g. "https://api.example.com", "http://localhost:3000", "*://*.example.com:*".'
)
#: Entries that resolve to these (an empty variable) are dropped, as Spin drops them.
EMPTY_RESOLUTIONS = ("", "http://", "https://")
_PORT = re.compile(r"\+?[0-9]+")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class InvalidAllowedHost(ValueError):
    """An `allowed_outbound_hosts` entry Spin would reject; the message says why."""


@dataclass(frozen=True)
class AllowedHost:
    """One parsed entry. `scheme`/`host`/`ports` None mean `*`; `host` is a Host, a Network,
    SELF (the app) or a `Subdomains`; `ports` is a tuple of (first, end-exclusive) ranges."""

    text: str
    scheme: str | None
    host: object
    ports: tuple[tuple[int, int], ...] | None

    def allows(self, url: OutboundUrl) -> bool:
        return (
            (self.scheme is None or self.scheme == url.scheme)
            and _host_allows(self.host, url.host)
            and self._port_allows(url)
        )

    def allows_relative(self, schemes: Iterable[str]) -> bool:
        """Relative ("self") requests: the host is `*` or `self`; the port is not consulted."""
        return (self.host is None or self.host is SELF) and any(
            self.scheme is None or self.scheme == s for s in schemes
        )

    def _port_allows(self, url: OutboundUrl) -> bool:
        if self.ports is None:
            return True
        port = url.port if url.port is not None else WELL_KNOWN_PORTS.get(url.scheme)
        return port is not None and any(first <= port < end for first, end in self.ports)


class _Self:
    def __repr__(self) -> str:
        return "SELF"


SELF = _Self()


@dataclass(frozen=True)
class Subdomains:
    """`*.example.com`: stored as the suffix `.example.com`."""

    suffix: str


def _host_allows(rule: object, host: str) -> bool:
    if rule is None:
        return True
    try:
        parsed = parse_host(host)
    except InvalidHost:
        return False
    if isinstance(rule, Subdomains):
        return isinstance(parsed, str) and parsed.endswith(rule.suffix)
    if isinstance(rule, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return not isinstance(parsed, str) and parsed in rule
    if rule is SELF:
        return False  # only relative requests reach the app itself
    return parsed == rule


def parse_entry(text: str) -> AllowedHost:
    """One literal entry (no template); raises InvalidAllowedHost naming what is wrong."""
    entry = text.strip()
    scheme, sep, rest = entry.partition("://")
    if not sep:
        if entry in ("*", ":", "", "?"):
            raise InvalidAllowedHost(
                f"{entry!r} is not an allowed outbound host. {FIX} To allow all outbound "
                "networking, use '*://*:*' (this removes all network sandboxing)."
            )
        raise InvalidAllowedHost(f"{entry!r} has no scheme (like 'http://' or '*://'). {FIX}")
    host_part, port_part = _split_port(entry, rest)
    ports = _parse_ports(entry, port_part, scheme)
    return AllowedHost(
        entry, _parse_scheme(entry, scheme), _parse_host_rule(entry, host_part), ports
    )


def _split_port(entry: str, rest: str) -> tuple[str, str]:
    """(host, port) of what follows `://`. The whole of it is the host when it parses as one
    (IPv6 addresses and blocks contain colons); otherwise the port follows the last colon."""
    host, colon, tail = rest.rpartition(":")
    if not colon:
        return rest, ""
    if tail == "":
        return host, ""
    if _is_host_rule(rest):
        return rest, ""
    port, slash, path = tail.partition("/")
    if slash and path:
        raise InvalidAllowedHost(f"{entry!r} has a path; only scheme, host and port are allowed.")
    return host, port


def _is_host_rule(text: str) -> bool:
    try:
        _parse_host_rule("", text)
    except InvalidAllowedHost:
        return False
    return True


def _parse_scheme(entry: str, scheme: str) -> str | None:
    if scheme == "*":
        return None
    if scheme.startswith("{"):
        raise InvalidAllowedHost(f"{entry!r}: scheme lists are not supported. {FIX}")
    if not all(c.isalpha() for c in scheme):
        raise InvalidAllowedHost(
            f"{entry!r}: invalid scheme {scheme!r}, only letters are allowed. {FIX}"
        )
    return scheme


def _parse_ports(entry: str, port: str, scheme: str) -> tuple[tuple[int, int], ...] | None:
    if port == "":
        default = WELL_KNOWN_PORTS.get(scheme)
        if default is None:
            raise InvalidAllowedHost(
                f"{entry!r} has no port and the scheme {scheme!r} has no well-known port: "
                f"add one (':443') or ':*' for any. {FIX}"
            )
        return ((default, default + 1),)
    if port == "*":
        return None
    if port.startswith("{"):
        raise InvalidAllowedHost(f"{entry!r}: port lists are not supported. {FIX}")
    first, dots, end = port.partition("..")
    if dots:
        return ((_port_number(entry, port, first), _port_number(entry, port, end)),)
    number = _port_number(entry, port, port)
    return ((number, number + 1),)


def _port_number(entry: str, port: str, text: str) -> int:
    if _PORT.fullmatch(text) and int(text) <= 0xFFFF:
        return int(text)
    raise InvalidAllowedHost(f"{entry!r}: invalid allowed host port {port!r}. {FIX}")


def _parse_host_rule(entry: str, text: str) -> object:
    host = text.strip()
    if host == "*":
        return None
    if host in SELF_HOSTS:
        return SELF
    if host.startswith("{"):
        raise InvalidAllowedHost(f"{entry!r}: host lists are not supported. {FIX}")
    network = _cidr(host)
    if network is not None:
        return network
    host = host.removesuffix("/")
    if "/" in host:
        raise InvalidAllowedHost(f"{entry!r} has a path; only scheme, host and port are allowed.")
    if host.startswith("*."):
        return _subdomains(entry, host[2:])
    if "*" in host:
        raise InvalidAllowedHost(
            f"{entry!r}: a wildcard is allowed only as a whole subdomain prefix ('*.'). {FIX}"
        )
    return _literal(entry, host)


def _subdomains(entry: str, domain: str) -> Subdomains:
    if "*" in domain:
        raise InvalidAllowedHost(f"{entry!r}: a wildcard is allowed only as a prefix. {FIX}")
    parsed = _literal(entry, domain)
    if not isinstance(parsed, str):
        raise InvalidAllowedHost(f"{entry!r}: a '*.' wildcard must be followed by a domain name.")
    return Subdomains("." + parsed)


def _literal(entry: str, host: str) -> Host:
    try:
        return parse_host(host)
    except InvalidHost as err:
        raise InvalidAllowedHost(f"{entry!r}: invalid host {host!r}: {err}. {FIX}") from None


def _cidr(text: str) -> Network | None:
    """`address/prefix` (IPv4 dotted decimal or IPv6, no brackets), host bits dropped."""
    address, slash, prefix = text.partition("/")
    if not slash or not prefix.isdigit() or not prefix.isascii():
        return None
    try:
        return ipaddress.ip_network(f"{address}/{int(prefix)}", strict=False)
    except ValueError:
        return None


# -- destinations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundUrl:
    """What a check needs of a destination: scheme (lower case), host text, explicit port."""

    scheme: str
    host: str
    port: int | None

    @property
    def authority(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


class InvalidUrl(ValueError):
    """A destination that is not a URL with a host."""


#: Schemes the URL standard treats specially: their host is a domain or IP, their default port
#: is dropped from the URL.
SPECIAL_SCHEMES = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "file": None}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def parse_url(url: str, default_scheme: str) -> OutboundUrl:
    """Parse a destination as Spin does: as a URL, else as `<default_scheme>://<url>` (so
    `example.com:8080` is a host and port); credentials before the host are ignored."""
    url = _without_userinfo(url)
    try:
        return _parse_absolute(url)
    except InvalidUrl as first:
        try:
            return _parse_absolute(f"{default_scheme}://{url}")
        except InvalidUrl:
            raise first from None


def _without_userinfo(url: str) -> str:
    """Drop `user:pass@` (which may hold `#` or `/`-free junk) the way Spin finds it: the first
    `@` when it comes before the first `/` after the scheme."""
    at = url.find("@")
    if at < 0:
        return url
    scheme_end = url.find("://")
    start = scheme_end + 3 if scheme_end >= 0 else 0
    slash = url.find("/", start)
    if slash >= 0 and at >= slash:
        return url
    return url[:start] + url[at + 1 :]


def _parse_absolute(url: str) -> OutboundUrl:
    url = url.strip(_C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(url)
    if match is None:
        raise InvalidUrl(f"{url!r} is not an absolute URL")
    scheme = match.group(1).lower()
    rest = url[match.end() :]
    special = scheme in SPECIAL_SCHEMES
    if special:
        authority = re.split(r"[/\\?#]", rest.lstrip("/\\"), maxsplit=1)[0]
    elif rest.startswith("//"):
        authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    else:
        raise InvalidUrl(f"{url!r} has no host")
    host, port = _split_authority(url, authority.rpartition("@")[2])
    if special:
        try:
            host = host_text(parse_host(host))
        except InvalidHost as err:
            raise InvalidUrl(f"{url!r}: {err}") from None
        if port is not None and port == SPECIAL_SCHEMES[scheme]:
            port = None
    elif not host:
        raise InvalidUrl(f"{url!r} has no host")
    return OutboundUrl(scheme, host, port)


def _split_authority(url: str, authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise InvalidUrl(f"{url!r}: unclosed IPv6 address")
        host, after = authority[: end + 1], authority[end + 1 :]
        if after and not after.startswith(":"):
            raise InvalidUrl(f"{url!r}: junk after the IPv6 address")
        port_text = after[1:]
    else:
        host, _, port_text = authority.partition(":")
    if port_text == "":
        return host, None
    if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 0xFFFF:
        raise InvalidUrl(f"{url!r}: invalid port {port_text!r}")
    return host, int(port_text)


# -- a component's list --------------------------------------------------------------------


class AllowedHosts:
    """A component's parsed `allowed_outbound_hosts`: the one place destinations are checked."""

    def __init__(self, entries: Sequence[AllowedHost]) -> None:
        self.entries = tuple(entries)

    @classmethod
    def parse(
        cls,
        texts: Sequence[str],
        *,
        render: Callable[[str], str] | None = None,
        component_ids: Sequence[str] = (),
    ) -> AllowedHosts:
        """Parse every entry; `render` resolves `{{ variable }}` templates (SpinError if one
        cannot be). `component_ids` expand `*.spin.internal`. Raises InvalidAllowedHost."""
        check_not_allow_all(texts)
        entries: list[AllowedHost] = []
        for text in texts:
            if is_template(text):
                if render is None:
                    raise InvalidAllowedHost(f"{text!r} uses a variable, which cannot be resolved")
                text = render(text)
                if text in EMPTY_RESOLUTIONS:
                    continue
            entries.extend(_expand_service_chaining(parse_entry(text), component_ids))
        return cls(entries)

    def allows(self, url: OutboundUrl) -> bool:
        return any(entry.allows(url) for entry in self.entries)

    def allows_url(self, url: str, default_scheme: str) -> bool:
        """Whether a request to `url` may go out; a URL that does not parse is not allowed."""
        try:
            return self.allows(parse_url(url, default_scheme))
        except InvalidUrl:
            return False

    def allows_relative(self, schemes: Iterable[str] = ("http", "https")) -> bool:
        """Whether the component may make requests to its own app (relative URLs)."""
        schemes = tuple(schemes)
        return any(entry.allows_relative(schemes) for entry in self.entries)


def validate(texts: Sequence[str], render_defaults: Callable[[str], str]) -> None:
    """Check a component's entries as Spin does when an app loads; raises InvalidAllowedHost
    for the first bad one (`invalid_entries` lists them all)."""
    for _, problem in invalid_entries(texts, render_defaults)[:1]:
        raise InvalidAllowedHost(problem)


def invalid_entries(
    texts: Sequence[str], render_defaults: Callable[[str], str]
) -> list[tuple[int | None, str]]:
    """Every entry Spin would refuse when the app loads, as (index, why); index None is the
    list as a whole (`["insecure:allow-all"]`). Literal entries must parse; a template is
    checked with the variables' default values, and skipped when one has none (it is resolved
    when the component runs). `render_defaults` raises any Exception for a missing value."""
    try:
        check_not_allow_all(texts)
    except InvalidAllowedHost as err:
        return [(None, str(err))]
    problems: list[tuple[int | None, str]] = []
    for index, text in enumerate(texts):
        try:
            _validate_entry(text, render_defaults)
        except InvalidAllowedHost as err:
            problems.append((index, str(err)))
    return problems


def _validate_entry(text: str, render_defaults: Callable[[str], str]) -> None:
    if not is_template(text):
        parse_entry(text)
        return
    try:
        resolved = render_defaults(text)
    except Exception:
        return
    if resolved in EMPTY_RESOLUTIONS:
        return
    try:
        parse_entry(resolved)
    except InvalidAllowedHost as err:
        raise InvalidAllowedHost(
            f"with the variables' default values, {text!r} is {resolved!r}, which is not "
            f"valid: {err}"
        ) from None


def is_template(text: str) -> bool:
    return "{{" in text


def check_not_allow_all(texts: Sequence[str]) -> None:
    if list(texts) == ["insecure:allow-all"]:
        raise InvalidAllowedHost(
            "'insecure:allow-all' is not allowed in allowed_outbound_hosts: use '*://*:*' "
            "if you really want to allow all outbound traffic."
        )


def _expand_service_chaining(entry: AllowedHost, component_ids: Sequence[str]) -> list[AllowedHost]:
    host = entry.host
    if not (isinstance(host, Subdomains) and host.suffix == SERVICE_CHAINING_SUFFIX):
        return [entry]
    return [
        AllowedHost(entry.text, entry.scheme, f"{cid}{SERVICE_CHAINING_SUFFIX}", entry.ports)
        for cid in component_ids
    ]


def service_chaining_target(entry: str) -> str | None:
    """The component an entry reaches through service chaining (`b` for
    `http://b.spin.internal`, `*` for `http://*.spin.internal`), else None; an entry that
    does not parse (a template, not resolved yet) is None, as Spin leaves it."""
    try:
        host = parse_entry(entry).host
    except InvalidAllowedHost:
        return None
    if isinstance(host, Subdomains):
        return "*" if host.suffix == SERVICE_CHAINING_SUFFIX else None
    if isinstance(host, str) and host.endswith(SERVICE_CHAINING_SUFFIX):
        return host.removesuffix(SERVICE_CHAINING_SUFFIX)
    return None
