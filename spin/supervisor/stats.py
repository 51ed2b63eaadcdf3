"""Resource use of an executor's process tree (psutil, imported only when stats are asked for)."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class TreeStats:
    processes: int
    rss_bytes: int
    cpu_percent: float  # of one core, since the previous sample (or since the start)
    open_files: int

    def fields(self) -> dict[str, object]:
        return {
            "processes": self.processes,
            "rss_mb": round(self.rss_bytes / 2**20, 1),
            "cpu_percent": round(self.cpu_percent, 1),
            "open_files": self.open_files,
        }


class TreeSampler:
    """Samples one executor's tree; remembers the last CPU total to compute a rate."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._last: tuple[float, float] | None = None  # (wall time, cpu seconds)

    def sample(self) -> TreeStats | None:
        """None if the executor is gone."""
        import psutil

        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return None
        rss = cpu = 0.0
        files = 0
        alive = 0
        for process in tree:
            try:
                with process.oneshot():
                    rss += process.memory_info().rss
                    times = process.cpu_times()
                    cpu += times.user + times.system
                    files += len(process.open_files())
                alive += 1
            except psutil.Error:
                continue
        now = time.time()
        since, cpu_before = self._last or (root.create_time(), 0.0)
        self._last = (now, cpu)
        elapsed = max(now - since, 1e-6)
        percent = max(cpu - cpu_before, 0.0) / elapsed * 100
        return TreeStats(alive, int(rss), percent, files)
