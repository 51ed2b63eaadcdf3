"""WAGI's CGI side: executor configuration, argv, environment and output parsing."""

from __future__ import annotations

import pytest

from spin.errors import SpinError
from spin.executors.http.headers import RequestFacts
from spin.executors.http.routing import RouteMatch, Router
from spin.executors.http.trigger_config import HttpExecutorConfig
from spin.executors.http.wagi import (
    CgiOutputError,
    CgiRequest,
    WagiConfig,
    build_argv,
    build_environment,
    parse_cgi_output,
)
from spin.trigger.config import Where, parse_table


def match(route: str, path: str) -> RouteMatch:
    found = Router.build("/", [("wagi", route)]).route(path)
    assert found is not None
    return found


def cgi_request(**overrides: object) -> CgiRequest:
    values: dict[str, object] = {
        "method": "GET",
        "path": "/wagi/a%20b",
        "query": "x=1&y=2",
        "http_version": "1.1",
        "headers": [
            ("host", "example.com:8080"),
            ("content-type", "text/plain"),
            ("x-thing", "1"),
            ("authorization", "secret"),
            ("connection", "close"),
        ],
        "body_length": 3,
    }
    values.update(overrides)
    return CgiRequest(**values)  # type: ignore[arg-type]


FACTS = RequestFacts("http", "example.com:8080", "/wagi/a%20b?x=1&y=2", ("10.0.0.5", 4242))


def wagi_executor(**fields: str) -> HttpExecutorConfig:
    return parse_table(HttpExecutorConfig, {"type": "wagi", **fields}, Where("spin.toml", "t"))


def test_default_executor_config() -> None:
    assert WagiConfig.from_executor(wagi_executor(), "c").argv == "${SCRIPT_NAME} ${ARGS}"
    assert WagiConfig.from_executor(wagi_executor(entrypoint="_start"), "c")


def test_entrypoint_other_than_start_is_refused() -> None:
    with pytest.raises(SpinError, match=r"WAGI component 'c' sets `executor.entrypoint"):
        WagiConfig.from_executor(wagi_executor(entrypoint="main"), "c")


def test_unknown_executor_fields_are_refused() -> None:
    with pytest.raises(SpinError, match="unknown field `args`"):
        wagi_executor(args="x")


def test_argv_substitutes_script_name_and_args() -> None:
    found = match("/wagi/...", "/wagi/a%20b")
    assert build_argv(WagiConfig(), cgi_request(), found) == ["/wagi/a%20b", "x=1", "y=2"]
    assert build_argv(WagiConfig(), cgi_request(query=""), found) == ["/wagi/a%20b", ""]
    custom = WagiConfig(argv="prog --path ${SCRIPT_NAME} ${ARGS} end")
    assert build_argv(custom, cgi_request(), found) == [
        "prog",
        "--path",
        "/wagi/a%20b",
        "x=1",
        "y=2",
        "end",
    ]


def test_environment_has_the_cgi_variables_and_spin_facts() -> None:
    env = build_environment(cgi_request(), FACTS, match("/wagi/...", "/wagi/a%20b"), "/")
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SCRIPT_NAME"] == "/wagi"
    assert env["PATH_INFO"] == "/a%20b"  # Spin's routing fact wins over the decoded CGI one
    assert env["X_RAW_PATH_INFO"] == "/a%20b"
    assert env["PATH_TRANSLATED"] == "/a b"
    assert env["QUERY_STRING"] == "x=1&y=2"
    assert env["CONTENT_LENGTH"] == "3"
    assert env["CONTENT_TYPE"] == "text/plain"
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.com", "8080")
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_SOFTWARE"] == "WAGI/1"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["REMOTE_ADDR"] == env["REMOTE_HOST"] == "10.0.0.5"
    assert env["HTTP_X_THING"] == "1"
    assert env["HTTP_HOST"] == "example.com:8080"
    assert "HTTP_AUTHORIZATION" not in env and "HTTP_CONNECTION" not in env
    assert env["X_FULL_URL"] == "http://example.com:8080/wagi/a%20b?x=1&y=2"
    assert env["X_MATCHED_ROUTE"] == "/wagi/..."
    assert env["X_CLIENT_ADDR"] == "10.0.0.5:4242"


def test_environment_without_a_host_header() -> None:
    facts = RequestFacts("https", None, "/wagi", ("10.0.0.5", 1))
    env = build_environment(
        cgi_request(headers=[], http_version="2"), facts, match("/wagi", "/wagi"), "/"
    )
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("default_host", "443")
    assert env["SERVER_PROTOCOL"] == "HTTP/2.0"
    assert env["X_FULL_URL"] == "https://localhost/wagi"
    assert env["CONTENT_TYPE"] == ""


@pytest.mark.parametrize(
    ("stdout", "status", "headers", "body"),
    [
        (b"Content-Type: text/plain\n\nhello", 200, [("content-type", "text/plain")], b"hello"),
        (
            b"Content-Type: text/plain\r\n\r\nhello\r\n\r\nmore",
            200,
            [("content-type", "text/plain")],
            b"hello\r\n\r\nmore",
        ),
        (b"Location: https://example.com/\n\n", 302, [("location", "https://example.com/")], b""),
        (b"Status: 404 Not Found\n\nmissing", 404, [], b"missing"),
        (
            b"status:201\ncontent-type: a/b\nX-Y:  z \n\n",
            201,
            [("content-type", "a/b"), ("x-y", "z")],
            b"",
        ),
        (b"Status: 99x\n\n", 502, [], b""),
        (b"Status: 1000\n\n", 502, [], b""),
        (
            b"Content-Type: text/plain\nbad header line\n\nok",
            200,
            [("content-type", "text/plain")],
            b"ok",
        ),
    ],
)
def test_cgi_output_parsing(
    stdout: bytes, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    response = parse_cgi_output(stdout)
    assert (response.status, response.headers, response.body) == (status, headers, body)


def test_output_needs_content_type_status_or_location() -> None:
    for stdout in (b"X-Header: 1\n\nbody", b"just a body"):
        response = parse_cgi_output(stdout)
        assert response.status == 500
        assert b"content-type" in response.body


def test_empty_output_is_an_error() -> None:
    with pytest.raises(CgiOutputError, match="wrote nothing"):
        parse_cgi_output(b"")


def test_invalid_header_names_are_dropped() -> None:
    response = parse_cgi_output(b"Content-Type: a/b\nBad Name: x\n\n")
    assert response.headers == [("content-type", "a/b")]
