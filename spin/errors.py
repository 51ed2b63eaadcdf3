"""User-facing errors: one clear paragraph and a non-zero exit code, never a traceback.

Every failure a user can fix (a bad manifest, a missing executor, a bad option) is raised as a
`SpinError`. The command-line entry points catch it with `exit_on_error`, print its message and
exit with its code. A traceback is shown only for unexpected errors and only with `--debug` or
`SPIN_DEBUG=1`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

#: The exit code of a command line that cannot be parsed (click's and Spin's clap's): an unknown
#: option, an option without its value, conflicting options.
USAGE_ERROR = 2


class SpinError(Exception):
    """A failure the user can act on; `str(err)` is the whole message."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ManifestError(SpinError):
    """An invalid application manifest: names the file, the TOML path of the field and the fix."""

    def __init__(
        self, file: os.PathLike[str] | str, field: str, problem: str, fix: str = ""
    ) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        self.fix = fix
        where = f"{self.file}: field `{field}`" if field else self.file
        message = f"Invalid manifest {where}: {problem}"
        if fix:
            message += f" {fix}"
        super().__init__(message)


def debug_enabled() -> bool:
    """True when the user asked for tracebacks (`--debug` sets SPIN_DEBUG=1)."""
    return os.environ.get("SPIN_DEBUG", "") not in ("", "0", "false")


def fail(err: SpinError) -> NoReturn:
    """Print a user-facing error on stderr and exit with its code."""
    if debug_enabled():
        traceback.print_exc()
    print(f"Error: {err}", file=sys.stderr, flush=True)
    sys.exit(err.exit_code)


@contextmanager
def exit_on_error() -> Iterator[None]:
    """Turn `SpinError` (and, unless debugging, any unexpected error) into a clean exit."""
    try:
        yield
    except SpinError as err:
        fail(err)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # the last line of defence: no traceback unless asked for
        if debug_enabled():
            raise
        print(
            f"Error: internal error: {type(err).__name__}: {err}. "
            "Run again with SPIN_DEBUG=1 for a traceback, and report it.",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(1)


def guarded(fn: Callable[..., object]) -> Callable[..., object]:
    """Decorator form of `exit_on_error` for click callbacks."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        with exit_on_error():
            return fn(*args, **kwargs)

    return wrapper
