"""Type and shape checks for manifest values, with one wording for every error.

The loader walks the parsed TOML document by hand rather than trusting its shape. Every check
here takes the TOML path of the value it looks at (`component.hello.files[2]`) so that each
`ManifestError` names the exact field, what was found there and how to fix it.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from spin.errors import ManifestError

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

#: Linux's limits on one file name and on a whole path, in bytes (ENAMETOOLONG past them).
NAME_MAX = 255
PATH_MAX = 4096
#: How much of an overlong path an error message quotes.
QUOTED_PATH = 60


def key_path(parent: str, key: str) -> str:
    """The TOML path of `key` inside the table at `parent` (quoted when it is not a bare key)."""
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
    return f"{parent}.{part}" if parent else part


def index_path(parent: str, index: int) -> str:
    return f"{parent}[{index}]"


def toml_type(value: object) -> str:
    """What a TOML user calls the type of a parsed value."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return "a date/time"
    return type(value).__name__


class Checker:
    """Checks values of one manifest file; every failure raises `ManifestError` for that file."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, field: str, problem: str, fix: str = "") -> NoReturn:
        raise ManifestError(self.file, field, problem, fix)

    def wrong_type(self, field: str, value: object, expected: str, fix: str = "") -> NoReturn:
        self.fail(
            field, f"expected {expected}, found {toml_type(value)}.", fix or f"Make it {expected}."
        )

    def table(self, value: object, field: str, fix: str = "") -> dict[str, Any]:
        if not isinstance(value, dict):
            self.wrong_type(field, value, "a table", fix)
        return value

    def string(self, value: object, field: str, fix: str = "") -> str:
        if not isinstance(value, str):
            self.wrong_type(field, value, "a string", fix)
        return value

    def path(self, value: object, field: str, fix: str = "", *, base: Path | None = None) -> str:
        """A string the file system can take as a path (under `base`, when given): no NUL
        byte, no name longer than NAME_MAX, not longer than PATH_MAX in all."""
        text = self.string(value, field, fix)
        fix = fix or "Use a shorter path of ordinary file names, relative to the manifest."
        if "\0" in text:
            self.fail(
                field,
                f"the path {_abridged(text)} contains a NUL character.",
                "Remove the NUL character (`\\u0000`) from the path.",
            )
        longest = max((len(part.encode()) for part in text.split("/")), default=0)
        if longest > NAME_MAX:
            self.fail(
                field,
                f"the path {_abridged(text)} has a name of {longest} bytes; file names are at "
                f"most {NAME_MAX} bytes.",
                fix,
            )
        full = len(str(base / text).encode()) if base is not None else len(text.encode())
        if full >= PATH_MAX:
            self.fail(
                field,
                f"the path {_abridged(text)} is {full} bytes long in all; paths are shorter "
                f"than {PATH_MAX} bytes.",
                fix,
            )
        return text

    @contextmanager
    def filesystem(self, field: str, what: str) -> Iterator[None]:
        """Turn an error of the file system about `what` (the value of `field`) into a
        manifest error for that field."""
        try:
            yield
        except (OSError, ValueError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            self.fail(
                field,
                f"cannot look up {_abridged(what)}: {reason}.",
                "Fix the path (relative to the manifest's directory) or the permissions of "
                "the directories on it.",
            )

    def boolean(self, value: object, field: str) -> bool:
        if not isinstance(value, bool):
            self.wrong_type(field, value, "a boolean", "Write `true` or `false`.")
        return value

    def array(self, value: object, field: str, fix: str = "") -> list[Any]:
        if not isinstance(value, list):
            self.wrong_type(field, value, "an array", fix)
        return value

    def strings(self, value: object, field: str) -> tuple[str, ...]:
        """An array of strings."""
        items = self.array(value, field, 'Write it as `["...", "..."]`.')
        return tuple(self.string(item, index_path(field, i)) for i, item in enumerate(items))

    def string_table(self, value: object, field: str) -> dict[str, str]:
        """A table whose values are all strings."""
        table = self.table(value, field, 'Write it as `{ KEY = "value" }`.')
        return {key: self.string(item, key_path(field, key)) for key, item in table.items()}

    def only_keys(self, table: dict[str, Any], field: str, allowed: Iterable[str]) -> None:
        """Reject keys that are not in `allowed`, as Spin's schema does."""
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                where = f"`[{field}]`" if field else "the top level"
                self.fail(
                    key_path(field, key),
                    f"unknown field `{key}` in {where}.",
                    f"Remove it or use one of: {', '.join(allowed)}.",
                )

    def required(self, table: dict[str, Any], field: str, key: str, fix: str = "") -> Any:
        if key not in table:
            where = f"`[{field}]`" if field else "the manifest"
            self.fail(key_path(field, key), f"missing field `{key}` in {where}.", fix)
        return table[key]


def _abridged(path: str) -> str:
    """`path` quoted, its middle elided when it is too long to quote whole."""
    if len(path) <= QUOTED_PATH:
        return repr(path)
    half = QUOTED_PATH // 2
    return f"{path[:half] + '...' + path[-half:]!r} ({len(path)} characters)"
