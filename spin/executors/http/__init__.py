"""`spin trigger http`: the internal HTTP trigger executor.

This module stays light (no hypercorn, no wasmtime) so that `--help` and
`--launch-metadata-only` answer fast; the server is imported when `run()` starts.
"""

from __future__ import annotations

from typing import ClassVar

import click

from spin.executors.http.config import HTTP_OPTIONS, HttpOptions
from spin.executors.http.trigger_config import HttpAppConfig, HttpTriggerConfig
from spin.trigger import TriggerExecutor


def _runtime_options() -> list[click.Option]:
    from spin.runtime.config import RUNTIME_OPTIONS

    return RUNTIME_OPTIONS


class HttpTrigger(TriggerExecutor):
    """Serves the app's `[[trigger.http]]` components with hypercorn and the Wasm runtime."""

    trigger_type = "http"
    options: ClassVar[list[click.Option]] = [*HTTP_OPTIONS, *_runtime_options()]
    options_class = HttpOptions
    trigger_config = HttpTriggerConfig
    app_config = HttpAppConfig
    summary = "Serve the app's HTTP triggers (Spin 1.x modules, components, WAGI)."

    async def run(self) -> int:
        from spin.executors.http.server import serve

        return await serve(self.context)


__all__ = ["HttpTrigger"]
