"""What `spin up` hands the supervisor: one executor launch per trigger type.

`spin.up.planning` builds a `LaunchPlan` (executor found, argv with routed options, the executor
contract's environment); `spin.supervisor` runs it, in another process (the hand-over and a
reload's planner pass it as JSON). Neither needs the other's internals.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExecutorLaunch:
    """How to start the executor of one trigger type."""

    trigger_type: str
    argv: list[str]  # argv[0] is the program to run (absolute path)
    env: dict[str, str]  # the complete environment of the child
    description: str = ""  # how it was found, for logs: "internal", "plugin at ...", "PATH"
    #: True when the executor is known to send READY=1: an internal one, or one whose launch
    #: metadata declares `sd_notify` (any built on `spin.trigger`); others may never notify.
    notifies: bool = False
    #: A digest of the part of the app this executor sees (spin/up/fingerprint.py): a reload
    #: leaves an executor running when its launch, fingerprint included, is unchanged.
    fingerprint: str = ""


@dataclass(frozen=True)
class LaunchPlan:
    """Everything needed to run an app's executors."""

    executors: list[ExecutorLaunch]
    #: Per trigger type supervision overrides from the manifest's `[supervisor.<type>]` tables
    #: (keys: the fields of spin/supervisor/restart_policy.py's Policy), already validated.
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data (how it crosses from `spin up` to the supervisor)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LaunchPlan:
        executors = [ExecutorLaunch(**launch) for launch in data["executors"]]
        return cls(executors=executors, policies=data["policies"])
