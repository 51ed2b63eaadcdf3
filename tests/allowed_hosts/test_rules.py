"""`allowed_outbound_hosts` matching: the cases of Spin's own tests (allowed_hosts.rs in
crates/outbound-networking-config), restated as our tables."""

from __future__ import annotations

import ipaddress

import pytest

from spin.allowed_hosts import (
    AllowedHosts,
    InvalidAllowedHost,
    parse_entry,
    parse_url,
    validate,
)
from spin.allowed_hosts.host import InvalidHost, parse_host
from spin.allowed_hosts.rules import SELF, Subdomains

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
NET = ipaddress.ip_network

# (entry, scheme or None for '*', host rule, ports or None for '*')
PARSED = [
    ("http://spin.fermyon.dev", "http", "spin.fermyon.dev", ((80, 81),)),
    ("http://spin.fermyon.dev/", "http", "spin.fermyon.dev", ((80, 81),)),
    ("https://spin.fermyon.dev", "https", "spin.fermyon.dev", ((443, 444),)),
    ("http://spin.fermyon.dev:4444", "http", "spin.fermyon.dev", ((4444, 4445),)),
    ("http://spin.fermyon.dev:4444/", "http", "spin.fermyon.dev", ((4444, 4445),)),
    ("https://spin.fermyon.dev:5555", "https", "spin.fermyon.dev", ((5555, 5556),)),
    ("http://spin.fermyon.dev:4444..5555", "http", "spin.fermyon.dev", ((4444, 5555),)),
    ("*://spin.fermyon.dev:7777", None, "spin.fermyon.dev", ((7777, 7778),)),
    ("http://self", "http", SELF, ((80, 81),)),
    ("http://self.alt", "http", SELF, ((80, 81),)),
    ("http://localhost", "http", "localhost", ((80, 81),)),
    ("http://localhost:3001", "http", "localhost", ((3001, 3002),)),
    ("http://*.example.com", "http", Subdomains(".example.com"), ((80, 81),)),
    ("http://*.Example.COM", "http", Subdomains(".example.com"), ((80, 81),)),
    ("http://192.168.1.1", "http", V4("192.168.1.1"), ((80, 81),)),
    ("http://192.168.1.1:3002", "http", V4("192.168.1.1"), ((3002, 3003),)),
    ("http://[::1]:8001", "http", V6("::1"), ((8001, 8002),)),
    ("http://[::1]", "http", V6("::1"), ((80, 81),)),
    ("https://[::1]", "https", V6("::1"), ((443, 444),)),
    ("http://[2001:db8::1]", "http", V6("2001:db8::1"), ((80, 81),)),
    ("http://[2001:db8::1]:443", "http", V6("2001:db8::1"), ((443, 444),)),
    ("http://[::1]:*", "http", V6("::1"), None),
    ("http://[::1]:8000..9000", "http", V6("::1"), ((8000, 9000),)),
    ("*://[::1]:80", None, V6("::1"), ((80, 81),)),
    ("http://[::1]:8080/", "http", V6("::1"), ((8080, 8081),)),
    ("*://127.0.0.0/24:80", None, NET("127.0.0.0/24"), ((80, 81),)),
    ("*://127.0.0.1/24:63551", None, NET("127.0.0.0/24"), ((63551, 63552),)),
    ("*://ff00::/8:80", None, NET("ff00::/8"), ((80, 81),)),
    ("http://ff00::/8", "http", NET("ff00::/8"), ((80, 81),)),
    ("https://2001:db8::/32", "https", NET("2001:db8::/32"), ((443, 444),)),
    ("http://::1/128", "http", NET("::1/128"), ((80, 81),)),
    ("http://10.0.0.0/8", "http", NET("10.0.0.0/8"), ((80, 81),)),
    ("http://2001:db8::/32:443", "http", NET("2001:db8::/32"), ((443, 444),)),
    ("*://*:*", None, None, None),
    ("redis://*", "redis", None, ((6379, 6380),)),
    ("postgres://db", "postgres", "db", ((5432, 5433),)),
    ("mysql://db", "mysql", "db", ((3306, 3307),)),
    ("mqtt://broker", "mqtt", "broker", ((1883, 1884),)),
    ("  http://padded.example  ", "http", "padded.example", ((80, 81),)),
]


