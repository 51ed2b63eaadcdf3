"""From a manifest to a `LaunchPlan`: find every executor, lock the app, route the options.

`spin up` plans once, then hands over to the supervisor process (spin/supervisor/handover.py),
which holds none of this code. On SIGHUP the supervisor plans again by running this module,
`python -m spin.up.planning`, in a short-lived process: it reads a `Replan` as JSON on stdin and
prints `{"plan": ...}` or `{"error": "..."}` (spin/supervisor/planner.py).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spin.console_log import configure_logging
from spin.errors import SpinError, debug_enabled, exit_on_error
from spin.file_mounts import ASSETS_DIR_NAME
from spin.locked import LOCK_FILE_NAME, lock_app, write_lock
from spin.manifest import AppManifest
from spin.manifest.select import retain_components, retain_trigger_types
from spin.up.app_source import load_app
from spin.up.discovery import find_executors
from spin.up.executor_env import AppFiles, executor_env
from spin.up.fingerprint import executor_fingerprints
from spin.up.launch import ExecutorLaunch, LaunchPlan
from spin.up.launch_metadata import LaunchMetadata, ask_launch_metadata
from spin.up.option_routing import route_options


@dataclass(frozen=True)
class PreparedApp:
    """A loaded, locked app whose executors were all found (trailing options not yet added)."""

    manifest: AppManifest
    launches: list[ExecutorLaunch]
    locked: dict[str, Any]  # what was written to spin.lock


def prepare(
    manifest: AppManifest,
    extra_env: dict[str, str],
    working_dir: Path,
    *,
    direct_mounts: bool = False,
) -> PreparedApp:
    """Find every executor of a loaded app, then write its spin.lock into the working dir,
    with the components' files copied into `<working dir>/assets` (unless `direct_mounts`)."""
    if not manifest.trigger_types():
        raise SpinError(
            f"{manifest.path} has no triggers, so there is nothing to run. Add a "
            "[[trigger.<type>]] table (for example [[trigger.http]]) that names a component."
        )
    files = AppFiles(
        manifest=manifest.path, lock=working_dir / LOCK_FILE_NAME, working_dir=working_dir
    )
    launches = find_executors(manifest, lambda trigger_type: executor_env(files, trigger_type))
    assets_dir = None if direct_mounts else working_dir / ASSETS_DIR_NAME
    locked = lock_app(manifest, extra_env, assets_dir=assets_dir)
    write_lock(locked, working_dir)
    return PreparedApp(manifest=manifest, launches=launches, locked=locked)


def launch_plan(prepared: PreparedApp, trailing: Sequence[str]) -> LaunchPlan:
    """What the supervisor runs: each executor with its share of the trailing options, whether
    it sends READY=1, and the digest of its part of the app, which a reload compares (`--exec`
    needs none of these, and skips walking the components' files for the digests).

    An executor's launch metadata is asked for when there are options to route, and otherwise
    only where it is not known whether it notifies (not an internal executor)."""
    parts = executor_fingerprints(prepared.locked)
    asked = [launch for launch in prepared.launches if trailing or not launch.notifies]
    metadata = ask_launch_metadata(asked)
    launches = [
        replace(
            launch,
            fingerprint=parts[launch.trigger_type],
            notifies=launch.notifies or _declares_notify(metadata.get(launch.trigger_type)),
        )
        for launch in prepared.launches
    ]
    return LaunchPlan(
        executors=route_options(launches, trailing, metadata),
        policies=prepared.manifest.supervisor,
    )


def _declares_notify(metadata: LaunchMetadata | None) -> bool:
    return metadata is not None and metadata.sd_notify


def load_selected(
    path: Path, component_ids: Sequence[str], trigger_types: Sequence[str] = ()
) -> AppManifest:
    """The app at `path`, with only the components `-c` selected and the trigger types
    `--trigger-type` selected (all without them)."""
    app = retain_components(load_app(path), component_ids)
    return retain_trigger_types(app, trigger_types, component_ids)


@dataclass(frozen=True)
class Replan:
    """What a reload plans from: `spin up`'s app, `-c`, `--trigger-type`, `-e`, working
    directory (the new spin.lock replaces the old one there), trailing options and
    `--direct-mounts`."""

    manifest: Path
    component_ids: tuple[str, ...]
    trigger_types: tuple[str, ...]
    extra_env: dict[str, str]
    working_dir: Path
    trailing: tuple[str, ...]
    direct_mounts: bool = False

    def plan(self, manifest: AppManifest | None = None) -> LaunchPlan:
        """The plan of the manifest as it is now (or of `manifest`, loaded already)."""
        if manifest is None:
            manifest = load_selected(self.manifest, self.component_ids, self.trigger_types)
        prepared = prepare(
            manifest, self.extra_env, self.working_dir, direct_mounts=self.direct_mounts
        )
        return launch_plan(prepared, self.trailing)

    def to_json(self) -> dict[str, Any]:
        return {
            "manifest": str(self.manifest),
            "component_ids": list(self.component_ids),
            "trigger_types": list(self.trigger_types),
            "extra_env": self.extra_env,
            "working_dir": str(self.working_dir),
            "trailing": list(self.trailing),
            "direct_mounts": self.direct_mounts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replan:
        return cls(
            manifest=Path(data["manifest"]),
            component_ids=tuple(data["component_ids"]),
            trigger_types=tuple(data["trigger_types"]),
            extra_env=data["extra_env"],
            working_dir=Path(data["working_dir"]),
            trailing=tuple(data["trailing"]),
            direct_mounts=data["direct_mounts"],
        )


def planner_command() -> list[str]:
    """How the supervisor process runs `Replan.plan()` again on SIGHUP (see `main`)."""
    return [sys.executable, "-m", "spin.up.planning"]


def main() -> None:
    """The planner process: a Replan on stdin; the reply on stdout, where nothing else goes
    (anything the planning code or a launch-metadata probe prints goes to stderr)."""
    configure_logging()
    replan = Replan.from_json(json.load(sys.stdin))
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        reply = {"plan": replan.plan().to_json()}
    except SpinError as err:
        if debug_enabled():
            traceback.print_exc()
        reply = {"error": str(err)}
    with os.fdopen(reply_fd, "w") as out:
        json.dump(reply, out)


if __name__ == "__main__":
    with exit_on_error():
        main()
