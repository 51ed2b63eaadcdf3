"""What every kind of guest is built from: its locked component and the runtime's shared parts."""

from __future__ import annotations

from dataclasses import dataclass

from spin.locked import LockedComponent
from spin.runtime.config_values import ComponentConfig
from spin.runtime.engine import WasmEngine
from spin.runtime.files import MountedFiles
from spin.runtime.limits import CallLimits
from spin.trigger.component_logs import ComponentLogs


@dataclass(frozen=True)
class GuestSetup:
    component: LockedComponent
    engine: WasmEngine
    limits: CallLimits
    logs: ComponentLogs
    config: ComponentConfig  # the component's variables (spin-config / variables host calls)
    files: MountedFiles

    @property
    def env(self) -> list[tuple[str, str]]:
        """The component's environment, in a stable order."""
        return sorted(self.component.env.items())
