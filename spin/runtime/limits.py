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
        """A one-line reason for a failed call; names the deadline when it was hit, and the
        guest's memory use against the limit when there is one."""
        message = _summary(err)
        text = str(err)
        if "interrupt" in text and self.timeout is not None:
            return f"exceeded the {self.timeout:g} s deadline"
        if self.memory_limit is not None and memory_bytes is not None:
            # wasmtime does not say whether a growth was refused: show how close the guest was.
            return (
                f"{message} (memory: {memory_bytes / MEBIBYTE:.1f} MiB of the "
                f"{self.memory_limit / MEBIBYTE:g} MiB limit)"
            )
        return message


def _summary(err: BaseException) -> str:
    """The useful line of a wasmtime error: its cause, without the backtrace."""
    text = str(err).strip()
    if "Caused by:" in text:
        causes = text.split("Caused by:", 1)[1].strip().splitlines()
        return "; ".join(line.strip() for line in causes if line.strip())
    return text.splitlines()[0] if text else type(err).__name__
