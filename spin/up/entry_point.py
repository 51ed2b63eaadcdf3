"""Run a trigger executor installed as a Python entry point: `python -m spin.up.entry_point TYPE`.

`spin up` starts executors found in the entry-point group `spin.triggers` this way, in a fresh
interpreter, so that their imports never load into the supervisor. The entry point names either
a `TriggerExecutor` subclass (run with the shared library's command line) or a callable `main`
(called with `sys.argv` set to the executor's name and its arguments).
"""

from __future__ import annotations

import sys
from typing import NoReturn

from spin.errors import SpinError, exit_on_error

ENTRY_POINT_GROUP = "spin.triggers"


def load_entry_point(trigger_type: str) -> object:
    from importlib.metadata import entry_points  # slow to import: only when one is run

    matches = entry_points(group=ENTRY_POINT_GROUP, name=trigger_type)
    if not matches:
        raise SpinError(
            f'No Python entry point named "{trigger_type}" in the group "{ENTRY_POINT_GROUP}" '
            f"is installed for {sys.executable}. Install the package that provides it."
        )
    entry = next(iter(matches))
    try:
        return entry.load()
    except Exception as err:
        raise SpinError(
            f'The entry point "{trigger_type}" ({entry.value}) of the group '
            f'"{ENTRY_POINT_GROUP}" cannot be loaded: {type(err).__name__}: {err}.'
        ) from err


def run(trigger_type: str, args: list[str]) -> NoReturn:
    from spin.trigger.executor import TriggerExecutor, executor_command

    program = f"spin-trigger-{trigger_type}"
    with exit_on_error():
        target = load_entry_point(trigger_type)
    if isinstance(target, type) and issubclass(target, TriggerExecutor):
        executor_command(target, name=program).main(args=args, prog_name=program)
        sys.exit(0)
    if not callable(target):
        with exit_on_error():
            raise SpinError(
                f'The entry point "{trigger_type}" of the group "{ENTRY_POINT_GROUP}" is '
                f"{target!r}: expected a TriggerExecutor subclass or a callable main."
            )
    sys.argv = [program, *args]
    result = target()
    sys.exit(result if isinstance(result, int) else 0)


def main() -> NoReturn:
    if len(sys.argv) < 2:
        with exit_on_error():
            raise SpinError("usage: python -m spin.up.entry_point TRIGGER_TYPE [ARGS...]")
    run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
