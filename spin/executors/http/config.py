"""The HTTP executor's own options (`--listen`, `--tls-cert`, `--tls-key`, the request limits)
and their values."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    #: Seconds a request body may take to arrive, first byte to last (0: none); past it, 408.
    #: Without one, 300 clients sending a byte every 2 s held their connections indefinitely.
    body_timeout: float = 30.0
    #: Connections held at once (each is a file descriptor); past it, 503 and closed.
    max_connections: int = 1000
    #: Seconds a request may wait for a free guest worker (0: no limit); past it, 503.
    max_queue_wait: float = 10.0


def _limit(
    flag: str, envvar: str, kind: Any, default: object, metavar: str, help_text: str
) -> click.Option:
    """One of the request limits: an option with its environment variable and a default."""
    return click.Option(
        [flag],
        envvar=envvar,
        type=kind,
        default=default,
        show_default=True,
        metavar=metavar,
        help=help_text,
    )


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
    *(
        _limit(flag, envvar, kind, default, metavar, help_text)
        for flag, envvar, kind, default, metavar, help_text in (
            (
                "--max-body-size",
                "SPIN_HTTP_MAX_BODY_SIZE",
                str,
                HttpOptions.max_body_size,
                "SIZE",
                "Largest request body accepted (bytes, or with K, M, G); larger ones get 413.",
            ),
            (
                "--body-timeout",
                "SPIN_HTTP_BODY_TIMEOUT",
                click.FloatRange(min=0),
                HttpOptions.body_timeout,
                "SECONDS",
                "Time a request body may take to arrive (0: no limit); slower ones get 408.",
            ),
            (
                "--max-connections",
                "SPIN_HTTP_MAX_CONNECTIONS",
                click.IntRange(min=1),
                HttpOptions.max_connections,
                "N",
                "Connections held at once (at most what the open-file limit allows); more get 503.",
            ),
            (
                "--max-queue-wait",
                "SPIN_HTTP_MAX_QUEUE_WAIT",
                click.FloatRange(min=0),
                HttpOptions.max_queue_wait,
                "SECONDS",
                "Time a request may wait for a free guest worker (0: no limit); then 503.",
            ),
        )
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
    body_timeout: float | None = HttpOptions.body_timeout
    max_connections: int = HttpOptions.max_connections
    max_queue_wait: float | None = HttpOptions.max_queue_wait

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
            body_timeout=options.body_timeout or None,
            max_connections=options.max_connections,
            max_queue_wait=options.max_queue_wait or None,
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
