"""Process titles that say what each process of the tree is, in `ps`, `top` and `pstree`.

Without them the orphan guard shows as a second `spin up` and a guest worker as
`python -m spin.runtime.pool.worker 7 16583`. setproctitle rewrites the process's argv area,
which is what those tools read (/proc/PID/cmdline), and its comm name.
"""

from __future__ import annotations

import setproctitle


def set_title(title: str) -> None:
    setproctitle.setproctitle(title)


def current_title() -> str:
    return str(setproctitle.getproctitle())
