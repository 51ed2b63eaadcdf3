"""Supervisor settings: manifest overrides per trigger type, and a policy module light enough
for the manifest layer to derive its `[supervisor.<type>]` vocabulary from."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from spin.supervisor import Policy, SupervisorSettings


def test_a_manifest_table_overrides_its_keys_for_its_trigger_type_only() -> None:
    settings = SupervisorSettings(policy=Policy(restart="always", max_restarts=9))
    overrides = {"web": {"restart": "never"}}
    assert settings.policy_for("web", overrides) == replace(settings.policy, restart="never")
    assert settings.policy_for("queue", overrides) == settings.policy


def test_with_values_puts_policy_keys_into_the_app_wide_policy() -> None:
    settings = SupervisorSettings().with_values({"backoff_max": 1.0, "log_format": "json"})
    assert settings == SupervisorSettings(policy=Policy(backoff_max=1.0), log_format="json")


def test_importing_the_manifest_layer_loads_no_click_anyio_spin_up_or_runtime() -> None:
    """The runtime too: `spin up` (the supervisor) loads the manifest to validate it."""
    heavy = ("click", "anyio", "spin.up", "spin.runtime")
    code = f"import sys, spin.manifest\nprint(' '.join(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
