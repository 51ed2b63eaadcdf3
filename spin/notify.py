"""The client side of systemd's sd_notify protocol: datagrams like `READY=1` to NOTIFY_SOCKET.

Executors use it to tell `spin up` (or systemd) that they are ready or stopping; `spin up` uses
it to tell systemd the same about the whole app. An unset NOTIFY_SOCKET means nobody listens.
"""

from __future__ import annotations

import os
import socket

NOTIFY_SOCKET = "NOTIFY_SOCKET"


def notify(*states: str) -> bool:
    """Send `states` (e.g. "READY=1") as one datagram; False when there is no listener."""
    address = os.environ.get(NOTIFY_SOCKET)
    if not address:
        return False
    if address.startswith("@"):  # Linux abstract namespace
        address = "\0" + address[1:]
    message = "\n".join(states).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError:
        return False
    return True
