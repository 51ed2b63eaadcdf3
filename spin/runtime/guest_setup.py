"""What every kind of guest is built from (its locked component and the runtime's shared parts),
and the per-call plumbing both kinds share: a fresh store and the call's captured output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import wasmtime

from spin.locked import LockedComponent
from spin.runtime.config_values import ComponentConfig
from spin.runtime.engine import WasmEngine
from spin.runtime.limits import CallLimits
from spin.runtime.logs import ComponentLogs
from spin.runtime.outbound.client import OutboundHttp
from spin.runtime.services import HostServices
from spin.runtime.wasi.files import MountedFiles
from spin.runtime.wasi.p1 import CapturedOutput, wasi_config


@dataclass(frozen=True)
class GuestSetup:
    component: LockedComponent
    engine: WasmEngine
    limits: CallLimits
    logs: ComponentLogs
    config: ComponentConfig  # the component's variables (spin-config / variables host calls)
    files: MountedFiles
    outbound: OutboundHttp  # allowed_outbound_hosts and the HTTP client of outbound requests
    services: HostServices  # key-value stores and SQLite databases, shared by the process
    #: The component's environment, in a stable order (computed once, used on every call).
    env: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", sorted(self.component.env.items()))

    @contextmanager
    def call_output(
        self, *, log_stdout: bool = True
    ) -> Iterator[tuple[CapturedOutput, CapturedOutput]]:
        """One call's stdout and stderr, with the deadline clock running; afterwards they go to
        the component's logs (stdout not when `log_stdout` is False: commands return it)."""
        stdout = CapturedOutput(f"{self.component.id}-stdout")
        stderr = CapturedOutput(f"{self.component.id}-stderr")
        try:
            with self.engine.calls_running():
                yield stdout, stderr
        finally:
            if log_stdout:
                self.logs.write_stdout(stdout.read())
            self.logs.write_stderr(stderr.read())
            stdout.close()
            stderr.close()

    def new_store(
        self,
        stdout: CapturedOutput,
        stderr: CapturedOutput,
        *,
        argv: list[str] | None = None,
        env: list[tuple[str, str]] | None = None,
        stdin: bytes | None = None,
    ) -> wasmtime.Store:
        """A fresh store for one call: WASI (the component's env unless `env` is given), the
        mounted files, and the limits, armed last so the deadline counts from here."""
        store = wasmtime.Store(self.engine.engine)
        store.set_wasi(
            wasi_config(
                argv=argv or [],
                env=self.env if env is None else env,
                preopens=self.files.preopens,
                stdout=stdout,
                stderr=stderr,
                stdin=stdin,
            )
        )
        self.limits.apply(store)
        return store

    def close(self) -> None:
        """Release what the guest holds on the host: staged files, outbound connections."""
        self.files.close()
        self.outbound.close()
