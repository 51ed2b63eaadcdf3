"""The one exception a guest call raises (the guest failed, the runtime did not), and how a host
function of any guest family traps its guest with a reason that reaches that exception."""

from __future__ import annotations

import threading

UNAVAILABLE = "not available in this runtime"


class GuestError(Exception):
    """A failed guest call: a trap, the deadline, the memory limit, a missing export, an error
    result. Callers turn it into a 500 or a log line and carry on serving."""

    def __init__(self, component_id: str, reason: str) -> None:
        super().__init__(f"component {component_id!r}: {reason}")
        self.component_id = component_id
        self.reason = reason


#: Failures of host functions on this thread, for the GuestError of the call in progress (the
#: binding carries a host function's exception through a process-wide global).
host_failures = threading.local()


def take_host_failure() -> str | None:
    failure = getattr(host_failures, "reason", None)
    host_failures.reason = None
    return failure


class HostTrap(Exception):
    """Raised inside a host function to trap the guest with a clear reason."""
