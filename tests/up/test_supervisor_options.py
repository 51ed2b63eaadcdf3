"""`spin up`'s supervisor options copy only what was given onto the settings' own defaults."""

from __future__ import annotations

from spin.supervisor import Policy, SupervisorSettings
from spin.up.command import up_command
from spin.up.supervisor_options import SUPERVISOR_OPTIONS, supervisor_settings


def settings_from(*args: str) -> SupervisorSettings:
    ctx = up_command.make_context("up", list(args))
    return supervisor_settings(ctx, dict(ctx.params))


def test_no_options_give_the_default_settings() -> None:
    assert settings_from() == SupervisorSettings()


def test_given_options_replace_their_defaults_only() -> None:
    settings = settings_from("--max-restarts", "2", "--restart", "always", "--log-format", "json")
    assert settings == SupervisorSettings(
        policy=Policy(restart="always", max_restarts=2), log_format="json"
    )


def test_every_policy_key_is_an_option_showing_the_policy_default() -> None:
    defaults = {option.name: option.default for option in SUPERVISOR_OPTIONS}
    for key, value in vars(Policy()).items():
        assert defaults[key] == value, key
