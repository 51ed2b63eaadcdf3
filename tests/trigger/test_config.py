"""Typed trigger configuration: what the shared library accepts, and what each refusal says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest

from spin.errors import SpinError
from spin.executors.http.trigger_config import HttpAppConfig, HttpTriggerConfig
from spin.executors.redis.config import RedisTriggerConfig
from spin.locked import LockedApp
from spin.trigger import ConfiguredTrigger, Setting, positive
from spin.trigger.config import app_trigger_config, trigger_configs


@dataclass(frozen=True, kw_only=True)
class Mode:
    kind: Literal["fast", "slow"]
    depth: int = 1


@dataclass(frozen=True, kw_only=True)
class ThingConfig:
    component: Annotated[str, Setting(example='component = "one"')]
    every: Annotated[float, Setting(example="every = 5", must="a number above 0", valid=positive)]
    label: str | None = None
    enabled: bool = True
    mode: Mode | None = None


@dataclass(frozen=True, kw_only=True)
class ThingAppConfig:
    speed: int = 1


def app(*configs: dict[str, Any], app_config: dict[str, Any] | None = None) -> LockedApp:
    return LockedApp(
        {
            "spin_lock_version": 1,
            "metadata": {"origin": "file:///srv/app/spin.toml", "triggers": {"thing": app_config}}
            if app_config is not None
            else {"origin": "file:///srv/app/spin.toml"},
            "triggers": [
                {"id": f"t{i}", "trigger_type": "thing", "trigger_config": config}
                for i, config in enumerate(configs)
            ],
            "components": [{"id": "one", "source": {"source": "file:///one.wasm"}}],
        }
    )


def things(*configs: dict[str, Any]) -> list[ConfiguredTrigger[ThingConfig]]:
    return trigger_configs(app(*configs), "thing", ThingConfig)


def refusal(*configs: dict[str, Any]) -> str:
    with pytest.raises(SpinError) as caught:
        things(*configs)
    return str(caught.value)


def test_a_valid_table_becomes_the_dataclass_with_its_defaults() -> None:
    [thing] = things({"component": "one", "every": 5, "mode": {"kind": "slow"}})
    assert thing.id == "t0"
    assert thing.config == ThingConfig(component="one", every=5.0, mode=Mode(kind="slow"))
    assert isinstance(thing.config.every, float)  # TOML's 5 is read as the float field's 5.0


def test_an_unknown_key_is_refused_with_the_keys_that_exist() -> None:
    assert refusal({"component": "one", "every": 5, "evry": 5}) == (
        "/srv/app/spin.toml: unknown field `evry` in thing trigger 't0'. Remove it, or use one "
        "of: `component`, `every`, `label`, `enabled`, `mode`."
    )


def test_a_missing_field_is_refused_with_an_example() -> None:
    assert refusal({"component": "one"}) == (
        "/srv/app/spin.toml: thing trigger 't0' has no `every`. Add it, e.g. `every = 5`."
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("every", "5", "field `every` is '5'; it must be a number above 0, e.g. `every = 5`."),
        ("every", -1, "field `every` is -1; it must be a number above 0"),
        ("every", True, "field `every` is True"),
        ("label", 7, "field `label` is 7; it must be a string."),
        ("enabled", 1, "field `enabled` is 1; it must be true or false."),
        ("mode", "fast", "field `mode` is 'fast'; it must be a table."),
    ],
)
def test_a_value_of_the_wrong_kind_names_the_field_and_what_it_must_be(
    field: str, value: object, expected: str
) -> None:
    message = refusal({"component": "one", "every": 5, field: value})
    assert message.startswith("/srv/app/spin.toml: thing trigger 't0': ")
    assert expected in message


def test_nested_tables_are_checked_with_their_key_path() -> None:
    unknown = refusal({"component": "one", "every": 5, "mode": {"kind": "fast", "width": 2}})
    assert "unknown field `mode.width` in thing trigger 't0'" in unknown
    wrong = refusal({"component": "one", "every": 5, "mode": {"kind": "medium"}})
    assert 'field `mode.kind` is \'medium\'; it must be one of "fast", "slow"' in wrong


def test_the_component_must_be_one_of_the_app() -> None:
    assert "field `component` names 'two', which the app does not define" in refusal(
        {"component": "two", "every": 5}
    )


def test_the_application_table_is_checked_too() -> None:
    assert app_trigger_config(app(), "thing", ThingAppConfig) == ThingAppConfig()
    with pytest.raises(SpinError) as caught:
        app_trigger_config(app(app_config={"sped": 2}), "thing", ThingAppConfig)
    assert str(caught.value) == (
        "/srv/app/spin.toml: unknown field `application.trigger.thing.sped` in "
        "`[application.trigger.thing]`. Remove it, or use one of: `speed`."
    )


def http_refusal(config: dict[str, Any]) -> str:
    with pytest.raises(SpinError) as caught:
        trigger_configs(app({"component": "one", **config}), "thing", HttpTriggerConfig)
    return str(caught.value)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"rout": "/"}, "unknown field `rout`"),
        ({}, 'has no `route`. Add it, e.g. `route = "/hello/..."`.'),
        ({"route": 3}, 'it must be a path pattern such as "/hello/...", or `{ private = true }`'),
        ({"route": "/", "executor": "wagi"}, 'it must be a table such as `{ type = "wagi" }`'),
        ({"route": "/", "executor": {"type": "cgi"}}, "field `executor.type` is 'cgi'"),
        ({"route": "/", "executor": {"type": "wagi", "args": ""}}, "field `executor.args`"),
    ],
)
def test_http_trigger_tables_are_spins(config: dict[str, Any], expected: str) -> None:
    assert expected in http_refusal(config)


def test_http_and_redis_accept_what_spin_accepts() -> None:
    [http] = trigger_configs(
        app({"component": "one", "route": {"private": True}, "executor": {"type": "spin"}}),
        "thing",
        HttpTriggerConfig,
    )
    assert http.config.executor is not None and http.config.executor.type == "spin"
    assert app_trigger_config(app(app_config={"base": "/api"}), "thing", HttpAppConfig).base == (
        "/api"
    )
    [redis] = trigger_configs(
        app({"component": "one", "channel": "c", "address": "redis://h"}),
        "thing",
        RedisTriggerConfig,
    )
    assert redis.config.address == "redis://h"


@dataclass(frozen=True, kw_only=True)
class LevelConfig:
    level: Annotated[Literal["0", "1", 0, 1], Setting(must="0 or 1")]


def test_a_literal_number_is_not_matched_by_a_boolean() -> None:
    """TOML's `true` equals Python's 1, but is not the number 1 of a `Literal`."""
    where = app({"level": 1}, {"level": "0"}, {"level": True})
    with pytest.raises(SpinError) as caught:
        trigger_configs(where, "thing", LevelConfig)
    assert "thing trigger 't2': field `level` is True; it must be 0 or 1." in str(caught.value)
