"""The routing facts Spin gives components: `spin-*` headers and their WAGI variable twins."""

from __future__ import annotations

from spin.executors.http.headers import RequestFacts, spin_headers, wagi_variables
from spin.executors.http.routing import RouteMatch, Router


def match(route: str, path: str, base: str = "/") -> RouteMatch:
    found = Router.build(base, [("DUMMY", route)]).route(path)
    assert found is not None
    return found


def facts(path_and_query: str, *, host: str | None = "fermyon.dev") -> RequestFacts:
    return RequestFacts("https", host, path_and_query, ("127.0.0.1", 8777))


def test_default_headers() -> None:
    headers = dict(
        spin_headers(facts("/foo/bar?key1=value1&key2=value2"), match("/foo/...", "/foo/bar"), "/")
    )
    assert headers == {
        "spin-full-url": "https://fermyon.dev/foo/bar?key1=value1&key2=value2",
        "spin-path-info": "/bar",
        "spin-matched-route": "/foo/...",
        "spin-base-path": "/",
        "spin-raw-component-route": "/foo/...",
        "spin-component-route": "/foo",
        "spin-client-addr": "127.0.0.1:8777",
    }


def test_named_wildcards_become_path_match_headers() -> None:
    found = match("/foo/:userid/...", "/foo/42/bar")
    headers = dict(spin_headers(facts("/foo/42/bar?key1=value1"), found, "/"))
    assert headers["spin-path-match-userid"] == "42"
    assert headers["spin-path-info"] == "/bar"
    assert headers["spin-full-url"] == "https://fermyon.dev/foo/42/bar?key1=value1"
    assert headers["spin-component-route"] == "/foo/:userid"
    variables = wagi_variables(facts("/foo/42/bar"), found, "/")
    assert variables["X_PATH_MATCH_USERID"] == "42"


def test_parameter_names_with_underscores() -> None:
    headers = dict(spin_headers(facts("/u/7"), match("/u/:user_id", "/u/7"), "/"))
    assert headers["spin-path-match-user-id"] == "7"


def test_base_path_and_raw_route() -> None:
    found = match("foo/...", "/base/foo/bar", base="/base")
    headers = dict(spin_headers(facts("/base/foo/bar"), found, "/base"))
    assert headers["spin-matched-route"] == "/base/foo/..."
    assert headers["spin-base-path"] == "/base"
    assert headers["spin-raw-component-route"] == "foo/..."
    assert headers["spin-component-route"] == "foo"
    assert headers["spin-path-info"] == "/bar"


def test_missing_host_is_localhost_and_ipv6_clients_are_bracketed() -> None:
    request = RequestFacts("http", None, "/x", ("::1", 5000))
    headers = dict(spin_headers(request, match("/x", "/x"), "/"))
    assert headers["spin-full-url"] == "http://localhost/x"
    assert headers["spin-client-addr"] == "[::1]:5000"
    assert headers["spin-path-info"] == ""


def test_wagi_names() -> None:
    variables = wagi_variables(facts("/foo/bar"), match("/foo/...", "/foo/bar"), "/")
    assert variables == {
        "PATH_INFO": "/bar",
        "X_FULL_URL": "https://fermyon.dev/foo/bar",
        "X_MATCHED_ROUTE": "/foo/...",
        "X_BASE_PATH": "/",
        "X_RAW_COMPONENT_ROUTE": "/foo/...",
        "X_COMPONENT_ROUTE": "/foo",
        "X_CLIENT_ADDR": "127.0.0.1:8777",
    }
