"""A reload's new plan, made by a short-lived process.

The supervisor process holds no manifest, lock or discovery code (click, tomli and the rest:
~5 MB of its RSS for its whole life, `make bench-footprint`). A reload (SIGHUP) needs that code
for a moment, so the supervisor runs the planner command `spin up` gave it (`python -m
spin.up.planning`): it reads the manifest again, locks it and prints the new plan as one JSON
object, `{"plan": ...}`, or `{"error": "..."}` for a mistake the operator can fix, then exits.
Its stderr is the supervisor's (a `--debug` traceback shows there).
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from typing import Any

from spin.errors import SpinError
from spin.supervisor.flag import Flag
from spin.supervisor.json_file import json_file
from spin.supervisor.process import ExitStatus, chunks, signal_group, spawn
from spin.supervisor.reaper import Reaper
from spin.up.launch import LaunchPlan


@dataclass(frozen=True)
class Planner:
    """How to plan the app again: a command and the JSON it reads on stdin."""

    argv: list[str]
    input: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"argv": self.argv, "input": self.input}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Planner:
        return cls(argv=data["argv"], input=data["input"])

    async def plan(self, reaper: Reaper) -> LaunchPlan:
        """Run the planner and return its plan; SpinError with its reason when it has none."""
        stdin = json_file(self.input)  # a file, so that writing it never blocks
        try:
            process = spawn(self.argv, dict(os.environ), stdin=stdin, stderr=None)
        except OSError as err:
            raise SpinError(f"cannot start the planner {self.argv[0]}: {err}") from err
        finally:
            os.close(stdin)
        exited = Flag()
        status = ExitStatus()

        def on_exit(result: ExitStatus) -> None:
            nonlocal status
            status = result
            process.returncode = result.exit_code  # so that Popen never waits for it itself
            exited.set()

        reaper.watch(process.pid, on_exit)
        assert process.stdout is not None
        try:
            output = b"".join([chunk async for chunk in chunks(process.stdout.fileno())])
            await exited.wait()
        finally:
            if not exited.is_set():  # cancelled: the supervisor is stopping
                signal_group(process.pid, signal.SIGKILL)
            process.stdout.close()
        return _reply(output, status)


def _reply(output: bytes, status: ExitStatus) -> LaunchPlan:
    try:
        reply = json.loads(output)
    except ValueError:
        reason = ", ".join(f"{key}={value}" for key, value in status.describe().items())
        raise SpinError(f"the planner failed ({reason}) and printed no plan") from None
    if "error" in reply:
        raise SpinError(reply["error"])
    return LaunchPlan.from_json(reply["plan"])
