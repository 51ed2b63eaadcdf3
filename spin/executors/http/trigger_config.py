"""What the manifest may say to the HTTP executor: `[[trigger.http]]` tables and
`[application.trigger.http]`, typed as Spin's HTTP trigger reads them (unknown keys refused)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from spin.executors.http.wagi import DEFAULT_ARGV
from spin.trigger import Setting

EXECUTOR_EXAMPLE = 'executor = { type = "wagi" }'


@dataclass(frozen=True, kw_only=True)
class HttpExecutorConfig:
    """`executor = { type = "wagi", argv = "..." }`: the interface the component serves HTTP
    with (`http`, or its alias `spin`, when left out)."""

    type: Annotated[Literal["http", "spin", "wagi"], Setting(example=EXECUTOR_EXAMPLE)]
    #: WAGI only: the guest's argv, `${SCRIPT_NAME}` and `${ARGS}` substituted per request
    argv: Annotated[str, Setting(example='argv = "${SCRIPT_NAME} ${ARGS}"')] = DEFAULT_ARGV
    #: WAGI only, deprecated: anything but `_start` is refused
    entrypoint: str = "_start"


@dataclass(frozen=True, kw_only=True)
class HttpTriggerConfig:
    """One `[[trigger.http]]` table."""

    component: Annotated[str, Setting(example='component = "hello"')]
    route: Annotated[
        str | dict[str, Any],
        Setting(
            example='route = "/hello/..."',
            must='a path pattern such as "/hello/...", or `{ private = true }`',
        ),
    ]
    executor: Annotated[
        HttpExecutorConfig | None,
        Setting(
            example=EXECUTOR_EXAMPLE,
            must='a table such as `{ type = "wagi" }` (or left out for a Spin HTTP component)',
        ),
    ] = None
    #: Spin 3's host-served response without a component: refused, with the reason
    static_response: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class HttpAppConfig:
    """`[application.trigger.http]` (a Spin 1.x manifest's `trigger = { type = "http", ... }`)."""

    #: Spin 1.x's prefix for every route: only `/` is accepted, as in Spin 3
    base: Annotated[str | None, Setting(example='base = "/"')] = None
