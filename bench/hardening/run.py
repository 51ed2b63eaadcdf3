"""Benchmark of the load and availability hardening (issue 10), before and after, in one run.

Each measurement runs twice: against a baseline revision of the code (`--baseline-rev`, by
default the last commit before the hardening, extracted with `git archive` and put first on
PYTHONPATH, so its executor and worker processes run that code) and against this working tree.
Real executor processes, real sockets, a private redis-server on loopback, guests from
tests/wat:

- body: peak RSS (VmHWM) growth of the executor and of its one worker for one POST of
  `--body-mib` MiB to a hello-world route;
- slow route: /hello requests/s and p99 for `--duration` s while two calls to a looping route
  run, with 2 guest workers;
- abandoned calls: time to answer /hello after 10 requests to a looping route each given up by
  its client after 0.3 s (2 workers, a 2 s deadline);
- redis burst: the fraction of a burst of `--messages` 1 KB messages that the guest handled
  (published back to back, pipelined), and whether Redis dropped the subscriber.

Run with `make bench-hardening` (options: see --help). Every wait has a deadline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))

import measures  # noqa: E402

#: The last commit on main before the hardening of issue 10 (its first commit is 55dbf93).
DEFAULT_BASELINE = "c943f5a"


def extract(rev: str, into: Path) -> Path:
    """The `spin` package of `rev`, ready to be put first on PYTHONPATH."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "spin"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE)
    parser.add_argument("--body-mib", type=int, default=200)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of /hello load")
    parser.add_argument("--messages", type=int, default=60_000)
    parser.add_argument(
        "--only", choices=["body", "slow", "abandoned", "redis"], action="append", default=None
    )
    args = parser.parse_args()
    chosen = args.only or ["body", "slow", "abandoned", "redis"]
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-hardening-") as tmp:
        work = Path(tmp)
        baseline = extract(args.baseline_rev, work / "baseline-code")
        subjects = {
            f"before ({args.baseline_rev})": {"PYTHONPATH": str(baseline)},
            "after (this tree)": {"PYTHONPATH": str(REPO)},
        }
        for name in chosen:
            results = []
            for label, env in subjects.items():
                after = label.startswith("after")
                print(f"measuring {name}: {label} ...", file=sys.stderr, flush=True)
                results.append(
                    measures.run(name, work / f"{name}-{len(results)}", env, after, args)
                )
            rows.append((measures.TITLES[name], results[0], results[1]))
    print_table(rows)


def print_table(rows: list[tuple[str, str, str]]) -> None:
    print(f"\nmachine: {os.cpu_count()} CPUs, shared; Python {sys.version.split()[0]}")
    width = max(len(title) for title, _, _ in rows)
    columns = max(len(before) for _, before, _ in rows)
    print(f"{'measure':<{width}}  {'before':<{columns}}  after")
    for title, before, after in rows:
        print(f"{title:<{width}}  {before:<{columns}}  {after}")


if __name__ == "__main__":
    main()
