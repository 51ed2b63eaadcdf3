"""WAGI: HTTP served by a WASI command module through CGI (RFC 3875), as Spin runs it.

The request goes in as the CGI environment, argv and the body on stdin; the module writes
CGI headers, a blank line and the body to stdout. This module builds the inputs and parses
the output; running the module is the runtime's `Guest.run_command`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from spin.errors import SpinError
from spin.executors.http.headers import RequestFacts, wagi_variables
from spin.executors.http.routing import RouteMatch
from spin.runtime import HttpResponse

if TYPE_CHECKING:
    from spin.executors.http.trigger_config import HttpExecutorConfig

log = logging.getLogger("spin.http.wagi")

DEFAULT_ARGV = "${SCRIPT_NAME} ${ARGS}"
#: Spin always names the request host "default_host" when the request has no Host header.
DEFAULT_HOST = "default_host"
#: Request headers that CGI does not pass on as HTTP_* variables (RFC 3875, 4.1.18).
HIDDEN_HEADERS = frozenset({"authorization", "connection"})


@dataclass(frozen=True)
class WagiConfig:
    """`executor = { type = "wagi", argv = "..." }` of one HTTP trigger."""

    argv: str = DEFAULT_ARGV

    @classmethod
    def from_executor(cls, executor: HttpExecutorConfig, component_id: str) -> WagiConfig:
        """From a trigger's (already typed) `executor` table."""
        if executor.entrypoint != "_start":
            raise SpinError(
                f"WAGI component {component_id!r} sets `executor.entrypoint = "
                f"{executor.entrypoint!r}`: Spin no longer supports a WAGI entry point other "
                "than `_start`. Remove the `entrypoint` field and export the handler as the "
                "module's `_start`."
            )
        return cls(argv=executor.argv)


@dataclass(frozen=True)
class CgiRequest:
    """An incoming request, as the CGI environment describes it."""

    method: str
    path: str  # percent-encoded path, without the query
    query: str
    http_version: str  # "1.1", "2"
    headers: list[tuple[str, str]]  # lower-case names
    body_length: int


def build_argv(config: WagiConfig, request: CgiRequest, match: RouteMatch) -> list[str]:
    """`${SCRIPT_NAME}` is the request path and `${ARGS}` the query's `&`-separated parts;
    the result is split at single spaces (so an empty query leaves an empty last argument,
    as in Spin)."""
    line = config.argv.replace("${SCRIPT_NAME}", request.path)
    line = line.replace("${ARGS}", request.query.replace("&", " "))
    return line.split(" ")


def _host_and_port(host_header: str | None, default_port: str) -> tuple[str, str]:
    host, port = DEFAULT_HOST, default_port
    if host_header:
        name, _, given_port = host_header.partition(":")
        host = name or host
        port = given_port or port
    return host, port


def build_environment(
    request: CgiRequest, facts: RequestFacts, match: RouteMatch, base: str
) -> dict[str, str]:
    """The CGI variables, the HTTP_* request headers and Spin's X_* routing facts."""
    host, port = _host_and_port(facts.host, "443" if facts.scheme == "https" else "80")
    path_info = match.path_info
    content_type = next((v for k, v in request.headers if k == "content-type"), "")
    env = {
        "AUTH_TYPE": "",
        "CONTENT_LENGTH": str(request.body_length),
        "CONTENT_TYPE": content_type,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "QUERY_STRING": request.query,
        "REMOTE_ADDR": facts.client_addr[0],
        "REMOTE_HOST": facts.client_addr[0],
        "REMOTE_USER": "",
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": match.route.based_or_prefix,
        "X_RAW_PATH_INFO": path_info,
        "PATH_TRANSLATED": unquote(path_info, errors="replace"),
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": f"HTTP/{request.http_version}"
        + (".0" if "." not in request.http_version else ""),
        "SERVER_SOFTWARE": "WAGI/1",
    }
    for name, value in request.headers:
        if name not in HIDDEN_HEADERS:
            env["HTTP_" + name.upper().replace("-", "_")] = value
    env.update(wagi_variables(facts, match, base))  # PATH_INFO, X_FULL_URL, ... win
    return env


class CgiOutputError(Exception):
    """The module's stdout is not a CGI response."""


def parse_cgi_output(stdout: bytes) -> HttpResponse:
    """Parse `Header: value` lines, a blank line and the body.

    A response needs `Content-Type`, `Status` or `Location`; `Location` without `Status`
    means 302; an unparsable `Status` gives 502. Output without any of them answers 500 with
    an explanation, as Spin does. Empty output raises CgiOutputError.
    """
    if not stdout:
        raise CgiOutputError(
            "the module wrote nothing to stdout; a WAGI module must print CGI headers, a blank "
            "line and the body (check the `executor` of its trigger)"
        )
    head, body = _split_head(stdout)
    fields: dict[str, tuple[str, str]] = {}
    for line in head.decode("utf-8", errors="replace").strip().split("\n"):
        name, colon, value = line.partition(":")
        if not line:
            continue
        if not colon:
            log.warning("ignoring a malformed CGI header line %r", line)
            continue
        fields[name.strip().lower()] = (name.strip(), value.strip())

    status = 200
    headers: list[tuple[str, str]] = []
    sufficient = False
    if "status" in fields:
        sufficient = True
        code = fields["status"][1].split(" ", 1)[0]
        status = int(code) if code.isdigit() and len(code) == 3 and code[0] != "0" else 502
        if status == 502:
            log.warning("unparsable CGI Status %r: answering 502", fields["status"][1])
    for lower, (name, value) in fields.items():
        if lower == "status":
            continue
        if lower in ("content-type", "location"):
            sufficient = True
        if lower == "location" and "status" not in fields:
            status = 302
        if valid_header(name, value):
            headers.append((lower, value))
        else:
            log.error("ignoring an invalid CGI header %r", name)
    if not sufficient:
        message = "Exactly one of 'location' or 'content-type' must be specified"
        log.error("HTTP 500 error: %s", message)
        return HttpResponse(500, [], message.encode())
    return HttpResponse(status, headers, body)


def _split_head(stdout: bytes) -> tuple[bytes, bytes]:
    """Headers end at the first blank line; carriage returns in the headers are ignored.

    Without a blank line everything is body (and the response then lacks headers).
    """
    blank_line = _BLANK_LINE.search(stdout)
    if blank_line is None:
        return b"", stdout
    return stdout[: blank_line.start() + 1].replace(b"\r", b""), stdout[blank_line.end() :]


#: Two line feeds with only carriage returns between them.
_BLANK_LINE = re.compile(rb"\n\r*\n")
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def valid_header(name: str, value: str) -> bool:
    return bool(name) and set(name) <= _TOKEN and not any(c in value for c in "\r\n\0")
