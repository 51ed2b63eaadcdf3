"""`make bench-supervisor`: `spin up` against supervisord, circus and honcho on the same workload.

The measuring is done by the shared process-supervisor harness (found beside the repository as
`../shared/tools/supervisor-bench`, or at $SUPBENCH_DIR); this script only describes `spin up`
to it as a spec (a manifest with one custom trigger type per workload program, each served by a
`spin-trigger-<type>` shell script on PATH that execs the workload child) and runs it. The
harness prints the table, and a second one with ratios against supervisord from the same run.

    .venv/bin/python bench/supervisor/run.py                 # full run (~15 min on 2 cores)
    .venv/bin/python bench/supervisor/run.py --repeats 3     # any harness option passes through
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMPARED = "spin,supervisord,circus,honcho"
RESULTS = Path(tempfile.gettempdir()) / "spin-bench-supervisor"
#: An empty Wasm module (magic and version): the manifest needs a component source to lock.
EMPTY_WASM = "\0asm\1\0\0\0"


def harness_dir() -> Path:
    found = Path(os.environ.get("SUPBENCH_DIR") or REPO.parent / "shared/tools/supervisor-bench")
    if not (found / "bench.py").is_file():
        sys.exit(
            f"The supervisor benchmark harness is not at {found}: set SUPBENCH_DIR to the "
            "directory that holds bench.py and run.sh."
        )
    return found


def spin_spec() -> dict[str, object]:
    """`spin up` described as data for the harness's template adapter."""
    spin = Path(sys.executable).parent / "spin"
    return {
        "name": "spin",
        "note": "spin up (this repository): one custom trigger type per program, each a "
        "spin-trigger-<type> script on PATH that execs the child; --restart on-failure, "
        "--shutdown-timeout = the stop timeout, --stable-after 1 (the harness kills a "
        "child that has run 1.3-6.3 s; with the default 10 s the second kill of a session "
        "would be an attempt-2 restart with its 0.1 s backoff); text logs",
        "files": [
            {"path": "app.wasm", "content": EMPTY_WASM},
            {
                "path": "spin.toml",
                "header": 'spin_manifest_version = 2\n\n[application]\nname = "bench"\n\n',
                "per_program": '[[trigger.bench-{name}]]\ncomponent = "app"\n\n',
                "footer": '[component.app]\nsource = "app.wasm"\n',
            },
            {
                "path": "bin/spin-trigger-bench-{name}",
                "each": True,
                "mode": "0755",
                # No launch metadata (spin up asks before starting it): a wrapper that
                # ignored the flag would run its workload for the probe's 10 s.
                "content": '#!/bin/sh\ncase "$1" in --launch-metadata-only) exit 2;; esac\n'
                "exec {cmd}\n",
            },
        ],
        "start": [
            str(spin),
            "up",
            "-f",
            "{workdir}/spin.toml",
            "--restart",
            "on-failure",
            "--shutdown-timeout",
            "{stop_timeout}",
            "--stable-after",
            "1",
        ],
        "cwd": "{workdir}",
        "env": {"PATH": "{workdir}/bin:" + os.environ.get("PATH", "/usr/bin:/bin")},
        "restarts": True,
        "stop_signal": "SIGTERM",
        "available_if": str(spin),
    }


def main() -> int:
    harness = harness_dir()
    args = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="spin-bench-") as tmp:
        spec = Path(tmp) / "spin.json"
        spec.write_text(json.dumps(spin_spec(), indent=1))
        command = [str(harness / "run.sh"), "--spec", str(spec), "--baseline", "supervisord"]
        if "--only" not in args:
            command += ["--only", COMPARED]
        if "--out" not in args:  # not into the shared harness's own results folder
            command += ["--out", str(RESULTS)]
        return subprocess.call([*command, *args])


if __name__ == "__main__":
    sys.exit(main())
