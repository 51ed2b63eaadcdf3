"""Resolving the Redis triggers of a locked app into per-server subscriptions."""

from __future__ import annotations

from typing import Any

import pytest

from spin.errors import SpinError
from spin.executors.redis.config import (
    RedisAppConfig,
    RedisTriggerConfig,
    check_address,
    plan_subscriptions,
    redacted,
)
from spin.locked import LockedApp
from spin.trigger.config import app_trigger_config, trigger_configs


def locked_app(
    triggers: list[dict[str, Any]],
    *,
    address: str | None = None,
    variables: dict[str, dict[str, Any]] | None = None,
) -> LockedApp:
    components = {t.get("component") for t in triggers} - {None}
    return LockedApp(
        {
            "spin_lock_version": 1,
            "metadata": {
                "name": "app",
                "triggers": {"redis": {"address": address} if address else {}},
            },
            "variables": variables or {},
            "triggers": [
                {"id": f"trigger-{i}", "trigger_type": "redis", "trigger_config": t}
                for i, t in enumerate(triggers)
            ],
            "components": [
                {"id": c, "source": {"source": f"file:///{c}.wasm"}} for c in sorted(components)
            ],
        }
    )


def plan(app: LockedApp) -> dict[str, dict[str, list[str]]]:
    triggers = trigger_configs(app, "redis", RedisTriggerConfig)
    app_config = app_trigger_config(app, "redis", RedisAppConfig)
    return {s.address: s.channels for s in plan_subscriptions(app, triggers, app_config)}


def test_app_address_is_the_default_and_channels_group_components() -> None:
    app = locked_app(
        [
            {"channel": "a", "component": "one"},
            {"channel": "a", "component": "two"},
            {"channel": "b", "component": "one"},
        ],
        address="redis://localhost:6379",
    )
    assert plan(app) == {"redis://localhost:6379": {"a": ["one", "two"], "b": ["one"]}}


def test_trigger_address_overrides_the_app_address() -> None:
    app = locked_app(
        [
            {"channel": "a", "component": "one"},
            {"channel": "a", "component": "two", "address": "redis://other:7000"},
        ],
        address="redis://localhost:6379",
    )
    assert plan(app) == {
        "redis://localhost:6379": {"a": ["one"]},
        "redis://other:7000": {"a": ["two"]},
    }


def test_templates_in_address_and_channel_use_app_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPIN_VARIABLE_REDIS_PORT", "7777")
    app = locked_app(
        [{"channel": "{{ prefix }}-events", "component": "one"}],
        address="redis://{{ host }}:{{ redis_port }}",
        variables={
            "host": {"default": "example"},
            "prefix": {"default": "app"},
            "redis_port": {"secret": False},
        },
    )
    assert plan(app) == {"redis://example:7777": {"app-events": ["one"]}}


def test_missing_address_names_the_trigger() -> None:
    app = locked_app([{"channel": "a", "component": "one"}])
    with pytest.raises(SpinError, match=r"redis trigger 'trigger-0' has no Redis address"):
        plan(app)


def test_missing_channel_names_the_trigger() -> None:
    app = locked_app([{"component": "one"}], address="redis://localhost")
    with pytest.raises(SpinError, match=r"redis trigger 'trigger-0' has no `channel`"):
        plan(app)


def test_unknown_template_variable_names_the_field() -> None:
    app = locked_app([{"channel": "a", "component": "one"}], address="redis://{{ nope }}")
    with pytest.raises(SpinError, match=r"address of redis trigger 'trigger-0'.*'nope'"):
        plan(app)


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("localhost:6379", "scheme"),
        ("http://localhost", "scheme"),
        ("redis://", "no host"),
        ("redis://localhost:notaport", "Port"),
        ("unix://", "socket path"),
    ],
)
def test_bad_addresses_are_rejected_with_the_form(address: str, problem: str) -> None:
    with pytest.raises(SpinError, match=problem) as caught:
        check_address(address, "t1")
    assert "'t1'" in str(caught.value)
    assert "redis://[:password@]host[:port][/db]" in str(caught.value)


def test_good_addresses_pass() -> None:
    for address in ("redis://localhost", "rediss://:pw@h:1/2", "unix:///tmp/redis.sock"):
        check_address(address, "t1")


def test_passwords_are_redacted() -> None:
    assert redacted("redis://user:secret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redacted("redis://host:6379") == "redis://host:6379"
