"""Running spin-sdk guests (tests/guests/sdk_python) in-process, for the host interface tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spin.runtime import Guest, Runtime, RuntimeConfig
from tests.support import logs_for, sdk_component


def make_runtime(cache: Path, state_dir: Path, **config: Any) -> Runtime:
    return Runtime(
        RuntimeConfig(instance_timeout=30.0, cache_dir=cache, state_dir=state_dir, **config)
    )


def load(runtime: Runtime, tmp_path: Path, app: str, **settings: Any) -> Guest:
    variables = settings.pop("variables", None)
    component = sdk_component(app, **settings)
    return runtime.load(component, logs_for(tmp_path, component.id), variables)
