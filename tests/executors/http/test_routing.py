"""The HTTP router against Spin's routing rules (the cases of Spin's own router tests, and more)."""

from __future__ import annotations

import pytest

from spin.errors import SpinError
from spin.executors.http.routing import RoutePattern, Router, based_route


def router(*routes: tuple[str, object], base: str = "/") -> Router:
    return Router.build(base, routes)


def routed(r: Router, path: str) -> str | None:
    match = r.route(path)
    return match.component_id if match else None


def test_exact_routes() -> None:
    r = router(("foo", "/foo"), ("foobar", "/foo/bar"))
    assert routed(r, "/foo") == "foo"
    assert routed(r, "/foo/bar") == "foobar"
    assert routed(r, "/foo/baz") is None
    assert routed(r, "/foobar") is None
    assert routed(r, "/") is None


def test_trailing_and_leading_slashes_of_the_path_are_ignored() -> None:
    r = router(("foo", "/foo"))
    assert routed(r, "/foo/") == "foo"
    assert routed(r, "//foo//") == "foo"


def test_base_is_prefixed_to_every_route() -> None:
    r = router(("foo", "/foo"), ("foobar", "/foo/bar"), base="/base")
    assert routed(r, "/base/foo") == "foo"
    assert routed(r, "/base/foo/bar") == "foobar"
    assert routed(r, "/foo") is None


def test_wildcard_matches_everything_below_it() -> None:
    r = router(("all", "/..."))
    for path in ("/foo/bar", "/abc/", "/", "/this/should/be/captured"):
        assert routed(r, path) == "all"


def test_star_is_a_wildcard_too() -> None:
    r = router(("star", "/static/*"))
    assert routed(r, "/static/a/b") == "star"
    assert r.route("/static/a/b").path_info == "/a/b"  # type: ignore[union-attr]


def test_longest_wildcard_prefix_wins_whatever_the_order() -> None:
    routes = [
        ("one", "/one/..."),
        ("onetwo", "/one/two/..."),
        ("onetwothree", "/one/two/three/..."),
    ]
    assert routed(router(*routes), "/one/two/three/four") == "onetwothree"
    assert routed(router(*reversed(routes)), "/one/two/three/four") == "onetwothree"
    assert routed(router(*reversed(routes)), "/one/two/x") == "onetwo"
    assert routed(router(*routes), "/one") == "one"


def test_exact_beats_parameter_beats_wildcard() -> None:
    for order in (1, -1):
        routes = [("wild", "/users/..."), ("param", "/users/:id"), ("exact", "/users/me")]
        r = router(*routes[::order])
        assert routed(r, "/users/me") == "exact"
        assert routed(r, "/users/42") == "param"
        assert routed(r, "/users/42/posts") == "wild"
        assert routed(r, "/users") == "wild"
    assert routed(router(("exact", "/one"), ("wild", "/...")), "/one") == "exact"


def test_named_parameters_are_captured() -> None:
    match = router(("comp", "/1/:two/3")).route("/1/2/3")
    assert match is not None and match.params == {"two": "2"}
    match = router(("comp", "/1/:two/...")).route("/1/2/3")
    assert match is not None and match.params == {"two": "2"}
    assert match.path_info == "/3"
    assert router(("comp", "/1/:two/3")).route("/1/2") is None


def test_parameter_before_a_dot() -> None:
    r = router(("json", "/files/:name.json"))
    match = r.route("/files/report.json")
    assert match is not None and match.params == {"name": "report"}
    assert r.route("/files/report") is None


def test_trailing_wildcard_capture_keeps_slashes_as_spin_does() -> None:
    r = router(("comp", "/test/..."))
    expected = {"/test": "", "/test/": "/", "/test/hello": "/hello", "/test/hello/": "/hello/"}
    for path, path_info in expected.items():
        match = r.route(path)
        assert match is not None and match.path_info == path_info, path
    assert router(("comp", "/...")).route("/1/2/3").path_info == "/1/2/3"  # type: ignore[union-attr]
    assert router(("comp", "/1/...")).route("/1/2/3").path_info == "/2/3"  # type: ignore[union-attr]


