"""Per-call limits: the deadline (epoch interruption) and the memory cap (store limiter).

Every guest call gets a fresh `Store`; `CallLimits.apply` arms it, and `CallLimits.explain`
turns whatever the call raised into the reason a `GuestError` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import wasmtime

from spin.runtime.config import MEBIBYTE, RuntimeConfig
from spin.runtime.engine import WasmEngine

#: An epoch deadline far enough away to mean "none" (wasmtime wants some deadline).
NO_DEADLINE = 2**62


@dataclass(frozen=True)
class CallLimits:
    timeout: float | None
    memory_limit: int | None
    deadline_ticks: int

    @classmethod
    def from_config(cls, config: RuntimeConfig) -> CallLimits:
        timeout = config.instance_timeout
        ticks = WasmEngine.ticks_for(timeout) if timeout is not None else NO_DEADLINE
        return cls(timeout=timeout, memory_limit=config.memory_limit, deadline_ticks=ticks)

    def apply(self, store: wasmtime.Store) -> None:
        # The deadline counts from now: set it last, right before instantiating.
        if self.memory_limit is not None:
            store.set_limits(memory_size=self.memory_limit)
        store.set_epoch_deadline(self.deadline_ticks)

    def explain(self, err: BaseException, memory_bytes: int | None = None) -> str:
        """A one-line reason for a failed call; names the limit when one was hit."""
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        text = str(err)
        if "interrupt" in text and self.timeout is not None:
            return f"exceeded the {self.timeout:g} s deadline"
        if self.memory_limit is not None and (
            ("memory" in text and ("limit" in text or "exceed" in text or "grow" in text))
            or (memory_bytes is not None and memory_bytes + 64 * 1024 > self.memory_limit)
        ):
            return (
                f"reached the memory limit of {self.memory_limit / MEBIBYTE:g} MiB ({message})"
            )
        return message
