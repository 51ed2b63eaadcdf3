"""One guest run for one event (a tick, a message), as every event-driven executor makes it:
check at start that the component exports the handler, then time each run and log how it went.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any

from spin.errors import SpinError
from spin.runtime.errors import GuestError


async def run_guest(call: Awaitable[Any], *, label: str, done: str, log: logging.Logger) -> bool:
    """Await one guest call (`pool.guests[id].handle_export(...)` and the like). Logs
    `<label> <done> in <ms> ms` at info, or `<label> failed after <ms> ms: <reason>` at error
    when the guest trapped, returned an error or ran out of time; returns whether it succeeded.
    """
    started = time.perf_counter()
    try:
        await call
    except GuestError as err:
        elapsed = (time.perf_counter() - started) * 1000
        log.error("%s failed after %.1f ms: %s", label, elapsed, err.reason)
        return False
    log.info("%s %s in %.1f ms", label, done, (time.perf_counter() - started) * 1000)
    return True


def require_export(
    guest: Any, export: str, *, world: str, signature: str, sdk: str, interface: str = ""
) -> None:
    """Refuse at start a component that does not export its trigger's handler `export`: at the
    top level, or in an exported interface named `interface` (`<package>/<interface>`)."""
    found = export in guest.exports or (
        bool(interface)
        and any(name.split("@")[0].endswith(f"/{interface}") for name in guest.exports)
    )
    if guest.kind != "component" or not found:
        raise SpinError(
            f"Component {guest.id!r} does not export `{export}`. It must implement the world "
            f"`{world}` (`{export}: {signature}`): build it with the {sdk} SDK, or with "
            "bindings generated from that world's WIT."
        )
