"""`spin trigger redis`: the executor class and its options.

This module stays light (no redis, no wasmtime) so that `--launch-metadata-only` and `--help`
answer quickly; the work happens in `spin.executors.redis.service`, imported by `run()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import click

from spin.executors.redis.config import RedisAppConfig, RedisTriggerConfig
from spin.runtime.config import RUNTIME_OPTIONS
from spin.trigger import TriggerExecutor


@dataclass(frozen=True)
class RedisOptions:
    """The Redis executor's own option."""

    #: seconds to keep reconnecting to a lost server before exiting; None: forever
    max_reconnect_time: float | None = None


MAX_RECONNECT_OPTION = click.Option(
    ["--max-reconnect-time"],
    type=click.FloatRange(min=0),
    default=RedisOptions.max_reconnect_time,
    metavar="SECONDS",
    help="Exit (code 75) when a lost Redis connection cannot be re-established within this "
    "time (default: keep trying forever).",
)


class RedisTrigger(TriggerExecutor):
    """Subscribes to the app's Redis channels and runs its components for each message."""

    trigger_type = "redis"
    summary = "Subscribe to the app's Redis channels and run its components for each message."
    options: ClassVar[list[click.Option]] = [MAX_RECONNECT_OPTION, *RUNTIME_OPTIONS]
    options_class = RedisOptions
    trigger_config = RedisTriggerConfig
    app_config = RedisAppConfig

    async def run(self) -> int:
        from spin.executors.redis.service import serve

        return await serve(self.context)
