"""`make bench-footprint`: what the demo app costs while it waits, against plain Python servers.

Subjects, each started alone on the same machine in one run:

- baseline: the same jobs without Wasm or supervision, one process each: `plain_hypercorn.py`
  (the HTTP benchmark's hello-world server) and `baseline_subscriber.py` (the Redis
  benchmark's subscriber), plus nothing for the timer;
- the demo (`examples/demo`, three triggers: HTTP, Redis, the external timer) under `spin up`,
  with its own Redis server on a free port;
- the same demo without its timer (`--trigger-type http --trigger-type redis`): nothing is
  scheduled, so its idle CPU is what the tree itself spends waiting.

Measured once each subject answers and has settled (the demo's timer runs its guest every 2 s,
so its "idle" CPU is that work, shown per process): the processes of its tree at the end of the
idle period (with the title each shows in `ps`; guest workers idle for `--wasm-idle-timeout`,
default 30 s, have exited by then if the period is long enough), their RSS, PSS and USS (PSS
shares a page's cost among the processes that map it, so the sum is the tree's real memory;
USS is what the process alone holds, what stopping it would give back; "PSS alone" shares a
page only among the tree's own processes, so that other processes of the machine mapping the
same files do not lower it, see `tree_memory`), the CPU
the whole tree used over an idle period (`--idle-seconds`, default 30), and the latency of the
first HTTP request after that idle period against the median of warm ones. Printed: one table
per subject, then a summary with the ratio to the baseline and the issue's targets (tree <= 120
MB PSS, supervisor <= 24 MB RSS, idle CPU 0, first request after idle <= 2x a warm one).

    .venv/bin/python bench/footprint/run.py [--idle-seconds 30] [--settle 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.footprint.tree_memory import pss_within  # noqa: E402
from tests.support import RedisServer, free_port, wait_for  # noqa: E402

MIB = 1024 * 1024
TARGETS = {"tree_pss_mb": 120.0, "supervisor_rss_mb": 24.0, "first_over_warm": 2.0}
WARM_REQUESTS = 20


@dataclass
class Subject:
    name: str
    root: subprocess.Popen[bytes]
    extra_roots: list[subprocess.Popen[bytes]]
    url: str

    def processes(self) -> list[psutil.Process]:
        """Every process of the subject's trees (its roots and their descendants)."""
        found: list[psutil.Process] = []
        for popen in [self.root, *self.extra_roots]:
            root = psutil.Process(popen.pid)
            found += [root, *root.children(recursive=True)]
        return found


@dataclass
class Row:
    """One process: memory in MiB (`pss_alone`: see `tree_memory`), CPU in seconds."""

    title: str
    rss: float
    pss: float
    uss: float
    pss_alone: float | None
    idle_cpu: float


@dataclass
class Footprint:
    rows: list[Row]
    idle_cpu_seconds: float
    first_ms: float
    warm_ms: float

    @property
    def tree_pss(self) -> float:
        return sum(row.pss for row in self.rows)

    @property
    def tree_pss_alone(self) -> float | None:
        alone = [row.pss_alone for row in self.rows]
        return None if None in alone else sum(a for a in alone if a is not None)


def title(process: psutil.Process) -> str:
    words = " ".join(process.cmdline()).strip()
    return words if len(words) <= 52 else words[:49] + "..."


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


#: One client for every measured request (a new httpx client per request costs ~150 ms itself).
CLIENT = httpx.Client(timeout=30)


def request_ms(url: str) -> float:
    """One request on a connection of its own: a keep-alive connection does not outlive an
    idle period (hypercorn closes it after 5 s), so the first request after one connects
    again, and the warm ones it is compared with do too."""
    started = time.perf_counter()
    response = CLIENT.get(url, headers={"Connection": "close"})
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def measure(subject: Subject, idle_seconds: float, settle: float) -> Footprint:
    wait_for(lambda: answers(subject.url), timeout=120, what=f"{subject.name} to answer")
    request_ms(subject.url)  # the first request ever (compiles, starts workers): not measured
    time.sleep(settle)  # let start-up work (caches, lazy workers) finish before measuring
    cpu_before = {p.pid: cpu_seconds(p) for p in subject.processes()}
    time.sleep(idle_seconds)  # the measured idle period itself
    rows = []
    # Listed again at the end: idle guest workers exit during the period (--wasm-idle-timeout)
    # and one may start (the timer's); a process that started meanwhile counts all its CPU.
    processes = subject.processes()
    alone = pss_within([p.pid for p in processes]) or {}
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            info = process.memory_full_info()
            idle = cpu_seconds(process) - cpu_before.get(process.pid, 0.0)
            own = alone.get(process.pid)
            rows.append(
                Row(
                    title(process),
                    info.rss / MIB,
                    info.pss / MIB,
                    info.uss / MIB,
                    None if own is None else own / MIB,
                    idle,
                )
            )
    idle_cpu = sum(row.idle_cpu for row in rows)
    first = request_ms(subject.url)
    warm = statistics.median(request_ms(subject.url) for _ in range(WARM_REQUESTS))
    return Footprint(rows, idle_cpu, first, warm)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def running(*commands: list[str], env: dict[str, str] | None = None) -> Iterator[list]:
    processes = [
        subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        for c in commands
    ]
    try:
        yield processes
    finally:
        for process in processes:
            with _gone():
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with _gone():
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _gone() -> suppress[ProcessLookupError]:
    return suppress(ProcessLookupError)


