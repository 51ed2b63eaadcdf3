"""Modules a long-lived process loads and never uses stay out of it: each costs its memory for
the process's whole life (`make bench-footprint`). Checked in a fresh interpreter that imports
what the process imports.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded(code: str, modules: list[str]) -> list[str]:
    """Which of `modules` a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("process", "code", "unused"),
    [
        (
            # importlib.metadata (email, zipfile, csv: 2.6 MB) and click (2.8 MB) per worker
            "a guest worker",
            "import spin.runtime.pool.worker\nfrom spin.runtime.runtime import Runtime",
            ["click", "importlib.metadata", "email"],
        ),
        (
            # setproctitle (0.65 MB): only the orphan guard, forked from it, sets a title
            "the supervisor",
            "import spin.cli, spin.up.command, spin.supervisor.manager",
            ["setproctitle"],
        ),
    ],
)
def test_a_process_leaves_out_what_it_never_uses(
    process: str, code: str, unused: list[str]
) -> None:
    assert loaded(code, unused) == [], f"{process} imports modules it never uses"
