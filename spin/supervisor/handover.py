"""The hand-over from `spin up` to the supervisor process.

`spin up` loads the manifest, locks the app, finds the executors and routes their options: code
(click, tomli, the manifest, lock and discovery layers) that supervising never needs again, and
that would stay in the supervisor's memory for the app's whole life. So `spin up` does not
supervise in its own interpreter: it writes what the supervisor needs into an unlinked file and
replaces itself (`exec`) with `python -m spin.supervisor FD`, a fresh interpreter that imports
only `spin.supervisor`. The PID stays the same, so a terminal's Ctrl-C, signals sent to `spin
up`, systemd's NOTIFY_SOCKET and the exit code all work as if nothing had changed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from spin.errors import SpinError, exit_on_error
from spin.supervisor import HANDLED_SIGNALS, supervise
from spin.supervisor.json_file import json_file
from spin.supervisor.planner import Planner
from spin.supervisor.settings import SupervisorSettings
from spin.up.launch import LaunchPlan


@dataclass(frozen=True)
class Handover:
    """Everything the supervisor process needs from `spin up`."""

    plan: LaunchPlan
    settings: SupervisorSettings
    planner: Planner  # makes a new plan on SIGHUP
    working_dir: Path  # where spin.lock is
    remove_working_dir: bool  # a temporary working directory: removed when the app stops

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_json(),
            "settings": self.settings.to_json(),
            "planner": self.planner.to_json(),
            "working_dir": str(self.working_dir),
            "remove_working_dir": self.remove_working_dir,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Handover:
        return cls(
            plan=LaunchPlan.from_json(data["plan"]),
            settings=SupervisorSettings.from_json(data["settings"]),
            planner=Planner.from_json(data["planner"]),
            working_dir=Path(data["working_dir"]),
            remove_working_dir=data["remove_working_dir"],
        )


def exec_supervisor(handover: Handover) -> NoReturn:
    """Replace this process (same PID) with the supervisor process, which runs `handover`."""
    fd = json_file(handover.to_json())
    os.set_inheritable(fd, True)
    # Held across exec until the supervisor's event loop listens: a Ctrl-C meanwhile stops the
    # app cleanly instead of killing the new interpreter as it starts.
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "spin.supervisor", str(fd)]
    try:
        os.execv(argv[0], argv)
    except OSError as err:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED_SIGNALS)
        raise SpinError(f"Cannot start the supervisor process ({' '.join(argv)}): {err}.") from err


def main(args: list[str]) -> NoReturn:
    """`python -m spin.supervisor FD`: run the hand-over read from FD; exit with the app's code."""
    with exit_on_error():
        with os.fdopen(int(args[0]), "rb") as file:
            handover = Handover.from_json(json.load(file))
        try:
            code = supervise(handover.plan, handover.settings, handover.planner)
        finally:
            if handover.remove_working_dir:
                import shutil  # only now: it would stay in memory the whole time for this call

                shutil.rmtree(handover.working_dir, ignore_errors=True)
    # Without the interpreter's teardown: every executor is gone and the logs are flushed;
    # freeing every module's objects one by one would be most of the time from SIGTERM to exit
    # (~5-30 ms measured).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
