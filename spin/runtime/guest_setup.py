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
from spin.runtime.errors import GuestError
from spin.runtime.limits import CallLimits
from spin.runtime.logs import ComponentLogs
from spin.runtime.outbound.client import OutboundHttp
from spin.runtime.output import CallOutput
from spin.runtime.services import HostServices
from spin.runtime.wasi.files import MountedFiles
from spin.runtime.wasi.p1 import wasi_config


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
        self, *, keep_stdout: bool = False, stdout_limit: int | None = None
    ) -> Iterator[CallOutput]:
        """One call's stdout and stderr, with the deadline clock running. They stream to the
        component's logs during the call (stdout not when `keep_stdout`: commands return it,
        up to `stdout_limit` bytes), within the output limit; a call that wrote past a limit
        raises GuestError when it ends, if nothing else went wrong first."""
        output = CallOutput(
            self.component.id,
            self.logs,
            limit=self.limits.output_limit,
            keep_stdout=keep_stdout,
            stdout_limit=stdout_limit,
        )
        try:
            with self.engine.calls_running():
                yield output
            exceeded = output.check()
            if exceeded is not None:
                raise GuestError(self.component.id, exceeded)
        finally:
            output.check()
            output.close()

    def new_store(
        self,
        output: CallOutput,
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
                stdout=output.stdout,
                stderr=output.stderr,
                stdin=stdin,
            )
        )
        self.limits.apply(store, watch=output.check)
        return store

    def close(self) -> None:
        """Release what the guest holds on the host: staged files, outbound connections."""
        self.files.close()
        self.outbound.close()
