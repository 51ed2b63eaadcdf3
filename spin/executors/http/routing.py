"""Which component answers a request path: Spin's HTTP router, rule for rule.

Spin matches paths with the `routefinder` crate (0.5); this module reproduces its behaviour:

- A route is split into segments: literal text, `:name` parameters (one path segment),
  and a trailing wildcard (`/...`, also written `/*`) that matches the rest of the path,
  including nothing.
- Leading and trailing slashes of the request path are ignored when matching, so `/foo/`
  reaches the route `/foo`.
- Routes are tried in a fixed precedence order, compared segment by segment: literal text
  beats a parameter, which beats a wildcard; on a tie the route with fewer segments is tried
  first, and otherwise the route declared first. So an exact route beats a parameterised one
  beats a wildcard, and the longest wildcard prefix wins whatever the declaration order.

Building the router also applies Spin's manifest rules: a missing leading `/` is added and
one trailing `/` dropped; the same route declared twice keeps the later component (the
duplicate is reported); `route = { private = true }` components are not routable.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spin.errors import SpinError

#: Paths under this prefix are answered by the executor itself (health, info).
WELL_KNOWN_PREFIX = "/.well-known/spin/"


class Kind(enum.Enum):
    """A segment's kind. SLASH and DOT are separators; TEXT, PARAM and WILDCARD match text."""

    SLASH = "/"
    DOT = "."
    TEXT = "text"
    PARAM = "param"
    WILDCARD = "*"


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str = ""  # the literal text, or the parameter's name


def _segment_order(mine: Kind, theirs: Kind) -> int:
    """routefinder's segment ordering: >0 when `mine` is the more specific of the two.

    Literal text > parameter > wildcard > separators; a dot compares above any matching
    segment (it only ever follows a parameter, as in `:name.json`).
    """
    separators = (Kind.SLASH, Kind.DOT)
    if mine == theirs or (mine in separators and theirs in separators):
        return 0
    if mine is Kind.DOT or mine is Kind.TEXT:
        return 1
    if mine is Kind.PARAM:
        return -1 if theirs is Kind.TEXT else 1
    if mine is Kind.WILDCARD:
        return -1 if theirs in (Kind.TEXT, Kind.PARAM) else 1
    return -1  # a slash against text, a parameter or a wildcard


@dataclass(frozen=True)
class RoutePattern:
    """A parsed route, as routefinder parses `/hello/:planet/*` into segments."""

    source: str
    segments: tuple[Segment, ...]

    @classmethod
    def parse(cls, source: str) -> RoutePattern:
        """Split at `/` and `.`; raise ValueError for `:` without a name or a named `*`."""
        trimmed = source.strip("/")
        segments: list[Segment] = []
        start = 0
        separator = ""  # the character before the current section
        for index in [*(i for i, c in enumerate(trimmed) if c in "./"), len(trimmed)]:
            section = trimmed[start:index]
            segment: Segment | None
            if section == "*":
                segment = Segment(Kind.WILDCARD)
            elif section.startswith("*"):
                raise ValueError(
                    f"a wildcard takes no name: replace `{section}` with `*` (or use `/...`)"
                )
            elif section == ":":
                raise ValueError("a `:` parameter needs a name, as in `/users/:id`")
            elif section.startswith(":"):
                segment = Segment(Kind.PARAM, section[1:])
            elif section:
                segment = Segment(Kind.TEXT, section)
            else:
                segment = None
            if separator == ".":
                if segments and segments[-1].kind is Kind.TEXT:
                    segments[-1] = Segment(Kind.TEXT, segments[-1].text + ".")
                else:
                    segments.append(Segment(Kind.DOT))
            if segment is not None:
                if separator == "/":
                    segments.append(Segment(Kind.SLASH))
                segments.append(segment)
            separator = trimmed[index] if index < len(trimmed) else ""
            start = index + 1
        for position, segment in enumerate(segments):
            if segment.kind is Kind.WILDCARD and position != len(segments) - 1:
                raise ValueError("a wildcard can only end a route")
        return cls(source, tuple(segments))

    @property
    def dots(self) -> int:
        return sum(1 for s in self.segments if s.kind is Kind.DOT)

    def tried_before(self, other: RoutePattern) -> bool:
        """True when this route takes precedence over `other` (routefinder's sort order).

        Compared segment by segment, then by dots, then by length (shorter first). A full
        tie is never "before", so among equals the route declared first is tried first.
        """
        for mine, theirs in zip(self.segments, other.segments, strict=False):
            order = _segment_order(mine.kind, theirs.kind)
            if order:
                return order > 0
        if self.dots != other.dots:
            return self.dots > other.dots
        return len(self.segments) < len(other.segments)

    def match(self, path: str) -> tuple[dict[str, str], str | None] | None:
        """The parameters and the wildcard capture (None without a wildcard), or None."""
        rest = path.strip("/")
        params: dict[str, str] = {}
        wildcard: str | None = None
        segments = self.segments
        for index, segment in enumerate(segments):
            following = segments[index + 1].kind if index + 1 < len(segments) else None
            if segment.kind is Kind.TEXT:
                if not rest.startswith(segment.text):
                    return None
                rest = rest[len(segment.text) :]
            elif segment.kind is Kind.PARAM:
                if not rest:
                    return None
                if following is Kind.DOT:
                    end = min((i for i in (rest.find("."), rest.find("/")) if i >= 0), default=-1)
                    if end < 0 or rest[end] != ".":
                        return None
                else:
                    end = rest.find("/")
                    end = len(rest) if end < 0 else end
                params[segment.text] = rest[:end]
                rest = rest[end:]
            elif segment.kind is Kind.WILDCARD:
                wildcard, rest = rest, ""
            elif segment.kind is Kind.SLASH:
                if rest.startswith("/") and following is not None:
                    rest = rest[1:]
                elif rest or following not in (None, Kind.WILDCARD):
                    return None
            elif not rest.startswith("."):
                return None
            else:
                rest = rest[1:]
        if rest not in ("", "/"):
            return None
        return params, wildcard


