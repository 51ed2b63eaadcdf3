"""Spin's identifier rules: kebab-case component ids, snake_case variable names.

An id is one or more words joined by a delimiter (`-` or `_`). Each word starts with an ASCII
letter, holds only ASCII letters and digits, and is all lower case or all upper case.
"Lower" ids (variable names) allow only lower-case words.
"""

from __future__ import annotations

import re

from spin.manifest.checks import Checker

KEBAB = "-"
SNAKE = "_"


def id_problem(text: str, delimiter: str, *, lower: bool = False) -> str | None:
    """Why `text` is not a valid id with this delimiter, or None when it is."""
    if not text:
        return "it is empty"
    wrong = SNAKE if delimiter == KEBAB else KEBAB
    if wrong in text:
        return f"words must be separated with {delimiter!r}, not {wrong!r}"
    for word in text.split(delimiter):
        if not word:
            return f"{delimiter!r}-separated words must not be empty"
        if not (word[0].isascii() and word[0].isalpha()):
            return f"each word must start with an ASCII letter, got {word[0]!r}"
        upper = word[0].isupper()
        for char in word[1:]:
            if not (char.isascii() and char.isalnum()):
                return f"words may only contain ASCII letters and digits, got {char!r}"
            if char.isalpha() and char.isupper() != upper:
                return f"each word must be all lower case or all UPPER case, got {word!r}"
        if lower and upper:
            return f"it must be all lower case, got {text!r}"
    return None


def is_kebab_id(text: str) -> bool:
    return id_problem(text, KEBAB) is None


def check_kebab_id(check: Checker, text: str, field: str, what: str) -> str:
    problem = id_problem(text, KEBAB)
    if problem:
        check.fail(
            field,
            f"{what} {text!r} is not a valid id: {problem}.",
            "Use kebab-case: lower-case words of letters and digits joined by '-', "
            "each starting with a letter (e.g. `my-component`).",
        )
    return text


def check_variable_name(check: Checker, text: str, field: str, what: str = "name") -> str:
    problem = id_problem(text, SNAKE, lower=True)
    if problem:
        check.fail(
            field,
            f"{what} {text!r} is not a valid variable name: {problem}.",
            "Use lower snake_case: lower-case words of letters and digits joined by '_', "
            "each starting with a letter (e.g. `api_key`).",
        )
    return text


def check_label(check: Checker, text: str, field: str) -> str:
    """A store or database label: kebab-case or snake_case."""
    if id_problem(text, KEBAB) and id_problem(text, SNAKE):
        check.fail(
            field,
            f"label {text!r} is neither kebab-case nor snake_case.",
            "Use words of letters and digits joined by '-' or '_' (e.g. `default`, `my-store`).",
        )
    return text


_TRIGGER_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def check_trigger_type(check: Checker, text: str, field: str) -> str:
    """A trigger type names an executor program (`spin-trigger-<type>`), so keep it plain."""
    if not _TRIGGER_TYPE.fullmatch(text):
        check.fail(
            field,
            f"{text!r} is not a valid trigger type name.",
            "Use letters, digits, '-' and '_', starting with a letter (e.g. `http`).",
        )
    return text
