"""Application variables and `{{ name }}` templates, resolved as Spin's default providers do.

A variable's value comes from the environment variable `SPIN_VARIABLE_<NAME>` (upper case),
else from its `default`; a required variable with neither is an error that names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from spin.errors import SpinError

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_]*)\s*\}\}")


def resolve_variable(name: str, variables: Mapping[str, Mapping[str, Any]]) -> str:
    """The value of one application variable (locked-app `variables` section)."""
    from_env = os.environ.get(f"SPIN_VARIABLE_{name.upper()}")
    if from_env is not None:
        return from_env
    spec = variables.get(name)
    if spec is None:
        raise SpinError(
            f"The template variable {name!r} is not declared in the manifest's [variables]. "
            f'Add `{name} = {{ default = "..." }}` there.'
        )
    if "default" in spec:
        return str(spec["default"])
    raise SpinError(
        f"The required variable {name!r} has no value. "
        f"Set the environment variable SPIN_VARIABLE_{name.upper()}."
    )


def render(template: str, variables: Mapping[str, Mapping[str, Any]], *, what: str) -> str:
    """Replace every `{{ name }}` in `template`; `what` names the field for error messages."""

    def substitute(match: re.Match[str]) -> str:
        try:
            return resolve_variable(match.group(1), variables)
        except SpinError as err:
            raise SpinError(f"In {what}: {err}") from None

    return TEMPLATE.sub(substitute, template)
