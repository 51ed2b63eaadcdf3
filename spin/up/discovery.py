"""Finding the trigger executor of each trigger type an app uses.

Places are searched in a fixed order and the first match wins:

1. the internal executors of this package (`spin trigger http`, `spin trigger redis`);
2. a Spin plugin, `$SPIN_DATA_DIR/plugins/trigger-<type>/trigger-<type>`;
3. a `spin-trigger-<type>` program on `PATH`;
4. a Python entry point named `<type>` in the group `spin.triggers`, run in a fresh interpreter
   by `python -m spin.up.entry_point <type>`.

An app whose executors cannot all be found fails before anything starts, with one error that
names each missing type, the components that need it and every place searched.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from spin.data_dir import spin_data_dir
from spin.errors import SpinError
from spin.executors import INTERNAL_EXECUTORS
from spin.up.entry_point import ENTRY_POINT_GROUP
from spin.up.launch import ExecutorLaunch

if TYPE_CHECKING:
    from spin.manifest.model import AppManifest

log = logging.getLogger("spin.up.discovery")


@dataclass(frozen=True)
class Executor:
    """A found executor: the command that runs it and where it was found."""

    argv: list[str]
    description: str
    #: An internal executor: built on spin.trigger, so it sends READY=1. Whether any other one
    #: does is its launch metadata's to say (spin/up/launch_metadata.py).
    notifies: bool = False


def plugin_program(trigger_type: str) -> Path:
    name = f"trigger-{trigger_type}"
    return spin_data_dir() / "plugins" / name / name


def path_program_name(trigger_type: str) -> str:
    return f"spin-trigger-{trigger_type}"


def _internal(trigger_type: str) -> Executor | None:
    if trigger_type not in INTERNAL_EXECUTORS:
        return None
    return Executor(
        [sys.executable, "-m", "spin", "trigger", trigger_type], "internal", notifies=True
    )


def _plugin(trigger_type: str) -> Executor | None:
    program = plugin_program(trigger_type)
    if program.is_file() and os.access(program, os.X_OK):
        return Executor([str(program.absolute())], f"Spin plugin at {program}")
    return None


def _on_path(trigger_type: str) -> Executor | None:
    found = shutil.which(path_program_name(trigger_type))
    if found is None:
        return None
    program = os.path.abspath(found)
    return Executor([program], f"{program} on PATH")


def _entry_point(trigger_type: str) -> Executor | None:
    from importlib.metadata import entry_points  # slow to import; the last place searched

    matches = entry_points(group=ENTRY_POINT_GROUP, name=trigger_type)
    if not matches:
        return None
    entry = next(iter(matches))
    return Executor(
        [sys.executable, "-m", "spin.up.entry_point", trigger_type],
        f"Python entry point {entry.value} (group {ENTRY_POINT_GROUP})",
    )


#: The search order: the first place that has an executor wins.
SEARCH_ORDER: list[Callable[[str], Executor | None]] = [
    _internal,
    _plugin,
    _on_path,
    _entry_point,
]


def locate_executor(trigger_type: str) -> Executor | None:
    """The executor of a trigger type, or None if no place has one."""
    for search in SEARCH_ORDER:
        executor = search(trigger_type)
        if executor is not None:
            log.debug("executor for %r trigger: %s", trigger_type, executor.description)
            return executor
    return None


def places_searched(trigger_type: str) -> list[str]:
    """Every place `locate_executor` looks, in order, for an error message."""
    program = path_program_name(trigger_type)
    return [
        f"internal executors of this spin ({', '.join(sorted(INTERNAL_EXECUTORS))})",
        f"Spin plugin {plugin_program(trigger_type)} (the data directory is $SPIN_DATA_DIR, "
        "else $XDG_DATA_HOME/spin, else ~/.local/share/spin)",
        f"a program named {program} in PATH ({os.environ.get('PATH', '')})",
        f'a Python entry point named "{trigger_type}" in the group "{ENTRY_POINT_GROUP}" '
        f"of {sys.executable}",
    ]


def missing_executor_message(app: AppManifest, trigger_type: str) -> str:
    components = ", ".join(app.components_of(trigger_type)) or "none"
    searched = "".join(f"\n  - {place}" for place in places_searched(trigger_type))
    return (
        f'No trigger executor found for trigger type "{trigger_type}" '
        f"(used by components: {components}). Searched, in order:{searched}\n"
        f"Install the Spin plugin trigger-{trigger_type}, put a program named "
        f"{path_program_name(trigger_type)} on PATH, or pip-install a package with a "
        f'"{ENTRY_POINT_GROUP}" entry point named "{trigger_type}".'
    )


def find_executors(
    app: AppManifest, env_for: Callable[[str], dict[str, str]]
) -> list[ExecutorLaunch]:
    """One launch per trigger type of the app, each with the environment `env_for(type)`.

    Raises one `SpinError` naming every trigger type without an executor.
    """
    launches: list[ExecutorLaunch] = []
    missing: list[str] = []
    for trigger_type in app.trigger_types():
        executor = locate_executor(trigger_type)
        if executor is None:
            missing.append(missing_executor_message(app, trigger_type))
            continue
        launches.append(
            ExecutorLaunch(
                trigger_type=trigger_type,
                argv=executor.argv,
                env=env_for(trigger_type),
                description=executor.description,
                notifies=executor.notifies,
            )
        )
    if missing:
        raise SpinError("\n".join(missing))
    return launches
