"""Routing `spin up`'s trailing options to the executors that declare them (real processes)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from spin.errors import SpinError
from spin.up.launch import ExecutorLaunch
from spin.up.launch_metadata import ask_launch_metadata
from spin.up.option_routing import OptionGroup, group_options, route
from spin.up.option_routing import route_options as route_with_metadata
from tests.fixtures.up.fakes import install_executor


def tokens(groups: list[OptionGroup]) -> list[tuple[str, ...]]:
    return [group.tokens for group in groups]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--listen", "127.0.0.1:3001"], [("--listen", "127.0.0.1:3001")]),
        (["--quiet", "--listen", "x"], [("--quiet",), ("--listen", "x")]),
        (["--listen=127.0.0.1:3001", "-q"], [("--listen=127.0.0.1:3001",), ("-q",)]),
        (["-L", "logs", "-q"], [("-L", "logs"), ("-q",)]),
        (["-Llogs", "value-less"], None),  # -Llogs carries its value: the next token is stray
        (["--offset=-5", "--follow", "a"], [("--offset=-5",), ("--follow", "a")]),
        (["--offset", "-5"], [("--offset",), ("-5",)]),  # a value starting with - is a flag
        ([], []),
    ],
)
def test_trailing_args_are_grouped_into_flag_and_optional_value(
    args: list[str], expected: list[tuple[str, ...]] | None
) -> None:
    if expected is None:
        with pytest.raises(SpinError, match='Unexpected trigger argument "value-less"'):
            group_options(args)
    else:
        assert tokens(group_options(args)) == expected


def test_flag_name_of_a_group() -> None:
    assert [g.flag for g in group_options(["--listen=x", "-Llogs", "-q", "--tls-cert", "c"])] == [
        "--listen",
        "-L",
        "-q",
        "--tls-cert",
    ]


def test_a_leading_value_without_a_flag_is_an_error() -> None:
    with pytest.raises(SpinError) as err:
        group_options(["127.0.0.1:3001"])
    assert '"127.0.0.1:3001"' in str(err.value)
    assert "--flag=VALUE" in str(err.value)


def test_route_gives_each_executor_only_its_declared_groups() -> None:
    groups = group_options(["--listen", "127.0.0.1:3001", "-L", "logs", "--channel", "c1"])
    declared = {
        "http": {"--listen", "-L", "--log-dir"},
        "redis": {"--channel", "-L", "--log-dir"},
    }
    assert route(groups, declared) == {
        "http": ["--listen", "127.0.0.1:3001", "-L", "logs"],
        "redis": ["-L", "logs", "--channel", "c1"],
    }


def test_route_rejects_a_flag_that_no_executor_declares() -> None:
    groups = group_options(["--listen", "x", "--bogus", "y"])
    with pytest.raises(SpinError, match='Unrecognised trigger option "--bogus"') as err:
        route(groups, {"http": {"--listen"}, "redis": {"--channel"}})
    assert err.value.exit_code == 2  # a usage error, as clap's in Spin
    assert "http, redis" in str(err.value)


@pytest.mark.parametrize("flag", ["--health-listen", "--health-file"])
def test_route_refuses_a_probe_that_several_executors_would_share(flag: str) -> None:
    declared = {"http": {flag}, "redis": {flag}, "odd": None}
    with pytest.raises(SpinError, match=f"{flag} would go to 3 executors") as err:
        route(group_options([flag, "x"]), declared)
    assert err.value.exit_code == 2 and "--trigger-type TYPE" in str(err.value)
    assert route(group_options([flag, "x"]), {"http": {flag}, "redis": set()})["http"] == [
        flag,
        "x",
    ]


def test_route_passes_everything_to_an_executor_without_metadata() -> None:
    groups = group_options(["--listen", "x", "--bogus"])
    assert route(groups, {"http": {"--listen"}, "odd": None}) == {
        "http": ["--listen", "x"],
        "odd": ["--listen", "x", "--bogus"],
    }


def route_options(launches: list[ExecutorLaunch], trailing: list[str]) -> list[ExecutorLaunch]:
    """Routing as `spin up` does it, with the executors' own launch metadata."""
    return route_with_metadata(launches, trailing, ask_launch_metadata(launches))


def launch(trigger_type: str, program: Path) -> ExecutorLaunch:
    return ExecutorLaunch(trigger_type, [str(program)], dict(os.environ), f"test {trigger_type}")


def test_route_options_asks_real_executors_for_their_metadata(tmp_path: Path) -> None:
    alpha = install_executor(tmp_path / "alpha", [("-L", "--log-dir"), (None, "--listen")])
    beta = install_executor(tmp_path / "beta", [("-L", "--log-dir"), ("-c", "--channel")])
    routed = route_options(
        [launch("alpha", alpha), launch("beta", beta)],
        ["--listen", "127.0.0.1:3001", "-L", "logs", "-c", "one", "--log-dir=x"],
    )
    assert [r.argv for r in routed] == [
        [str(alpha), "--listen", "127.0.0.1:3001", "-L", "logs", "--log-dir=x"],
        [str(beta), "-L", "logs", "-c", "one", "--log-dir=x"],
    ]


def test_route_options_fails_on_an_unrecognised_flag_of_real_executors(tmp_path: Path) -> None:
    alpha = install_executor(tmp_path / "alpha", [(None, "--listen")])
    with pytest.raises(SpinError, match='Unrecognised trigger option "--lisen"'):
        route_options([launch("alpha", alpha)], ["--lisen", "127.0.0.1:3001"])


def test_an_executor_without_metadata_is_warned_about_and_gets_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alpha = install_executor(tmp_path / "alpha", [(None, "--listen")])
    legacy = install_executor(tmp_path / "legacy", flags=None)
    with caplog.at_level(logging.WARNING, logger="spin.up.command"):
        routed = route_options(
            [launch("alpha", alpha), launch("legacy", legacy)], ["--listen", "x", "--extra"]
        )
    assert routed[0].argv == [str(alpha), "--listen", "x"]
    assert routed[1].argv == [str(legacy), "--listen", "x", "--extra"]
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "legacy executor" in warning
    assert "passing it every trigger option" in warning
    assert "exited with 2" in warning


def test_no_trailing_args_need_no_metadata(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    assert route_with_metadata([launch("alpha", missing)], [], {}) == [launch("alpha", missing)]


def test_an_executor_that_cannot_start_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "does-not-exist"
    with caplog.at_level(logging.WARNING, logger="spin.up.command"):
        routed = route_options([launch("alpha", missing)], ["--anything"])
    assert routed[0].argv == [str(missing), "--anything"]
    assert "could not be started" in caplog.text
