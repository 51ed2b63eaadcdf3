"""Core Wasm modules: Spin 1.x SDK modules (old canonical ABI) and WASI preview 1 commands.

The module is compiled and linked once (`InstancePre`); each call instantiates it in a new
`Store` with its own WASI context, limits and captured output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import wasmtime

from spin.errors import SpinError
from spin.runtime.errors import GuestError, HostTrap, take_host_failure
from spin.runtime.guest import COMMAND_ENTRY, Guest, core_module_kind
from spin.runtime.guest_setup import GuestSetup
from spin.runtime.http_types import HttpRequest, HttpResponse
from spin.runtime.spin1.abi import (
    AbiError,
    GuestMemory,
    I32Function,
    export_named,
    lift_redis_result,
    lift_response,
    lower_request,
    signature_problems,
)
from spin.runtime.spin1.host import define_spin1_imports

if TYPE_CHECKING:
    from spin.runtime.host_interfaces import SpinHost

T = TypeVar("T")

#: What a failed call can raise from inside wasmtime or the ABI layer.
CALL_FAILURES = (wasmtime.Trap, wasmtime.WasmtimeError, AbiError, HostTrap)

Action = Callable[[wasmtime.Store, wasmtime.Instance], T]


class CoreModuleGuest(Guest):
    def __init__(self, setup: GuestSetup, module: wasmtime.Module) -> None:
        component, engine = setup.component, setup.engine
        self.id = component.id
        self.exports = frozenset(export.name for export in module.exports)
        kind = core_module_kind(self.exports)
        if kind is None:
            raise SpinError(
                f"Component {self.id!r} ({component.source_path}) is a core Wasm module that "
                "exports neither a Spin handler (`handle-http-request` or `handle-redis-message` "
                f"with `canonical_abi_realloc`, or `handle-timer-request`) nor `{COMMAND_ENTRY}`. "
                "Build it with a Spin SDK, or as a WASI command for WAGI."
            )
        problems = signature_problems(module)
        if problems:
            raise SpinError(
                f"Component {self.id!r} ({component.source_path}) does not follow Spin's 1.x "
                f"ABI: {'; '.join(problems)}. Rebuild it with a Spin SDK."
            )
        self.kind = kind
        self._setup = setup
        linker = wasmtime.Linker(engine.engine)
        linker.define_wasi()
        self._host: SpinHost | None = define_spin1_imports(linker, module, setup)
        try:
            self._pre = linker.instantiate_pre(module)
        except wasmtime.WasmtimeError as err:
            raise SpinError(
                f"Component {self.id!r} ({component.source_path}) cannot be linked: {err}"
            ) from None

    # -- the calls -----------------------------------------------------------------------

    def handle_http(self, request: HttpRequest) -> HttpResponse:
        self._require("handle-http-request", "spin1")

        def call(store: wasmtime.Store, instance: wasmtime.Instance) -> HttpResponse:
            memory = GuestMemory(store, lambda name: export_named(store, instance, name))
            handler = self._i32_export(store, instance, "handle-http-request")
            result = handler(*lower_request(memory, request))
            return lift_response(memory, result)

        return self._run(call)[0]

    def handle_redis(self, payload: bytes) -> None:
        self._require("handle-redis-message", "spin1")

        def call(store: wasmtime.Store, instance: wasmtime.Instance) -> int | None:
            memory = GuestMemory(store, lambda name: export_named(store, instance, name))
            handler = self._i32_export(store, instance, "handle-redis-message")
            return lift_redis_result(memory, handler(*memory.put_bytes(payload)))

        error = self._run(call)[0]
        if error is not None:
            raise GuestError(self.id, f"handle-redis-message returned error {error}")

    def handle_timer(self) -> None:
        self._require("handle-timer-request", None)

        def call(store: wasmtime.Store, instance: wasmtime.Instance) -> None:
            self._i32_export(store, instance, "handle-timer-request")()

        self._run(call)

    def run_command(
        self, argv: list[str], env: dict[str, str], stdin: bytes, stdout_limit: int | None = None
    ) -> bytes:
        self._require(COMMAND_ENTRY, None)

        def call(store: wasmtime.Store, instance: wasmtime.Instance) -> None:
            start = export_named(store, instance, COMMAND_ENTRY)
            if not isinstance(start, wasmtime.Func):
                raise AbiError(f"`{COMMAND_ENTRY}` is not a function")
            try:
                start(store)
            except wasmtime.ExitTrap as exit_trap:
                if exit_trap.code != 0:
                    raise GuestError(self.id, f"exited with status {exit_trap.code}") from None

        _, stdout = self._run(
            call,
            argv=argv,
            env=[*self._setup.env, *env.items()],
            stdin=stdin,
            keep_stdout=True,
            stdout_limit=stdout_limit,
        )
        return stdout

    # -- plumbing -------------------------------------------------------------------------

    def _require(self, export: str, kind: str | None) -> None:
        if export not in self.exports or (kind is not None and self.kind != kind):
            raise GuestError(self.id, f"the module does not export `{export}`")

    def _i32_export(
        self, store: wasmtime.Store, instance: wasmtime.Instance, name: str
    ) -> I32Function:
        func = export_named(store, instance, name)
        if not isinstance(func, wasmtime.Func):
            raise AbiError(f"`{name}` is not a function")
        return I32Function(store, func, name)

    def _run(
        self,
        action: Action[T],
        *,
        argv: list[str] | None = None,
        env: list[tuple[str, str]] | None = None,
        stdin: bytes | None = None,
        keep_stdout: bool = False,
        stdout_limit: int | None = None,
    ) -> tuple[T, bytes]:
        """Run `action` on a fresh instance; returns its result and (if kept) stdout."""
        store: wasmtime.Store | None = None
        instance: wasmtime.Instance | None = None
        with self._setup.call_output(keep_stdout=keep_stdout, stdout_limit=stdout_limit) as out:
            try:
                store = self._setup.new_store(out, argv=argv, env=env, stdin=stdin)
                take_host_failure()
                instance = self._pre.instantiate(store)
                result = action(store, instance)
                return result, out.kept_stdout() if keep_stdout else b""
            except CALL_FAILURES as err:
                memory = _memory_size(store, instance)
                reason = take_host_failure() or self._setup.limits.explain(err, memory)
                raise GuestError(self.id, reason) from None

    def close(self) -> None:
        if self._host is not None:
            self._host.close()
        self._setup.close()


def _memory_size(store: wasmtime.Store | None, instance: wasmtime.Instance | None) -> int | None:
    if store is None or instance is None:
        return None
    memory = export_named(store, instance, "memory")
    return memory.data_len(store) if isinstance(memory, wasmtime.Memory) else None
