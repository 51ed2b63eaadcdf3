"""Process titles that say what each process of the tree is, in `ps`, `top` and `pstree`.

Without them an executor shows as `python -m spin trigger http` and a guest worker as
`python -m spin.runtime.pool.worker 7 16583`. setproctitle rewrites the process's argv area,
which is what those tools read (/proc/PID/cmdline), and its comm name. (The orphan guard, a
shell script, gets its title as its argv[0]: spin/supervisor/orphan_guard.py.)
"""

from __future__ import annotations

import setproctitle


def set_title(title: str) -> None:
    setproctitle.setproctitle(title)


def current_title() -> str:
    return str(setproctitle.getproctitle())
