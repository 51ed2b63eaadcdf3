"""The server side of sd_notify: one datagram socket per executor, and who is expected to use it.

Each executor gets its own NOTIFY_SOCKET in the supervisor's private directory, so a message
needs no sender credentials to be attributed. An executor is `ready` when it sends READY=1.
An executor known to send it (`ExecutorLaunch.notifies`: an internal one, or one whose launch
metadata declares `sd_notify`, as every executor built on `spin.trigger` does) is waited for as
long as it runs. Of any other we cannot know, so one that has not sent anything within
`SupervisorSettings.notify_grace` seconds of starting is taken to not support notification and
counted as ready (the log says so).
"""

from __future__ import annotations

import socket
from pathlib import Path

import anyio


class NotifySocket:
    """A bound unix datagram socket that an executor sends sd_notify states to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._sock.bind(str(path))
        self._sock.setblocking(False)

    async def receive(self) -> dict[str, str]:
        """The next message as a dict of its `KEY=VALUE` lines."""
        while True:
            await anyio.wait_readable(self._sock)
            try:
                return _states(self._sock.recv(4096))
            except BlockingIOError:
                continue

    def pending(self) -> list[dict[str, str]]:
        """The messages already waiting, without waiting: an executor that sent READY=1 and
        exited at once may be reaped before its message was read."""
        messages = []
        while True:
            try:
                messages.append(_states(self._sock.recv(4096)))
            except OSError:
                return messages

    def close(self) -> None:
        self._sock.close()
        self.path.unlink(missing_ok=True)


def _states(data: bytes) -> dict[str, str]:
    states = {}
    for line in data.decode(errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            states[key] = value
    return states
