"""Routing `spin up`'s trailing options to the executors that declare them, as Spin does.

`spin up --listen 127.0.0.1:3001 --log-dir logs` on an app with HTTP and Redis triggers must give
`--listen` only to the HTTP executor (the Redis one would reject it) and `--log-dir` to both.
Each executor says which flags it takes in its launch metadata (spin/up/launch_metadata.py);
an executor without metadata gets every option.

The trailing arguments are cut into groups: a flag plus, optionally, its value, which is the next
token when that token does not start with `-`; `--flag=value` and `-Lvalue` are one token. A
value that starts with `-` must therefore be written `--flag=-value`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace

from spin.errors import USAGE_ERROR, SpinError
from spin.up.launch import ExecutorLaunch
from spin.up.launch_metadata import LaunchMetadata

log = logging.getLogger("spin.up.command")

#: Options naming something one executor holds alone (spin/trigger/health.py): given to several
#: executors, all but the first would fail to bind the port, and a shared file would say ready
#: while one executor is.
ONE_EXECUTOR_OPTIONS = ("--health-listen", "--health-file")


@dataclass(frozen=True)
class OptionGroup:
    """One trailing option: the flag token and its value token, if any."""

    tokens: tuple[str, ...]

    @property
    def flag(self) -> str:
        """The flag's name: `--listen` for `--listen=x`, `-L` for `-Lx`."""
        first = self.tokens[0]
        if first.startswith("--"):
            return first.partition("=")[0]
        return first[:2]


def _has_inline_value(token: str) -> bool:
    """`--flag=value`, `-L=value` or `-Lvalue`."""
    return "=" in token or (not token.startswith("--") and len(token) > 2)


def group_options(args: Sequence[str]) -> list[OptionGroup]:
    """Cut trailing arguments into (flag, optional value) groups."""
    groups: list[OptionGroup] = []
    index = 0
    while index < len(args):
        token = args[index]
        if not token.startswith("-") or token in ("-", "--"):
            raise SpinError(
                f'Unexpected trigger argument "{token}": `spin up` passes only options to '
                "trigger executors, each a flag starting with - or -- and an optional value "
                "(for example `spin up --listen 127.0.0.1:3001`). Write a value that starts "
                "with - as --flag=VALUE."
            )
        takes_next = (
            not _has_inline_value(token)
            and index + 1 < len(args)
            and not args[index + 1].startswith("-")
        )
        size = 2 if takes_next else 1
        groups.append(OptionGroup(tuple(args[index : index + size])))
        index += size
    return groups


def route(
    groups: Sequence[OptionGroup], declared: Mapping[str, Set[str] | None]
) -> dict[str, list[str]]:
    """The trailing arguments of each trigger type: the groups whose flag it declared (all of
    them for an executor without metadata). A flag nobody takes is an error."""
    routed: dict[str, list[str]] = {trigger_type: [] for trigger_type in declared}
    for group in groups:
        takers = [t for t, flags in declared.items() if flags is None or group.flag in flags]
        if not takers:
            raise SpinError(
                f'Unrecognised trigger option "{group.flag}": none of the executors of this '
                f"app ({', '.join(declared)}) accepts it. Check the spelling; "
                "`spin up --help` in the app's directory lists the options each executor takes.",
                exit_code=USAGE_ERROR,
            )
        if group.flag in ONE_EXECUTOR_OPTIONS and len(takers) > 1:
            raise SpinError(
                f"{group.flag} would go to {len(takers)} executors ({', '.join(takers)}), and "
                "each needs its own: run one trigger type per process with `spin up "
                f"--trigger-type TYPE {group.flag} ...` (with --exec in a pod), or leave the "
                "probes out and rely on the supervisor.",
                exit_code=USAGE_ERROR,
            )
        for trigger_type in takers:
            routed[trigger_type].extend(group.tokens)
    return routed


def declared_flags(
    launches: Sequence[ExecutorLaunch], metadata: Mapping[str, LaunchMetadata]
) -> dict[str, frozenset[str] | None]:
    """Each executor's declared flags; None (with a warning) where it gave no metadata."""
    declared: dict[str, frozenset[str] | None] = {}
    for launch in launches:
        answer = metadata[launch.trigger_type]
        if answer.flags is None:
            log.warning(
                "the %s executor (%s) gave no launch metadata (%s): passing it every trigger "
                "option",
                launch.trigger_type,
                launch.description or launch.argv[0],
                answer.missing,
            )
        declared[launch.trigger_type] = answer.flags
    return declared


def route_options(
    launches: Sequence[ExecutorLaunch],
    trailing: Sequence[str],
    metadata: Mapping[str, LaunchMetadata],
) -> list[ExecutorLaunch]:
    """The launches with each executor's share of the trailing options appended to its argv;
    `metadata` has every executor's when there are trailing options."""
    if not trailing:
        return list(launches)
    groups = group_options(trailing)
    routed = route(groups, declared_flags(launches, metadata))
    return [
        replace(launch, argv=[*launch.argv, *routed[launch.trigger_type]]) for launch in launches
    ]
