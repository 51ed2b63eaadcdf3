"""Finding the app an executor runs, from the environment `spin up` sets (the executor contract).

`SPIN_LOCKED_URL` wins; an executor started with only `SPIN_MANIFEST_URL` (as in SIP 003) loads
and locks the manifest itself, copying the components' files as `spin up` does, into
`$SPIN_WORKING_DIR/assets` (else `<app dir>/.spin/up/assets`, where `spin up --exec` puts them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spin.errors import SpinError
from spin.locked import APP_WORKING_DIR, LockedApp, lock_app, path_from_url


@dataclass(frozen=True)
class AppLocation:
    app: LockedApp
    app_dir: Path
    working_dir: Path


def load_app_from_env() -> AppLocation:
    locked_url = os.environ.get("SPIN_LOCKED_URL")
    manifest_url = os.environ.get("SPIN_MANIFEST_URL")
    if locked_url:
        app = LockedApp.from_file(path_from_url(locked_url))
    elif manifest_url:
        # Only an executor given a manifest locks it (file_mounts: tempfile, shutil, bz2, lzma).
        from spin.file_mounts import ASSETS_DIR_NAME
        from spin.manifest import load_manifest

        manifest = load_manifest(path_from_url(manifest_url))
        working_dir = os.environ.get("SPIN_WORKING_DIR") or manifest.app_dir / APP_WORKING_DIR
        app = LockedApp(lock_app(manifest, assets_dir=Path(working_dir) / ASSETS_DIR_NAME))
    else:
        raise SpinError(
            "This is a Spin trigger executor: it runs an app that `spin up` gives it through "
            "SPIN_LOCKED_URL or SPIN_MANIFEST_URL, and neither is set. Start the app with "
            "`spin up -f spin.toml` instead."
        )
    if os.environ.get("SPIN_LOCAL_APP_DIR"):
        app_dir = Path(os.environ["SPIN_LOCAL_APP_DIR"])
    elif app.origin.startswith("file://"):
        app_dir = path_from_url(app.origin).parent
    else:
        app_dir = Path.cwd()
    working_dir = Path(os.environ.get("SPIN_WORKING_DIR") or app_dir)
    return AppLocation(app=app, app_dir=app_dir, working_dir=working_dir)