def test_missing_leading_slash_is_added_and_one_trailing_slash_dropped() -> None:
    assert based_route("/", "foo") == "/foo"
    assert based_route("/", "/foo/") == "/foo"
    assert based_route("/", "/") == ""
    assert based_route("/base/", "bar") == "/base/bar"
    r = router(("foo", "foo"))
    assert routed(r, "/foo") == "foo"
    match = r.route("/foo")
    assert match is not None and match.route.raw == "foo" and match.route.based == "/foo"


def test_reachable_routes_keep_manifest_order_among_equals() -> None:
    r = router(
        ("comp-/", "/"),
        ("comp-/foo", "/foo"),
        ("comp-/bar", "/bar"),
        ("comp-/whee/...", "/whee/..."),
    )
    assert [route.component_id for route in r.routes] == [
        "comp-/",
        "comp-/foo",
        "comp-/bar",
        "comp-/whee/...",
    ]
    assert r.duplicates == []


def test_duplicate_route_is_reported_and_the_later_one_wins() -> None:
    r = router(("comp-/", "/"), ("first", "/foo"), ("second", "/foo"), ("whee", "/whee/..."))
    assert len(r.routes) == 3
    assert routed(r, "/foo") == "second"
    assert [route.component_id for route in r.routes][1] == "second"
    assert len(r.duplicates) == 1
    assert (r.duplicates[0].replaced_id, r.duplicates[0].effective_id) == ("first", "second")
    assert str(r.duplicates[0]) == "first: /foo (duplicate of second)"


def test_duplicate_reporting_names_each_route() -> None:
    r = router(
        ("a /", "/"),
        ("b /", "/"),
        ("a /foo", "/foo"),
        ("b /foo", "/foo"),
        ("a /...", "/..."),
        ("b /...", "/..."),
    )
    assert [(d.replaced_id, d.route or "/") for d in r.duplicates] == [
        ("a /", "/"),
        ("a /foo", "/foo"),
        ("a /...", "/..."),
    ]


def test_private_components_are_not_routable() -> None:
    r = router(("comp-/", "/"), ("private", {"private": True}), ("whee", "/whee/..."))
    assert [route.component_id for route in r.routes] == ["comp-/", "whee"]


@pytest.mark.parametrize("bad", [{"private": False}, True, 42, {"path": "/x"}])
def test_a_route_must_be_a_pattern_or_private_true(bad: object) -> None:
    with pytest.raises(SpinError, match="bad component"):
        router(("comp-/", "/"), ("bad component", bad))


@pytest.mark.parametrize("route", ["/users/:", "/files/*name"])
def test_invalid_patterns_are_errors(route: str) -> None:
    with pytest.raises(SpinError, match="invalid route"):
        router(("comp", route))


def test_reserved_routes_are_reported() -> None:
    assert router(("c", "/.well-known/spin/...")).reserved_routes
    assert router(("c", "/.well-known/spin/fie")).reserved_routes
    assert not router(("c", "/.well-known/spindle/...")).reserved_routes
    assert not router(("c", "/.well-known/spi/...")).reserved_routes
    assert not router(("c", "/.well-known/spin")).reserved_routes


def test_routes_display_as_spin_prints_them() -> None:
    r = router(("root", "/"), ("whee", "/whee/..."), ("all", "/..."), ("foo", "/foo"))
    shown = {route.component_id: route.display() for route in r.routes}
    assert shown == {"root": "", "whee": "/whee (wildcard)", "all": " (wildcard)", "foo": "/foo"}


def test_pattern_segments() -> None:
    kinds = [s.kind.name for s in RoutePattern.parse("/hello/:planet/*").segments]
    assert kinds == ["TEXT", "SLASH", "PARAM", "SLASH", "WILDCARD"]
