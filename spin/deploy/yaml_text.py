"""YAML for generated manifests, without a YAML library at run time.

The documents are plain trees of dicts, lists, strings, numbers, booleans and None. Strings are
written plain when nothing in YAML could read them as another type or as syntax, else as JSON
strings (a double-quoted JSON string is a valid YAML scalar with the same value).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: Plain scalars read back as strings: no leading indicator, no ': ' or ' #', not a number.
_PLAIN = re.compile(r"[A-Za-z_/.][A-Za-z0-9_./@=+-]*(?: [A-Za-z0-9_./@=+(),-]+)*")
#: YAML 1.1 readers (kubectl's) take these as booleans or null.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)


def _lines(value: Any, indent: str) -> Iterable[str]:
    """The block lines of a mapping or sequence (never empty: `{}`/`[]` are inline)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _entry(f"{indent}{scalar(key)}:", item, indent)
    else:
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = list(_lines(item, indent + "  "))
                yield f"{indent}- {first.lstrip()}"
                yield from rest
            else:
                yield from _entry(f"{indent}-", item, indent)


def _entry(head: str, item: Any, indent: str) -> Iterable[str]:
    if isinstance(item, dict | list) and item:
        yield head
        yield from _lines(item, indent + "  ")
    elif isinstance(item, dict | list):
        yield f"{head} {'{}' if isinstance(item, dict) else '[]'}"
    elif isinstance(item, str) and _literal_block(item):
        yield f"{head} |"
        yield from (f"{indent}  {line}" if line else "" for line in item.splitlines())
    else:
        yield f"{head} {scalar(item)}"


def _literal_block(text: str) -> bool:
    """Text that reads back the same from a `|` block: several lines, one final newline, no
    leading blank (which would need an indentation indicator) and no control characters."""
    return (
        "\n" in text.rstrip("\n")
        and text.endswith("\n")
        and not text.endswith("\n\n")
        and not text[0].isspace()
        and all(c == "\n" or c.isprintable() for c in text)
    )


def documents(objects: Sequence[dict[str, Any]], header: str = "") -> str:
    """A multi-document YAML stream; `header` becomes leading comment lines."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + "".join("---\n" + "\n".join(_lines(obj, "")) + "\n" for obj in objects)