@pytest.mark.parametrize(("entry", "scheme", "host", "ports"), PARSED)
def test_entry_parses_into_scheme_host_and_ports(
    entry: str, scheme: str | None, host: object, ports: object
) -> None:
    parsed = parse_entry(entry)
    assert (parsed.scheme, parsed.host, parsed.ports) == (scheme, host, ports)


REJECTED = [
    "spin.fermyon.dev",  # no scheme
    "spin.fermyon.dev:80",
    "localhost",
    "localhost:3001",
    "example.com:8080",
    "[::1]",
    "[::1]:8080",
    "*",
    "",
    "insecure:allow-all",
    "*://127.0.0.0/24",  # '*' has no well-known port
    "*://example.com",
    "tcp://example.com",
    "http://spin.fermyon.dev/a",  # paths
    "http://spin.fermyon.dev:6666/a/b",
    "http://*.fermyon.dev/a",
    "http://example.com:8080/p",
    "http://*.example.com:8080/p",
    "http://*.example.com/p",
    "http://127.0.0.0/24/p",
    "http://[::1]/foo",
    "http://ff00::/8/extra",
    "http://example.com//",
    "http://*.example.com//",
    "http://self//",
    "http://[::1]//",
    "http://example.com:notaport",  # ports
    "http://example.com:8080..70000",
    "http://self:notaport",
    "http://self.alt:notaport",
    "http://*:notaport",
    "http://127.0.0.1:notaport",
    "http://[::1]:notaport",
    "http://*.example.com:notaport",
    "http://*.example.com:8080..",
    "http://*.example.com:8O8O",
    "http://example.com:99999",
    "http://[::1]:99999",
    "http://ff00::/8:99999",
    "http://*.example.com:99999",
    "http://example.com:80:90",
    "http://{a,b}.example.com",  # lists
    "{http,https}://example.com",
    "http://example.com:{80,443}",
    "ht-tp://example.com",  # scheme letters only
    "http://*.",  # wildcards
    "http://*.:8080",
    "http://a.*.example.com",
    "http://*.*.example.com",
    "http://exa*mple.com",
    "http://*.127.0.0.1",
    "http://*.192.168.001.001",
    "http://*.[::1]",
    "http://*.[2001:db8::1]",
    "http://[::1junk",  # hosts
    "http://[::1",
    "http://[::1]junk",
    "http://[::1]::80",
    "http://[v1.]",
    "http://[vG.example]",
    "http://example%.com",
    "http://example%2.com",
    "http://example%GG.com",
    "http://exa[mple.com",
    r"http://exa\mple.com",
]


@pytest.mark.parametrize("entry", REJECTED)
def test_entry_is_rejected(entry: str) -> None:
    with pytest.raises(InvalidAllowedHost):
        parse_entry(entry)


def test_a_bad_port_is_reported_as_the_port() -> None:
    for entry in ("http://example.com:99999", "http://[::1]:99999", "http://ff00::/8:99999"):
        with pytest.raises(InvalidAllowedHost, match="invalid allowed host port '99999'"):
            parse_entry(entry)


def test_insecure_allow_all_is_not_an_outbound_host() -> None:
    with pytest.raises(InvalidAllowedHost, match=r"use '\*://\*:\*'"):
        AllowedHosts.parse(["insecure:allow-all"])
    with pytest.raises(InvalidAllowedHost, match="has no scheme"):
        AllowedHosts.parse(["spin.fermyon.dev", "insecure:allow-all"])


SPECIFIC = ["*://spin.fermyon.dev:443", "http://example.com:8383"]
WILD = ["http://*.example.com", "http://*.example2.com:8383"]