@dataclass(frozen=True)
class Route:
    """One routable component: its route as written, and with the app's base applied."""

    component_id: str
    raw: str  # as written in the manifest
    based: str  # sanitised, with the base path in front ("" for the root route)
    pattern: RoutePattern = field(compare=False)

    @property
    def is_wildcard(self) -> bool:
        return self.based.endswith("/...") or self.based.endswith("/*")

    @property
    def prefix(self) -> str:
        """The based route without its trailing wildcard."""
        for suffix in ("/...", "/*"):
            if self.based.endswith(suffix):
                return self.based[: -len(suffix)]
        return self.based

    @property
    def based_or_prefix(self) -> str:
        """The based route without a trailing `/...` (Spin's `SCRIPT_NAME`)."""
        return self.based.removesuffix("/...")

    @property
    def raw_or_prefix(self) -> str:
        """The raw route without a trailing `/...` (Spin's `spin-component-route`)."""
        return self.raw.removesuffix("/...")

    def display(self) -> str:
        """How `Available Routes:` shows it: `/foo`, or `/foo (wildcard)` for `/foo/...`."""
        return f"{self.prefix} (wildcard)" if self.is_wildcard else self.based


@dataclass(frozen=True)
class DuplicateRoute:
    """A route declared twice: only `effective_id`'s declaration (the later) is used."""

    route: str
    replaced_id: str
    effective_id: str

    def __str__(self) -> str:
        return f"{self.replaced_id}: {self.route or '/'} (duplicate of {self.effective_id})"


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    params: dict[str, str]
    #: The path after a trailing wildcard's prefix, as Spin gives it in `spin-path-info`:
    #: for `/test/...`, `/test` -> "", `/test/` -> "/", `/test/hello` -> "/hello".
    path_info: str

    @property
    def component_id(self) -> str:
        return self.route.component_id


def _absolute(route: str) -> str:
    return route if route.startswith("/") else "/" + route


def _strip_one_slash(text: str) -> str:
    return text[:-1] if text.endswith("/") else text


def based_route(base: str, route: str) -> str:
    """The route as matched: base and route joined, each losing one trailing `/`."""
    return _strip_one_slash(base) + _strip_one_slash(_absolute(route))


class Router:
    """The routes of an app's HTTP triggers, in precedence order."""

    def __init__(self, routes: list[Route], duplicates: list[DuplicateRoute]) -> None:
        self.routes = routes
        self.duplicates = duplicates

    @classmethod
    def build(cls, base: str, component_routes: Iterable[tuple[str, Any]]) -> Router:
        """Build from (component id, `route` value) pairs in manifest order.

        A `route` value is a string or `{ private = true }`; anything else is a SpinError.
        """
        by_raw: dict[str, Route] = {}
        duplicates: list[DuplicateRoute] = []
        for component_id, route in component_routes:
            if isinstance(route, dict) and set(route) == {"private"} and route["private"] is True:
                continue
            if not isinstance(route, str):
                raise SpinError(
                    f"The HTTP trigger of component {component_id!r} has `route = {route!r}`: "
                    'a route must be a path pattern such as "/hello/...", or '
                    "`{ private = true }` for a component that is not reachable over HTTP."
                )
            based = based_route(base, route)
            try:
                pattern = RoutePattern.parse(
                    based.removesuffix("/...") + "/*" if based.endswith("/...") else based
                )
            except ValueError as err:
                raise SpinError(
                    f"The HTTP trigger of component {component_id!r} has an invalid route "
                    f"{route!r}: {err}."
                ) from None
            entry = Route(component_id, route, based, pattern)
            replaced = by_raw.get(route)
            if replaced is not None:
                duplicates.append(
                    DuplicateRoute(replaced.based, replaced.component_id, component_id)
                )
            by_raw[route] = entry  # keeps the first declaration's place, as Spin does
        ordered: list[Route] = []
        for entry in by_raw.values():
            position = next(
                (i for i, r in enumerate(ordered) if entry.pattern.tried_before(r.pattern)),
                len(ordered),
            )
            ordered.insert(position, entry)
        return cls(ordered, duplicates)

    @property
    def reserved_routes(self) -> list[Route]:
        """Routes under `/.well-known/spin/`, which the executor answers itself."""
        return [r for r in self.routes if r.based.startswith(WELL_KNOWN_PREFIX)]

    def route(self, path: str) -> RouteMatch | None:
        """The best route for a request path (percent-encoded, without the query)."""
        for route in self.routes:
            matched = route.pattern.match(path)
            if matched is None:
                continue
            params, wildcard = matched
            return RouteMatch(route, params, _path_info(wildcard, path))
        return None


def _path_info(wildcard: str | None, path: str) -> str:
    """Spin keeps the slashes routefinder trims off a wildcard capture."""
    if wildcard is None:
        return ""
    trailing = "/" if path.endswith("/") else ""
    if not wildcard:
        return trailing
    return f"/{wildcard}{trailing}"
