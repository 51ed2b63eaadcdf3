"""Helpers shared by the tests: free ports, polling with deadlines, Wasm from WAT, a real Redis,
an executor process that says when it is ready.

Nothing here sleeps for a fixed time to wait for something: `wait_for` polls a condition until
a deadline and fails with a message that says what was awaited.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.01, what: str = ""
) -> T:
    """Poll `condition` until it returns something truthy; return that, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def run_spin(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`python -m spin ARGS` run to its end, output captured as text (`env`: the whole
    environment; None: this process's)."""
    return subprocess.run(
        [sys.executable, "-m", "spin", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wat_to_wasm(wat_path: Path, out_dir: Path) -> Path:
    """Compile a committed `.wat` source (core module or component) to a `.wasm` file."""
    import wasmtime

    out = out_dir / (wat_path.stem + ".wasm")
    out.write_bytes(wasmtime.wat2wasm(wat_path.read_text()))
    return out


class RedisServer:
    """A real `redis-server` on a free port, which a test can stop and start again."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH (.ci/run installs it)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def publish_once_subscribed(self, channel: str, message: str, timeout: float = 30) -> None:
        """Publish `message` as soon as a subscriber (the Redis executor, once it has
        subscribed) receives it."""
        import redis

        publisher = redis.Redis(port=self.port)
        try:
            wait_for(
                lambda: publisher.publish(channel, message) > 0,
                timeout=timeout,
                what=f"a subscriber of {channel!r}",
            )
        finally:
            publisher.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class MqttSubscriber:
    """A Paho client subscribed (at QoS 2, so the broker delivers at the publisher's QoS) to
    `topic` on the broker at `port`; `messages` gets (payload, qos) as they arrive."""

    def __init__(self, port: int, topic: str, *, auth: tuple[str, str] | None = None) -> None:
        import queue

        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: queue.Queue[tuple[bytes, int]] = queue.Queue()
        subscribed: queue.Queue[bool] = queue.Queue()
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        if auth:
            self.client.username_pw_set(*auth)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, 2)
        self.client.on_subscribe = lambda *_: subscribed.put(True)
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.payload, m.qos))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.get(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


#: How long an executor under test may take to start, answer or stop.
EXECUTOR_DEADLINE = 30.0


class RunningExecutor:
    """An executor program started as `spin up` starts one: a child process with the app in its
    environment, its stdout and stderr in files under `workdir`, and its sd_notify messages
    (READY=1, STOPPING=1) on a NOTIFY_SOCKET of its own.

    The socket lives in a short temporary directory: a unix socket path has at most 107 bytes,
    which a test's tmp_path can exceed.
    """

    def __init__(
        self,
        command: Sequence[str],
        workdir: Path,
        *,
        env: Mapping[str, str] | None = None,
        name: str = "executor",
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self._socket_dir = Path(tempfile.mkdtemp(prefix="spin-notify-"))
        # removed even by a test that only waits for the process, never for `wait_exit`
        weakref.finalize(self, shutil.rmtree, self._socket_dir, ignore_errors=True)
        notify_path = self._socket_dir / "notify"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(notify_path))
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                list(command),
                env={**os.environ, "NOTIFY_SOCKET": str(notify_path), **(env or {})},
                stdout=stdout,
                stderr=stderr,
                cwd=workdir,
                preexec_fn=preexec_fn,  # e.g. a lower open-file limit
            )

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def notification(self, timeout: float = EXECUTOR_DEADLINE) -> str:
        """The next sd_notify message; fails at the deadline or when the process exits first."""
        deadline = time.monotonic() + timeout
        self.notify.settimeout(0.1)
        exited = False
        while True:
            try:
                return self.notify.recv(4096).decode()
            except TimeoutError:
                if exited or time.monotonic() > deadline:
                    break
                exited = self.process.poll() is not None  # then one more look at the socket
        if not exited:
            # A module fixture that fails here never reaches its stop: without this kill the
            # executor and its worker outlive the test run (seen: five left for an hour).
            self.process.kill()
            self.process.wait()
        raise AssertionError(
            f"no sd_notify message within {timeout}s; exit code {self.process.poll()}, "
            f"stderr:\n{self.stderr()}"
        )

    def wait_ready(self) -> str:
        """Block until the executor says READY=1; that message."""
        message = self.notification()
        assert "READY=1" in message.splitlines(), message
        return message

    def wait_exit(self, timeout: float = EXECUTOR_DEADLINE) -> int:
        """The exit code, once the process has ended (its notify socket is then closed)."""
        code = self.process.wait(timeout=timeout)
        self._close_socket()
        return code

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` (if still running) and return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.wait_exit()

    def close(self) -> None:
        """Kill the process if it still runs, and release the socket (for fixtures' clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
        self.wait_exit()

    def _close_socket(self) -> None:
        self.notify.close()
        shutil.rmtree(self._socket_dir, ignore_errors=True)


TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
WAT_DIR = TESTS_DIR / "wat"


def locked_component(
    wasm: Path,
    component_id: str,
    *,
    env: dict[str, str] | None = None,
    files: list[tuple[Path, str]] | None = None,
    config: dict[str, str] | None = None,
    allowed_outbound_hosts: list[str] | None = None,
    key_value_stores: list[str] | None = None,
    sqlite_databases: list[str] | None = None,
):  # -> spin.locked.LockedComponent
    """A locked component whose source is the Wasm file `wasm`."""
    from spin.locked import LockedComponent

    return LockedComponent(
        {
            "id": component_id,
            "source": {"content_type": "application/wasm", "source": wasm.as_uri()},
            "env": env or {},
            "files": [
                {"source": host.resolve().as_uri(), "path": guest} for host, guest in files or []
            ],
            "config": config or {},
            "metadata": {
                "allowed_outbound_hosts": allowed_outbound_hosts or [],
                "key_value_stores": key_value_stores or [],
                "databases": sqlite_databases or [],
            },
        }
    )


def wat_component(
    wat_name: str, out_dir: Path, *, component_id: str | None = None, **settings: Any
):  # -> spin.locked.LockedComponent
    """A locked component whose source is `tests/wat/<wat_name>.wat`, compiled into `out_dir`.

    `settings` are `locked_component`'s: env, files, config, allowed_outbound_hosts.
    """
    wasm = wat_to_wasm(WAT_DIR / f"{wat_name}.wat", out_dir)
    return locked_component(wasm, component_id or wat_name.replace("_", "-"), **settings)


def sdk_component(
    app: str, *, component_id: str | None = None, **settings: Any
):  # -> spin.locked.LockedComponent
    """A locked component built from the spin-sdk app `tests/guests/sdk_python/<app>`.

    The build is cached by input hash (tests/guests/build.py); `settings` are
    `locked_component`'s: env, files, config, allowed_outbound_hosts.
    """
    from tests.guests.build import build_sdk_guest

    return locked_component(build_sdk_guest(app), component_id or f"sdk-{app}", **settings)


def sdk_wasm_in(app: str, app_dir: Path, state_dir: Path) -> Path:
    """The spin-sdk app `tests/guests/sdk_python/<app>` built (from the build cache) into
    `app_dir/<app>.wasm`, with its compiled artefact already in `state_dir/cache`, where an
    executor's runtime looks for it: each guest worker then loads it in milliseconds instead
    of compiling 37 MB of Wasm (7 s of CPU each)."""
    import wasmtime.component

    from spin.runtime import RuntimeConfig
    from spin.runtime.engine import WasmEngine
    from tests.guests.build import build_sdk_guest, cache_root

    wasm = app_dir / f"{app}.wasm"
    shutil.copyfile(build_sdk_guest(app), wasm)
    engine = WasmEngine(RuntimeConfig(cache_dir=cache_root() / "compiled"))
    try:
        data = wasm.read_bytes()
        engine.compile(data, wasmtime.component.Component)
        compiled = engine.cache_path(data)
        assert compiled is not None
        (state_dir / "cache").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(compiled, state_dir / "cache" / compiled.name)
    finally:
        engine.close()
    return wasm


def logs_for(tmp_path: Path, component_id: str):  # -> spin.trigger.ComponentLogs
    """Log files of a component under `tmp_path/logs`, not echoed to the console."""
    from spin.runtime.logs import ComponentLogs

    return ComponentLogs(tmp_path / "logs", component_id, echo=False)
