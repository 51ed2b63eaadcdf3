"""A real `mosquitto` on a free port (Debian's package; .ci/run installs it where missing),
with or without a password file and persistence. The root project's tests use it too (outbound
MQTT), through `brokers()`."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

USER, PASSWORD = "spin", "s3cret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    """A broker that a test can stop and start again on the same port (and, with
    `persistence`, the same sessions and queued messages)."""

    def __init__(self, directory: Path, *, password: bool, persistence: bool) -> None:
        self.port = free_port()
        self.dir = directory
        binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
        if binary is None:
            raise RuntimeError("mosquitto is not installed (.ci/run installs it)")
        self.binary = binary
        # Run as root, mosquitto drops to a user that cannot read a private temporary directory.
        lines = [f"listener {self.port} 127.0.0.1", f"user {getpass.getuser()}"]
        lines.append(f"persistence {str(persistence).lower()}")
        lines.append(f"persistence_location {directory}/")
        if password:
            subprocess.run(
                ["mosquitto_passwd", "-b", "-c", str(directory / "passwd"), USER, PASSWORD],
                check=True,
            )
            lines += ["allow_anonymous false", f"password_file {directory / 'passwd'}"]
        else:
            lines.append("allow_anonymous true")
        (directory / "mosquitto.conf").write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with (self.dir / "mosquitto.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.dir / "mosquitto.conf")], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log = self.dir / "mosquitto.log"
                    raise RuntimeError(f"mosquitto did not start: {log}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # mosquitto saves its sessions on SIGTERM
            self.process.wait(timeout=10)


@contextmanager
def brokers(new_dir: Callable[[str], Path]) -> Iterator[Callable[..., Mosquitto]]:
    """`start(password=False, persistence=False)` starts a broker in `new_dir("mosquitto")`;
    every one started is stopped on exit (a pytest fixture's body)."""
    started: list[Mosquitto] = []

    def start(*, password: bool = False, persistence: bool = False) -> Mosquitto:
        broker = Mosquitto(new_dir("mosquitto"), password=password, persistence=persistence)
        started.append(broker)
        return broker

    try:
        yield start
    finally:
        for broker in started:
            broker.stop()
