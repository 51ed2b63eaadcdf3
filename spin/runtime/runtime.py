"""The runtime executors hold: one engine, and `load` to turn a locked component into a Guest."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import wasmtime

from spin.errors import SpinError
from spin.locked import LockedComponent
from spin.runtime.config import RuntimeConfig
from spin.runtime.config_values import ComponentConfig
from spin.runtime.engine import WasmEngine
from spin.runtime.guest import Guest, wasm_layer
from spin.runtime.guest_setup import GuestSetup
from spin.runtime.limits import CallLimits
from spin.runtime.logs import ComponentLogs
from spin.runtime.outbound.client import OutboundHttp
from spin.runtime.services import HostServices
from spin.runtime.services.variables import Variables
from spin.runtime.wasi.files import MountedFiles

if TYPE_CHECKING:
    import wasmtime.component


class Runtime:
    """Compiles (through the cache) and links guests; shared by all of an executor's threads."""

    def __init__(self, config: RuntimeConfig, compile_in_child: bool = False) -> None:
        """`compile_in_child`: see `WasmEngine` (guest workers set it)."""
        self.config = config
        self.engine = WasmEngine(config, compile_in_child)
        self.limits = CallLimits.from_config(config)
        self.services = HostServices.create(config.state_dir, config.services)
        self._guests: list[Guest] = []
        self._lock = threading.Lock()

    def load(
        self,
        component: LockedComponent,
        logs: ComponentLogs,
        variables: dict[str, dict[str, Any]] | None = None,
    ) -> Guest:
        """Compile, detect the kind and link one component; a clear SpinError if it can't be."""
        path = component.source_path
        wasm = _read_wasm(component.id, path)
        declared = Variables(variables or {}, self.config.services.variables_providers)
        config = ComponentConfig(component.id, component.config, declared)
        try:
            layer = wasm_layer(wasm)
            files = MountedFiles(
                component.id,
                component.files,
                writable=self.config.allow_transient_write,
                work_dir=self.config.transient_dir,
            )
            outbound = self._outbound(component, config)
            setup = GuestSetup(
                component, self.engine, self.limits, logs, config, files, outbound, self.services
            )
            if layer == "component":
                guest: Guest = _component_guest(setup, self.engine.compile_component(wasm))
            else:
                guest = _module_guest(setup, self.engine.compile(wasm, wasmtime.Module))
        except (ValueError, wasmtime.WasmtimeError) as err:
            raise SpinError(
                f"Component {component.id!r}: {path} is not a valid Wasm module or component: "
                f"{str(err).strip().splitlines()[0] if str(err).strip() else err}. "
                "Rebuild it, or fix the component's `source` in the manifest."
            ) from None
        with self._lock:
            self._guests.append(guest)
        return guest

    def _outbound(self, component: LockedComponent, config: ComponentConfig) -> OutboundHttp:
        what = f"component {component.id!r} allowed_outbound_hosts"
        return OutboundHttp(
            component.id,
            component.metadata.get("allowed_outbound_hosts", []),
            render=lambda template: config.render(template, what),
            self_origin=self.config.self_origin,
            timeout=self.config.instance_timeout,
        )

    def close(self) -> None:
        with self._lock:
            guests, self._guests = self._guests, []
        for guest in guests:
            guest.close()
        self.engine.close()


def _module_guest(setup: GuestSetup, compiled: wasmtime.Module) -> Guest:
    """A Spin 1.x or WASI command guest. Each guest kind's host is imported by the first guest
    of that kind, so that a worker holds only the hosts of its own guests' kinds."""
    from spin.runtime.spin1.module_guest import CoreModuleGuest

    return CoreModuleGuest(setup, compiled)


def _component_guest(setup: GuestSetup, compiled: wasmtime.component.Component) -> Guest:
    """A wasi:http guest for components exporting `wasi:http/incoming-handler`, else one of
    Spin's own component kinds (inbound-http, inbound-redis, timer)."""
    from spin.runtime.http.incoming import WasiHttpGuest, incoming_handler_export

    if incoming_handler_export(compiled.type.exports(setup.engine.engine)) is not None:
        return WasiHttpGuest(setup, compiled)
    from spin.runtime.component.guest import ComponentGuest

    return ComponentGuest(setup, compiled)


def _read_wasm(component_id: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise SpinError(
            f"Component {component_id!r}: cannot read its Wasm file {path}: {err.strerror}. "
            "Build the component, or fix its `source` in the manifest."
        ) from None
