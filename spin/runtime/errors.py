"""The one exception a guest call raises: the guest failed, the runtime did not."""

from __future__ import annotations


class GuestError(Exception):
    """A failed guest call: a trap, the deadline, the memory limit, a missing export, an error
    result. Callers turn it into a 500 or a log line and carry on serving."""

    def __init__(self, component_id: str, reason: str) -> None:
        super().__init__(f"component {component_id!r}: {reason}")
        self.component_id = component_id
        self.reason = reason
