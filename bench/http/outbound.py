"""Outbound HTTP from guests served by `spin trigger http`: allowed and denied, with latency.

One app (the one tests/executors/http/test_outbound.py serves), served by one executor (2 guest
workers: a guest waiting on its own app needs a second one to serve that request):
- `/proxy/...`: a Spin 1.x module (tests/wat/spin1_http_outbound.wat) that makes its request,
  minus `/proxy`, as a relative outbound request to the app itself (`allowed_outbound_hosts =
  ["http://self"]`); `/denied/...` is the same module without permission;
- `/hello`: a Spin 1.x hello world, the target of those requests;
- `/sdk`: spin-sdk 3.4.1's outbound app (tests/guests/sdk_python/outbound, `http.send` to the
  `x-target-url` header) allowed to reach the upstream (plain hypercorn on loopback) and the
  app itself; left out, with the reason, when the SDK toolchain is not installed.
Printed: each request's status and body, and the median latency of sequential requests,
beside the same request made directly (upstream, or the app's `/hello`).

Run with `make bench-http` (after the throughput benchmark) or `python bench/http/outbound.py
[--requests N]`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(HERE)]

from run import start, stop  # noqa: E402

from spin.locked import lock_app, write_lock  # noqa: E402
from spin.manifest import load_manifest  # noqa: E402
from tests.executors.http.test_outbound import outbound_manifest  # noqa: E402
from tests.guests.build import GuestBuildError, build_sdk_guest, cache_root  # noqa: E402
from tests.support import free_port, wat_to_wasm  # noqa: E402

WAT = REPO / "tests" / "wat"


def build_app(app_dir: Path, upstream: str) -> tuple[Path, str | None]:
    """The locked app; the second value says why the SDK app is left out (None: it is in)."""
    for guest in ("spin1_http_outbound", "spin1_http_hello"):
        wat_to_wasm(WAT / f"{guest}.wat", app_dir)
    sdk_allowed: list[str] | None = None
    skipped = None
    try:
        shutil.copyfile(build_sdk_guest("outbound"), app_dir / "sdk-outbound.wasm")
        sdk_allowed = [upstream, "http://self"]
    except GuestBuildError as err:
        skipped = str(err).splitlines()[0]
    (app_dir / "spin.toml").write_text(outbound_manifest(sdk_allowed))
    locked = lock_app(load_manifest(app_dir / "spin.toml"), assets_dir=None)
    return write_lock(locked, app_dir), skipped


def share_compiled_cache(state: Path) -> None:
    """The executor's artefact cache is the tests' (tests/guests/build.py): the 37 MB SDK app
    is compiled once (~7 s of CPU per worker), not by every run."""
    compiled = cache_root() / "compiled"
    compiled.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True)
    (state / "cache").symlink_to(compiled)


def median_ms(client: httpx.Client, url: str, headers: dict[str, str], count: int) -> float:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        client.get(url, headers=headers)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per row")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-outbound-") as tmp:
        up_port = free_port()
        upstream_url = f"http://127.0.0.1:{up_port}"
        upstream = start(
            [sys.executable, str(HERE / "plain_hypercorn.py"), f"127.0.0.1:{up_port}"],
            upstream_url + "/",
        )
        lock, sdk_skipped = build_app(Path(tmp), upstream_url)
        state = Path(tmp) / "state"
        share_compiled_cache(state)
        port = free_port()
        app = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "spin", "trigger", "http", "--wasm-workers", "2"]
        executor = start(
            [*command, "--listen", f"127.0.0.1:{port}"],
            f"{app}/.well-known/spin/health",
            env={"SPIN_LOCKED_URL": lock.as_uri(), "SPIN_STATE_DIR": str(state)},
        )
        rows = [
            ("direct: app /hello", f"{app}/hello", {}),
            ("spin1 -> self /hello", f"{app}/proxy/hello", {}),
            ("spin1, no permission", f"{app}/denied/hello", {}),
        ]
        if sdk_skipped is None:
            rows += [
                ("direct: upstream", upstream_url + "/", {}),
                ("sdk -> upstream", f"{app}/sdk", {"x-target-url": upstream_url + "/"}),
                ("sdk -> self.alt", f"{app}/sdk", {"x-target-url": "http://self.alt/hello"}),
                ("sdk -> not allowed", f"{app}/sdk", {"x-target-url": "http://example.com/"}),
            ]
        try:
            print(f"\nOutbound HTTP, {args.requests} sequential requests per row (median)")
            print(f"{'request':<24}{'status':>7}  {'p50 ms':>8}  body")
            with httpx.Client(timeout=60) as client:
                for name, url, headers in rows:
                    answer = client.get(url, headers=headers)
                    p50 = median_ms(client, url, headers, args.requests)
                    body = answer.text.strip()[:50]
                    print(f"{name:<24}{answer.status_code:>7}  {p50:>8.2f}  {body!r}")
            if sdk_skipped is not None:
                print(f"spin-sdk rows left out: {sdk_skipped}")
        finally:
            stop(executor)
            stop(upstream)


if __name__ == "__main__":
    main()