# (entries, destination, default scheme, allowed?)
MATCHES = [
    (SPECIFIC, "http://example.com:8383/foo/bar", "http", True),
    (SPECIFIC, "https://spin.fermyon.dev", "https", True),
    (SPECIFIC, "https://spin.fermyon.dev/", "https", True),
    (SPECIFIC, "http://example.com/", "http", False),
    (SPECIFIC, "http://google.com/", "http", False),
    # no scheme in the destination: the default one is put in front
    (SPECIFIC, "spin.fermyon.dev:443", "https", True),
    (SPECIFIC, "example.com:8383", "http", True),
    (["https://my.api.com/"], "https://my.api.com", "https", True),
    (["https://my.api.com/"], "https://my.api.com/", "https", True),
    (["https://my.api.com"], "http://my.api.com", "https", False),  # scheme differs
    (["https://my.api.com"], "https://my.api.com:8443", "https", False),  # port differs
    (["https://my.api.com"], "https://my.api.com:443/x", "https", True),  # explicit default
    (["https://my.api.com"], "https://MY.Api.com/x", "https", True),  # case
    (WILD, "http://a.example.com/foo/bar", "http", True),
    (WILD, "http://a.b.example.com/foo/bar", "http", True),
    (WILD, "http://a.b.example2.com:8383/foo/bar", "http", True),
    (WILD, "http://a.b.example2.com/foo/bar", "http", False),
    (WILD, "http://example.com/foo/bar", "http", False),
    (WILD, "http://example.com:8383/foo/bar", "http", False),
    (WILD, "http://myexample.com/foo/bar", "http", False),
    (["http://*.Example.COM"], "http://foo.example.com", "http", True),
    (["http://*.Example.COM"], "http://a.b.example.com/x", "http", True),
    (["http://*.Example.COM"], "http://example.com", "http", False),
    (["http://*.example.com"], "http://127.0.0.1", "http", False),  # never an IP
    # credentials before the host do not count, even with '#' or '@' in them
    (["mysql://xyz.com"], "mysql://user:pass#word@xyz.com", "mysql", True),
    (["mysql://xyz.com"], "mysql://user%3Apass%23word@xyz.com", "mysql", True),
    (["mysql://xyz.com"], "user%3Apass%23word@xyz.com", "mysql", True),
    (["https://example.com"], "https://user:password@example.com/file@0.1.0.json", "https", True),
    (["https://example.com"], "https://example.com/file@0.1.0.json", "https", True),
    (["https://example.com"], "https://evil.com/@example.com", "https", False),
    (["*://127.0.0.1/24:63551"], "tcp://127.0.0.1:63551", "tcp", True),
    (["*://127.0.0.1/24:63551"], "tcp://127.0.0.200:63551", "tcp", True),
    (["*://127.0.0.1/24:63551"], "tcp://127.0.1.1:63551", "tcp", False),
    (["*://127.0.0.1/24:63551"], "tcp://localhost:63551", "tcp", False),  # blocks hold IPs only
    (["http://[::1]"], "http://[::1]", "http", True),
    (["http://[::1]"], "http://[::1]/some/path", "http", True),
    (["http://[::1]"], "http://[::1]:80", "http", True),
    (["http://[::1]"], "http://[::2]", "http", False),
    (["http://[::1]"], "http://[::1]:81", "http", False),
    (["http://2001:db8::/32"], "http://[2001:db8::1]", "http", True),
    (["http://2001:db8::/32"], "http://[2001:db8:abcd::1]/x", "http", True),
    (["http://2001:db8::/32"], "http://[2001:db9::1]", "http", False),
    (["http://127.0.0.1:3000"], "http://0x7f.1:3000/", "http", True),  # URL-standard IPv4
    (["http://127.0.0.1:3000"], "http://localhost:3000/", "http", False),
    (["http://localhost:3000..3005"], "http://localhost:3004", "http", True),
    (["http://localhost:3000..3005"], "http://localhost:3005", "http", False),  # end excluded
    (["*://*:*"], "http://anything.example:1234/x", "http", True),
    (["*://*:*"], "redis://cache:6379", "redis", True),
    (["http://self"], "http://self/x", "http", False),  # self is for relative URLs only
    ([], "http://example.com", "http", False),
    (["https://example.com"], "not a url at all", "https", False),
    (["HTTP://example.com:80"], "http://example.com", "http", False),  # schemes as written
]


@pytest.mark.parametrize(("entries", "url", "default_scheme", "allowed"), MATCHES)
def test_destination_is_allowed_or_not(
    entries: list[str], url: str, default_scheme: str, allowed: bool
) -> None:
    assert AllowedHosts.parse(entries).allows_url(url, default_scheme) is allowed


# (entries, may the component make relative requests to its own app?)
RELATIVE = [
    (["http://self"], True),
    (["https://self.alt"], True),
    (["http://self:3000"], True),  # the port is not consulted
    (["*://*:*"], True),
    (["https://*"], True),
    (["redis://self"], False),  # not an HTTP scheme
    (["http://localhost:3000"], False),
    (["http://*.example.com"], False),
    ([], False),
]


