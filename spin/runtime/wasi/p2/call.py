"""One guest call on the Python WASI 0.2 host: a fresh store with the call's limits, and the
call's `WasiCall` current while it runs (its output captured for the component's logs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import wasmtime

from spin.runtime.guest_setup import GuestSetup
from spin.runtime.wasi.p2.host import WasiCall, running


@contextmanager
def wasi_call(
    setup: GuestSetup, extensions: dict[str, Any] | None = None
) -> Iterator[tuple[wasmtime.Store, WasiCall]]:
    """`extensions`: what other host parts keep per call (see `WasiCall`)."""
    with setup.call_output() as output:
        store = wasmtime.Store(setup.engine.engine)
        call = WasiCall(
            env=setup.env,
            stdout_fd=output.stdout.fd,
            stderr_fd=output.stderr.fd,
            files=setup.files,
            timeout=setup.limits.timeout,
            extensions=dict(extensions or {}),
        )
        # Last: the deadline counts from here. The watch drains the output into the logs at
        # every tick and bounds it (--wasm-output-limit).
        setup.limits.apply(store, watch=output.check)
        with running(call):
            yield store, call
