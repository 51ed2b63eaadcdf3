"""The executor contract: the environment `spin up` starts every trigger executor with.

SIP 003 gives an executor `SPIN_MANIFEST_URL` and `SPIN_TRIGGER_TYPE`; today's Spin adds the
locked app (`SPIN_LOCKED_URL`), the working directory and the app directory. An executor that
finds `SPIN_LOCKED_URL` reads the locked app; one that only knows `SPIN_MANIFEST_URL` loads the
manifest itself. Everything else in `spin up`'s own environment is inherited unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spin import __version__


@dataclass(frozen=True)
class AppFiles:
    """Where a running app's files are: what every executor of the app is told."""

    manifest: Path  # the spin.toml
    lock: Path  # the spin.lock written into the working directory
    working_dir: Path

    @property
    def app_dir(self) -> Path:
        return self.manifest.parent


def executor_env(
    files: AppFiles, trigger_type: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The complete environment of the executor of `trigger_type` (inherits `os.environ`)."""
    env = dict(os.environ if base is None else base)
    env.update(
        SPIN_MANIFEST_URL=files.manifest.resolve().as_uri(),
        SPIN_TRIGGER_TYPE=trigger_type,
        SPIN_LOCKED_URL=files.lock.resolve().as_uri(),
        SPIN_WORKING_DIR=str(files.working_dir.resolve()),
        SPIN_LOCAL_APP_DIR=str(files.app_dir.resolve()),
        SPIN_VERSION=__version__,
    )
    return env