@pytest.mark.parametrize(("entries", "allowed"), RELATIVE)
def test_relative_requests_need_self_or_any_host(entries: list[str], allowed: bool) -> None:
    assert AllowedHosts.parse(entries).allows_relative(("http", "https")) is allowed


def test_templates_resolve_and_empty_ones_are_dropped() -> None:
    values = {"one": "", "two": "", "three": "three", "port": "8080"}

    def render(text: str) -> str:
        for name, value in values.items():
            text = text.replace(f"{{{{ {name} }}}}", value)
        return text

    hosts = AllowedHosts.parse(
        ["https://{{ one }}", "{{ two }}", "https://{{ three }}", "http://x:{{ port }}"],
        render=render,
    )
    assert [entry.host for entry in hosts.entries] == ["three", "x"]
    assert hosts.allows_url("http://x:8080", "https")


def test_service_chaining_wildcard_stands_for_each_component() -> None:
    hosts = AllowedHosts.parse(
        ["pg://localhost:5656", "http://*.spin.internal", "https://spinframework.dev"],
        component_ids=["first", "second", "third"],
    )
    assert [entry.host for entry in hosts.entries] == [
        "localhost",
        "first.spin.internal",
        "second.spin.internal",
        "third.spin.internal",
        "spinframework.dev",
    ]
    assert hosts.allows_url("http://second.spin.internal/x", "https")
    assert not hosts.allows_url("http://fourth.spin.internal/x", "https")


HOSTS = [
    ("Example.COM", "example.com"),
    ("ex%41mple.com", "example.com"),
    ("127.0.0.1", V4("127.0.0.1")),
    ("0x7f.1", V4("127.0.0.1")),
    ("192.168.001.001", V4("192.168.1.1")),  # leading zero: octal
    ("2130706433", V4("127.0.0.1")),
    ("127.0.0.1.", V4("127.0.0.1")),
    ("[::1]", V6("::1")),
    ("bücher.example", "xn--bcher-kva.example"),
]


@pytest.mark.parametrize(("text", "host"), HOSTS)
def test_hosts_parse_as_the_url_standard_does(text: str, host: object) -> None:
    assert parse_host(text) == host


@pytest.mark.parametrize(
    "text",
    ["", "exa mple.com", "a:b", "[::1", "[fe80::1%eth0]", "256.0.0.1", "1.2.3.4.5", "1..2", "09"],
)
def test_invalid_hosts(text: str) -> None:
    with pytest.raises(InvalidHost):
        parse_host(text)


def test_url_parse_keeps_scheme_host_and_explicit_port() -> None:
    assert parse_url("HTTPS://Example.com:8443/x?y#z", "http").authority == "example.com:8443"
    assert parse_url("https://example.com:443/", "http").port is None
    assert parse_url("redis://cache", "redis").authority == "cache"
    assert parse_url("example.com:8080", "https").scheme == "https"


def render_defaults(text: str) -> str:
    """Templates with these variables' defaults; `dbport` has none."""
    defaults = {"dbhost": "example.com", "bad": "zoinks, Scooby!", "empty": ""}
    for name, value in defaults.items():
        text = text.replace(f"{{{{ {name} }}}}", value)
    if "{{" in text:
        raise KeyError(text)
    return text


@pytest.mark.parametrize(
    "entries",
    [
        ["http://x.y", "*://my.db:*"],
        ["http://{{ dbhost }}", "http://{{ dbhost }}:8080"],
        ["http://{{ dbhost }}:{{ dbport }}"],  # no default: checked when the component runs
        ["https://{{ empty }}", "{{ empty }}", "https://three"],  # empty values are dropped
    ],
)
def test_validation_accepts(entries: list[str]) -> None:
    validate(entries, render_defaults)


@pytest.mark.parametrize(
    "entries",
    [["http://x.y", "zootle! wurdl!", "}{ !!**"], ["http://{{ bad }}"], ["insecure:allow-all"]],
)
def test_validation_rejects(entries: list[str]) -> None:
    with pytest.raises(InvalidAllowedHost):
        validate(entries, render_defaults)
