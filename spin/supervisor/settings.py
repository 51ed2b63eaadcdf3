"""App-wide supervisor settings: the default policy, log format, stats and readiness grace.

Every default is written once, here or in `Policy` (restart_policy.py). `spin up` copies the
options it was given onto these settings (spin/up/supervisor_options.py); the manifest's
`[supervisor.<type>]` tables then override the policy keys for one trigger type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from spin.supervisor.log import LogFormat
from spin.supervisor.restart_policy import POLICY_KEYS, Policy


@dataclass(frozen=True)
class SupervisorSettings:
    #: The policy of every trigger type without a `[supervisor.<type>]` table of its own.
    policy: Policy = field(default_factory=Policy)
    #: Lifecycle log lines as text or one JSON object per line.
    log_format: LogFormat = "text"
    #: Log each executor's memory, CPU and open files this often (seconds); None: never.
    stats_interval: float | None = None
    #: How long (seconds) an executor that may not know sd_notify has to send READY=1 before it
    #: is taken as not supporting it and counted as ready.
    notify_grace: float = 2.0

    def with_values(self, values: Mapping[str, Any]) -> SupervisorSettings:
        """These settings with some replaced; a policy key replaces it in the app-wide policy."""
        policy = {key: value for key, value in values.items() if key in POLICY_KEYS}
        own = {key: value for key, value in values.items() if key not in POLICY_KEYS}
        return replace(self, policy=replace(self.policy, **policy), **own)

    def policy_for(self, trigger_type: str, overrides: dict[str, dict[str, Any]]) -> Policy:
        return self.policy.with_overrides(overrides.get(trigger_type, {}))

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON-ready data (the hand-over from `spin up`, handover.py)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SupervisorSettings:
        return cls(**{**data, "policy": Policy(**data["policy"])})
