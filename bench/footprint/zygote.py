"""Would forking guest workers from a zygote pay? PSS of N workers that each load the app
themselves (fresh interpreters, as the pool starts them) against one process that loaded the
app once (a zygote) plus N children forked from it.

The zygote loads the components as a worker does, returns its freed heap, freezes its objects
out of the garbage collector's reach (`gc.freeze`, so that collections do not copy the shared
pages) and forks; every worker answers five calls before its PSS is read. Each row is measured
in a fresh interpreter, with nothing else of the app alive:

    .venv/bin/python bench/footprint/zygote.py [--guest http_spin1_hello] [--children 1 2 4]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from spin.heap import give_back_free_memory  # noqa: E402
from spin.runtime.config import RuntimeConfig  # noqa: E402
from spin.runtime.pool.worker import call, load_guests  # noqa: E402
from tests.support import wat_component  # noqa: E402

MIB = 1024 * 1024
CALLS = 5


def pss(pid: int) -> float:
    return psutil.Process(pid).memory_full_info().pss / MIB


def setup_in(work: Path, guest: str) -> tuple[Any, ...]:
    component = wat_component(guest, work)
    (work / "logs").mkdir(exist_ok=True)
    config = RuntimeConfig(cache_dir=work / "cache")
    return (config, [(component.raw, work / "logs", False)], {})


def serve_and_wait(guests: list[Any], ready_fd: int) -> None:
    """Answer CALLS calls, say so on `ready_fd`, then wait to be measured and killed."""
    for _ in range(CALLS):
        call(guests[0], "handle_http", ("GET", "/", [], [], b""))
    give_back_free_memory()
    os.write(ready_fd, b"x")
    while True:
        signal.pause()


def lone_workers(count: int, work: Path, guest: str) -> list[float]:
    """PSS of `count` workers, each a fresh interpreter that loads the app itself."""
    command = [sys.executable, __file__, "--guest", guest, "--worker", str(work)]
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE) for _ in range(count)]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.read(1) == b"x"
        return [pss(worker.pid) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def zygote_and_children(count: int, setup: tuple[Any, ...]) -> list[float]:
    """PSS of [the zygote, its children...]: the app loaded once, then `count` forks."""
    guests = load_guests(setup)[1]
    give_back_free_memory()
    gc.freeze()
    children, ready = [], []
    for _ in range(count):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_end)
                serve_and_wait(guests, write_end)
            finally:
                os._exit(1)
        os.close(write_end)
        children.append(pid)
        ready.append(read_end)
    for read_end in ready:
        os.read(read_end, 1)
    sizes = [pss(os.getpid())] + [pss(pid) for pid in children]
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return sizes


def measure(guest: str, count: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory(prefix="spin-bench-zygote-") as tmp:
        work = Path(tmp)
        setup = setup_in(work, guest)
        return lone_workers(count, work, guest), zygote_and_children(count, setup)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guest", default="http_spin1_hello", help="a tests/wat name")
    parser.add_argument("--children", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one row, as JSON
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # one lone worker
    args = parser.parse_args()
    if args.worker is not None:
        serve_and_wait(load_guests(setup_in(args.worker, args.guest))[1], sys.stdout.fileno())
    if args.one is not None:
        print(json.dumps(measure(args.guest, args.one)))
        return 0
    print(f"{'workers':>8} {'lone workers (MiB PSS)':>24} {'zygote + forked (MiB PSS)':>27}")
    for count in args.children:
        command = [sys.executable, __file__, "--guest", args.guest, "--one", str(count)]
        lone, shared = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
        print(
            f"{count:>8} {sum(lone):>24.1f} "
            f"{sum(shared):>14.1f} ({shared[0]:.1f} + {count} x {shared[1]:.1f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
