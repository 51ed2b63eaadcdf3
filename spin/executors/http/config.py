"""The HTTP executor's own options (`--listen`, `--tls-cert`, `--tls-key`) and their values."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from spin.errors import SpinError

DEFAULT_LISTEN = "127.0.0.1:3000"

HTTP_OPTIONS: list[click.Option] = [
    click.Option(
        ["--listen"],
        envvar="SPIN_HTTP_LISTEN_ADDR",
        default=DEFAULT_LISTEN,
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

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @classmethod
    def from_options(cls, extra: dict[str, Any]) -> ServerConfig:
        host, port = parse_listen_address(extra.get("listen") or DEFAULT_LISTEN)
        return cls(host, port, tls_files(extra.get("tls_cert"), extra.get("tls_key")))


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
