"""Asking executors for their launch metadata before `spin up` starts them.

`<executor> --launch-metadata-only` prints a JSON document on stderr (spin/trigger/metadata.py):
Spin's `all_flags`, the flags it accepts (for option routing, spin/up/option_routing.py), and our
`sd_notify`, true when it sends READY=1 once serving (the supervisor then waits for that instead
of taking it as ready after a grace, spin/supervisor/child.py). All executors asked are asked at
once; one that answers nothing usable has no metadata, which is not an error: a program not
built on `spin.trigger` need not know the flag.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from spin.notify import NOTIFY_SOCKET
from spin.up.launch import ExecutorLaunch

log = logging.getLogger("spin.up.command")

METADATA_FLAG = "--launch-metadata-only"
#: The field of an executor that sends READY=1 (spin/trigger/metadata.py's SD_NOTIFY_FIELD;
#: `spin up` does not import the trigger library).
SD_NOTIFY_FIELD = "sd_notify"
#: How long an executor may take to print its launch metadata: a Python one takes 0.2-0.4 s
#: (spin-trigger-timer, load 2-3), most of it imports. The bound is for a program that ignores
#: the flag and starts serving (a `#!/bin/sh exec ...` wrapper): it holds `spin up` up that long.
METADATA_TIMEOUT = 10.0


@dataclass(frozen=True)
class LaunchMetadata:
    """What an executor declared. `flags` is None when it gave no metadata, and `missing`
    then says why."""

    flags: frozenset[str] | None
    sd_notify: bool = False
    missing: str = ""


def parse_launch_metadata(stderr: str) -> LaunchMetadata | None:
    """The metadata in an executor's `--launch-metadata-only` output, or None.

    The document is the last line of stderr that parses as JSON with `all_flags`; other lines
    (log output) are ignored. Only `"sd_notify": true` declares notification.
    """
    for line in reversed(stderr.splitlines()):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or not isinstance(document.get("all_flags"), list):
            continue
        flags: set[str] = set()
        for entry in document["all_flags"]:
            if isinstance(entry, dict):
                flags.update(
                    name for key in ("short", "long") if isinstance(name := entry.get(key), str)
                )
        return LaunchMetadata(frozenset(flags), sd_notify=document.get(SD_NOTIFY_FIELD) is True)
    return None


def _ask(launch: ExecutorLaunch) -> LaunchMetadata:
    """Run `<executor> --launch-metadata-only` in a process group of its own, so that what a
    program that did not answer in time started is killed with it; without `spin up`'s own
    NOTIFY_SOCKET (systemd's), which such a program could tell it was ready."""
    env = {key: value for key, value in launch.env.items() if key != NOTIFY_SOCKET}
    try:
        process = subprocess.Popen(
            [*launch.argv, METADATA_FLAG],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as err:
        return LaunchMetadata(None, missing=f"it could not be started: {err}")
    try:
        _stdout, stderr = process.communicate(timeout=METADATA_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        log.warning(
            "the %s executor (%s) did not answer `%s` within %gs and was killed: an executor "
            "must print its launch metadata and exit at once, or fail on a flag it does not "
            'know (docs/writing-a-trigger.md, "Launch metadata")',
            launch.trigger_type,
            launch.description or launch.argv[0],
            METADATA_FLAG,
            METADATA_TIMEOUT,
        )
        return LaunchMetadata(None, missing=f"no answer within {METADATA_TIMEOUT:g}s")
    metadata = (
        parse_launch_metadata(stderr.decode(errors="replace")) if process.returncode == 0 else None
    )
    if metadata is None:
        return LaunchMetadata(
            None, missing=f"`{METADATA_FLAG}` exited with {process.returncode} and no flag list"
        )
    return metadata


def ask_launch_metadata(launches: Sequence[ExecutorLaunch]) -> dict[str, LaunchMetadata]:
    """Each executor's metadata by trigger type, asked concurrently: 0.22 s for the timer, 0.51 s
    for timer, cron and MQTT on 2 cores (docs/operations.md, "Readiness")."""
    if not launches:
        return {}
    with ThreadPoolExecutor(max_workers=len(launches)) as pool:
        answers = list(pool.map(_ask, launches))
    return {launch.trigger_type: answer for launch, answer in zip(launches, answers, strict=True)}
