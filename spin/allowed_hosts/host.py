"""Host names as the WHATWG URL standard parses them (Rust's `url::Host::parse`, which Spin
uses on both sides of an `allowed_outbound_hosts` check).

A host is a lower-case ASCII domain, an IPv4 address or an IPv6 address. The parse is what makes
`Example.COM` equal `example.com`, `0x7f.1` equal `127.0.0.1`, and `ex%41mple.com` equal
`example.com`; what it rejects (`exa[mple.com`, `example%.com`, `[::1`) is an invalid host.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from urllib.parse import unquote

Host = str | ipaddress.IPv4Address | ipaddress.IPv6Address

#: The URL standard's forbidden domain code points (C0 controls, space, DEL and these).
FORBIDDEN = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*")


class InvalidHost(ValueError):
    """Not a host the URL standard accepts."""


def parse_host(text: str) -> Host:
    """A domain (lower-case ASCII), an IPv4Address or an IPv6Address; raises InvalidHost."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise InvalidHost(f"{text!r} is an IPv6 address without its closing ']'")
        return _ipv6(text[1:-1])
    domain = _to_ascii(unquote(text, errors="replace"))
    if not domain:
        raise InvalidHost("the host is empty")
    if FORBIDDEN.search(domain):
        raise InvalidHost(f"{text!r} contains a character not allowed in a host name")
    if _ends_in_number(domain):
        return _ipv4(domain)
    return domain


def host_text(host: Host) -> str:
    """The host as a URL writes it (IPv6 in brackets)."""
    return f"[{host}]" if isinstance(host, ipaddress.IPv6Address) else str(host)


def _ipv6(text: str) -> ipaddress.IPv6Address:
    # Python accepts a zone (`fe80::1%eth0`); the URL standard does not.
    if "%" in text:
        raise InvalidHost(f"[{text}] is not a valid IPv6 address")
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        raise InvalidHost(f"[{text}] is not a valid IPv6 address") from None


def _to_ascii(domain: str) -> str:
    """Domain to ASCII, lower case. ASCII labels are kept as they are (punycode ones must
    decode); others go through IDNA (Python's codec is IDNA 2003, close to the UTS 46 mapping
    the standard uses for the names people write)."""
    labels = []
    for label in domain.split("."):
        if label.isascii():
            label = label.lower()
            if label.startswith("xn--"):
                try:
                    codecs.decode(label[4:].encode(), "punycode")
                except (UnicodeError, ValueError):
                    raise InvalidHost(f"{label!r} is not a valid punycode label") from None
        else:
            try:
                label = label.encode("idna").decode("ascii")
            except UnicodeError:
                raise InvalidHost(f"{domain!r} is not a valid international domain") from None
        labels.append(label)
    return ".".join(labels)


def _ends_in_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(_DIGITS.fullmatch(last) or _HEX.fullmatch(last))


def _ipv4(domain: str) -> ipaddress.IPv4Address:
    """The standard's IPv4 parser: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x),
    the last one filling the remaining bytes (`127.1` is 127.0.0.1)."""
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise InvalidHost(f"{domain!r} is not a valid IPv4 address")
    numbers = [_ipv4_number(part, domain) for part in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidHost(f"{domain!r} is not a valid IPv4 address (a part is too large)")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str, domain: str) -> int:
    invalid = InvalidHost(f"{domain!r} is not a valid IPv4 address")
    if part == "":
        raise invalid
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, radix = part[1:], 8
    if part == "":
        return 0
    if not (part.isascii() and part.isalnum()):
        raise invalid
    try:
        return int(part, radix)
    except ValueError:
        raise invalid from None
