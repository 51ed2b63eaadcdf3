"""The HTTP executor's own options (`--listen`, `--tls-cert`, `--tls-key`, the request limits)
and their values."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import click

from spin.errors import SpinError

_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


@dataclass(frozen=True)
class HttpOptions:
    """The values of `HTTP_OPTIONS`, with their defaults."""

    listen: str = "127.0.0.1:3000"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: A request body past this is refused with 413. Spin has no limit; without one, a single
    #: large POST held the whole body in memory (a 200 MiB body peaked at 813 MiB).
    max_body_size: str = "100M"


HTTP_OPTIONS: list[click.Option] = [
    click.Option(
        ["--listen"],
        envvar="SPIN_HTTP_LISTEN_ADDR",
        default=HttpOptions.listen,
        show_default=True,
        metavar="ADDRESS",
        help="IP address (or host name) and port to listen on.",
    ),
    click.Option(
        ["--tls-cert"],
        type=click.Path(path_type=Path),
        envvar="SPIN_TLS_CERT",
        help="Certificate (PEM) to serve HTTPS with; needs --tls-key.",
    ),
    click.Option(
        ["--tls-key"],
        type=click.Path(path_type=Path),
        envvar="SPIN_TLS_KEY",
        help="Private key (PEM) of the certificate; needs --tls-cert.",
    ),
    click.Option(
        ["--max-body-size"],
        envvar="SPIN_HTTP_MAX_BODY_SIZE",
        default=HttpOptions.max_body_size,
        show_default=True,
        metavar="SIZE",
        help="Largest request body accepted (bytes, or with K, M, G); larger ones get 413.",
    ),
]


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


@dataclass(frozen=True)
class ServerConfig:
    """Where and how to listen."""

    host: str
    port: int
    tls: TlsFiles | None = None
    max_body_size: int = 100 * 1024**2

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @classmethod
    def from_options(cls, options: HttpOptions) -> ServerConfig:
        host, port = parse_listen_address(options.listen)
        return cls(
            host,
            port,
            tls_files(options.tls_cert, options.tls_key),
            max_body_size=parse_size(options.max_body_size),
        )


def parse_size(text: str) -> int:
    """`--max-body-size`: bytes, or a number with K, M or G (powers of 1024; a B is allowed)."""
    number = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = number[-1:] if number[-1:] in _SIZE_UNITS else ""
    digits = number[: len(number) - len(unit)].strip()
    if not digits.isdigit():
        raise SpinError(
            f"--max-body-size {text!r} (or SPIN_HTTP_MAX_BODY_SIZE) is not a size: use a number "
            "of bytes, or one with K, M or G, e.g. 10M."
        )
    return int(digits) * _SIZE_UNITS[unit]


def parse_listen_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` (`[v6]:PORT` for IPv6) resolved to an IP; 127.0.0.1 preferred, as Spin does."""
    host, sep, port_text = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise SpinError(
            f"--listen {address!r} (or SPIN_HTTP_LISTEN_ADDR) is not an address and port: "
            "use HOST:PORT, e.g. 127.0.0.1:3000 or [::1]:3000."
        )
    port = int(port_text)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise SpinError(
            f"--listen {address!r}: cannot resolve {host!r} ({err}). Use an IP address such as "
            "127.0.0.1 or 0.0.0.0."
        ) from None
    addresses = [str(info[4][0]) for info in infos]
    return ("127.0.0.1" if "127.0.0.1" in addresses else addresses[0]), port


def tls_files(cert: Path | None, key: Path | None) -> TlsFiles | None:
    """Both or neither: a certificate without its key (or the reverse) is an error."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        given, missing = ("--tls-cert", "--tls-key") if key is None else ("--tls-key", "--tls-cert")
        env = "SPIN_TLS_KEY" if key is None else "SPIN_TLS_CERT"
        raise SpinError(
            f"{given} is set but {missing} is not: HTTPS needs both the certificate and its "
            f"private key. Add {missing} FILE (or set {env}), or drop {given} to serve "
            "plain HTTP."
        )
    for option, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.is_file():
            raise SpinError(f"{option} {path}: no such file. Give the path of a PEM file.")
    return TlsFiles(cert, key)