def baseline(redis_port: int, work: Path, args: argparse.Namespace) -> Footprint:
    port = free_port()
    python = sys.executable
    http = [python, str(REPO / "bench/http/plain_hypercorn.py"), f"127.0.0.1:{port}"]
    url = f"redis://127.0.0.1:{redis_port}"
    subscriber = [
        python,
        str(REPO / "bench/redis/baseline_subscriber.py"),
        url,
        "messages",
        str(work / "baseline.log"),
    ]
    with running(http, subscriber) as (server, sub):
        subject = Subject("baseline", server, [sub], f"http://127.0.0.1:{port}/")
        return measure(subject, args.idle_seconds, args.settle)


def demo(
    redis_port: int, work: Path, args: argparse.Namespace, *options: str, name: str = "demo"
) -> Footprint:
    app = work / name
    shutil.copytree(REPO / "examples/demo", app, ignore=shutil.ignore_patterns(".spin", "build"))
    sys.path.insert(0, str(app))
    from run_demo import build_wasm, prepare_log_dir  # type: ignore[import-not-found]

    build_wasm(app)
    prepare_log_dir(app)
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPIN_VARIABLE_REDIS_PORT": str(redis_port),
    }
    command = [str(bin_dir / "spin"), "up", "-f", str(app / "spin.toml")]
    with running([*command, *options, "--listen", f"127.0.0.1:{port}"], env=env) as (spin_up,):
        subject = Subject(f"spin up ({name})", spin_up, [], f"http://127.0.0.1:{port}/")
        return measure(subject, args.idle_seconds, args.settle)


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def print_subject(name: str, result: Footprint) -> None:
    print(f"\n{name}: {len(result.rows)} processes")
    columns = ("RSS MiB", "PSS MiB", "USS MiB", "PSS alone", "idle CPU s")
    print(f"  {'process':<54}" + "".join(f" {c:>9}" for c in columns))
    for row in result.rows:
        cells = (f"{row.rss:.1f}", f"{row.pss:.1f}", f"{row.uss:.1f}", _mib(row.pss_alone))
        print(f"  {row.title:<54}" + "".join(f" {c:>9}" for c in cells) + f" {row.idle_cpu:>9.2f}")
    cells = (
        f"{sum(row.rss for row in result.rows):.1f}",
        f"{result.tree_pss:.1f}",
        f"{sum(row.uss for row in result.rows):.1f}",
        _mib(result.tree_pss_alone),
    )
    print(
        f"  {'tree':<54}" + "".join(f" {c:>9}" for c in cells) + f" {result.idle_cpu_seconds:>9.2f}"
    )


#: The demo's HTTP and Redis triggers only: what it costs when nothing is scheduled, so that its
#: idle CPU is the tree's own (the demo's timer runs its guest every 2 s).
UNTIMED = ("--trigger-type", "http", "--trigger-type", "redis")


def print_summary(base: Footprint, spin: Footprint, untimed: Footprint, idle: float) -> None:
    supervisor_rss = spin.rows[0].rss
    base_alone, spin_alone = base.tree_pss_alone, spin.tree_pss_alone
    rows = [
        ("processes", f"{len(base.rows)}", f"{len(spin.rows)}", "", ""),
        (
            "tree PSS (MiB)",
            f"{base.tree_pss:.1f}",
            f"{spin.tree_pss:.1f}",
            f"{spin.tree_pss / base.tree_pss:.2f}x",
            f"<= {TARGETS['tree_pss_mb']:.0f}",
        ),
        (
            "tree PSS alone (MiB)",
            _mib(base_alone),
            _mib(spin_alone),
            f"{spin_alone / base_alone:.2f}x" if spin_alone and base_alone else "",
            f"<= {TARGETS['tree_pss_mb']:.0f}",
        ),
        (
            "supervisor RSS (MiB)",
            "-",
            f"{supervisor_rss:.1f}",
            "",
            f"<= {TARGETS['supervisor_rss_mb']:.0f}",
        ),
        (
            f"idle CPU over {idle:g} s (s)",
            f"{base.idle_cpu_seconds:.2f}",
            f"{spin.idle_cpu_seconds:.2f}",
            "",
            "0",
        ),
        (
            "  without the timer (s)",
            f"{base.idle_cpu_seconds:.2f}",
            f"{untimed.idle_cpu_seconds:.2f}",
            "",
            "0",
        ),
        (
            "warm request (ms)",
            f"{base.warm_ms:.2f}",
            f"{spin.warm_ms:.2f}",
            f"{spin.warm_ms / base.warm_ms:.2f}x",
            "",
        ),
        (
            "first after idle / warm",
            f"{base.first_ms / base.warm_ms:.2f}",
            f"{spin.first_ms / spin.warm_ms:.2f}",
            "",
            f"<= {TARGETS['first_over_warm']:g}",
        ),
    ]
    print(f"\n{'':<26} {'baseline':>10} {'spin up':>10} {'ratio':>8} {'target':>8}")
    for label, b, s, ratio, target in rows:
        print(f"{label:<26} {b:>10} {s:>10} {ratio:>8} {target:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spin-bench-footprint-") as tmp:
        work = Path(tmp)
        redis = RedisServer(work)
        redis.start()
        try:
            base = baseline(redis.port, work, args)
            spin = demo(redis.port, work, args)
            untimed = demo(redis.port, work, args, *UNTIMED, name="untimed")
        finally:
            redis.stop()
    print_subject("baseline (plain hypercorn + plain redis-py subscriber)", base)
    print_subject("spin up (the demo: HTTP, Redis, timer)", spin)
    print_subject("spin up (the demo without its timer: HTTP, Redis)", untimed)
    print_summary(base, spin, untimed, args.idle_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
