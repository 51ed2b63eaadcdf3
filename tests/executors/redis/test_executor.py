"""`spin trigger redis` end to end: a real executor process, a real redis-server, real Wasm.

Each test writes a locked app, starts `python -m spin trigger redis` with SPIN_LOCKED_URL and a
NOTIFY_SOCKET it listens on, publishes with redis-py and checks what the guests wrote to their
stdout log files (the log guests print each payload).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from spin.locked import lock_app, write_lock
from spin.manifest import load_manifest
from tests.support import (
    REPO_ROOT,
    WAT_DIR,
    RedisServer,
    RunningExecutor,
    free_port,
    sdk_wasm_in,
    wait_for,
    wat_to_wasm,
)

WAT = WAT_DIR
REPO = REPO_ROOT
DEADLINE = 30

#: The guests these tests use: component id -> WAT source.
GUESTS = {
    "spin1-logger": WAT / "spin1_redis_log.wat",
    "component-logger": WAT / "component_redis_log.wat",
    "trapper": WAT / "redis_trap.wat",
    "erring": WAT / "redis_error.wat",
    "slow": WAT / "redis_slow.wat",
    "http-hello": WAT / "spin1_http_hello.wat",
    "sdk-redis": "redis",  # tests/guests/sdk_python/redis, built with spin-sdk 3.4.1
}


@dataclass
class RedisApp:
    """A version 2 `spin.toml` with Redis triggers under `root`, locked as `spin up` locks it."""

    root: Path
    address: str | None
    triggers: list[dict[str, str]] = field(default_factory=list)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def trigger(self, channel: str, component: str, **config: str) -> RedisApp:
        self.triggers.append({"channel": channel, "component": component, **config})
        return self

    def manifest(self) -> str:
        lines = ["spin_manifest_version = 2", "[application]", 'name = "redis-app"']
        if self.address is not None:
            lines += ["[application.trigger.redis]", f"address = {toml(self.address)}"]
        lines.append("[variables]")
        lines += [f"{name} = {toml(spec)}" for name, spec in self.variables.items()]
        for i, config in enumerate(self.triggers):
            lines += ["[[trigger.redis]]", f'id = "trigger-{i}"']
            lines += [f"{key} = {toml(value)}" for key, value in config.items()]
        for component_id in dict.fromkeys(t["component"] for t in self.triggers):
            source = GUESTS[component_id]
            if isinstance(source, str):
                wasm = sdk_wasm_in(source, self.root, self.root / "state")
            else:
                wasm = wat_to_wasm(source, self.root)
            lines += [f"[component.{component_id}]", f"source = {toml(wasm.name)}"]
        return "\n".join(lines) + "\n"

    def write(self) -> Path:
        manifest = self.root / "spin.toml"
        manifest.write_text(self.manifest())
        return write_lock(lock_app(load_manifest(manifest), assets_dir=None), self.root / "work")


class RedisAppV1(RedisApp):
    """The same app as a version 1 manifest (one trigger per component)."""

    def manifest(self) -> str:
        lines = [
            'spin_version = "1"',
            'name = "redis-app-v1"',
            f'trigger = {{ type = "redis", address = {toml(self.address or "")} }}',
        ]
        for config in self.triggers:
            wasm = wat_to_wasm(GUESTS[config["component"]], self.root)
            lines += ["[[component]]", f"id = {toml(config['component'])}"]
            lines += [f"source = {toml(wasm.name)}", "[component.trigger]"]
            lines.append(f"channel = {toml(config['channel'])}")
        return "\n".join(lines) + "\n"


def toml(value: str | dict[str, Any]) -> str:
    """A TOML string or inline table (JSON string escapes are valid TOML)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


class Executor(RunningExecutor):
    """A running `spin trigger redis` process for a Redis app, its state under the app's root."""

    def __init__(self, app: RedisApp, *args: str, env: dict[str, str] | None = None) -> None:
        self.state_dir = app.root / "state"
        lock = app.write()
        command = [sys.executable, "-m", "spin", "trigger", "redis"]
        super().__init__(
            [*command, "--state-dir", str(self.state_dir), *args],
            app.root,
            env={
                "PYTHONPATH": str(REPO),
                "SPIN_LOCKED_URL": lock.as_uri(),
                "SPIN_SHUTDOWN_GRACE": "10",
                **(env or {}),
            },
        )

    def guest_stdout(self, component_id: str) -> str:
        path = self.state_dir / "logs" / f"{component_id}_stdout.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_output(self, component_id: str, text: str) -> None:
        wait_for(
            lambda: text in self.guest_stdout(component_id),
            timeout=DEADLINE,
            what=f"{text!r} in the stdout log of {component_id}",
        )

    def wait_for_stderr(self, text: str) -> None:
        wait_for(lambda: text in self.stderr(), timeout=DEADLINE, what=f"{text!r} on stderr")


@pytest.fixture
def run_executor(tmp_path: Path) -> Iterator[Any]:
    started: list[Executor] = []

    def start(app: RedisApp, *args: str, env: dict[str, str] | None = None) -> Executor:
        executor = Executor(app, *args, env=env)
        started.append(executor)
        return executor

    yield start
    for executor in started:
        executor.close()


@pytest.fixture
def publisher(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.mark.parametrize("component", ["spin1-logger", "component-logger"])
def test_guest_logs_each_published_payload(
    tmp_path: Path,
    redis_server: RedisServer,
    publisher: redis.Redis,
    run_executor: Any,
    component: str,
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("messages", component)
    executor = run_executor(app)
    executor.wait_ready()
    assert publisher.publish("messages", b"hello from redis") == 1
    assert publisher.publish("messages", b"second message") == 1
    executor.wait_for_output(component, "hello from redis")
    executor.wait_for_output(component, "second message")


def test_a_spin_sdk_redis_app_importing_wasi_http_runs(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    """spin-sdk's Redis world imports wasi:http, wasi:config and wasi:keyvalue besides
    inbound-redis: it is linked against the Python WASI host and runs."""
    app = RedisApp(tmp_path, redis_server.url).trigger("messages", "sdk-redis")
    executor = run_executor(app, "--wasm-workers", "1")
    executor.wait_ready()
    assert publisher.publish("messages", b"from the sdk test") == 1
    executor.wait_for_output("sdk-redis", "redis message: from the sdk test")


def test_version_1_manifest(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = RedisAppV1(tmp_path, redis_server.url).trigger("v1-channel", "spin1-logger")
    executor = run_executor(app)
    executor.wait_ready()
    publisher.publish("v1-channel", b"from a v1 app")
    executor.wait_for_output("spin1-logger", "from a v1 app")


def test_ready_only_after_subscribing_and_active_channels_printed(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = (
        RedisApp(tmp_path, redis_server.url)
        .trigger("orders", "spin1-logger")
        .trigger("orders", "component-logger")
        .trigger("audit", "spin1-logger")
    )
    executor = run_executor(app)
    executor.wait_ready()
    # READY=1 came after Redis confirmed the subscriptions: a publish now reaches us
    assert publisher.pubsub_numsub("orders", "audit") == [(b"orders", 1), (b"audit", 1)]
    assert executor.stdout().splitlines()[:3] == [
        f"Active Channels on {redis_server.url}:",
        "\torders: [spin1-logger, component-logger]",
        "\taudit: [spin1-logger]",
    ]


def test_fan_out_to_two_components_and_two_channels(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = (
        RedisApp(tmp_path, redis_server.url)
        .trigger("orders", "spin1-logger")
        .trigger("orders", "component-logger")
        .trigger("audit", "component-logger")
    )
    executor = run_executor(app)
    executor.wait_ready()
    publisher.publish("orders", b"order-1")
    publisher.publish("audit", b"audit-1")
    executor.wait_for_output("spin1-logger", "order-1")
    executor.wait_for_output("component-logger", "order-1")
    executor.wait_for_output("component-logger", "audit-1")
    assert "audit-1" not in executor.guest_stdout("spin1-logger")


def test_template_address_and_per_trigger_override(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = RedisApp(tmp_path, "redis://127.0.0.1:1")  # app default: a closed port, overridden
    app.variables = {"redis_port": {"required": True}, "channel": {"default": "templated"}}
    app.trigger("{{ channel }}", "spin1-logger", address="redis://127.0.0.1:{{ redis_port }}")
    executor = run_executor(app, env={"SPIN_VARIABLE_REDIS_PORT": str(redis_server.port)})
    executor.wait_ready()
    publisher.publish("templated", b"via template")
    executor.wait_for_output("spin1-logger", "via template")


@pytest.mark.parametrize(
    ("component", "reason"), [("trapper", "unreachable"), ("erring", "returned error")]
)
def test_failing_guest_is_logged_and_the_executor_keeps_serving(
    tmp_path: Path,
    redis_server: RedisServer,
    publisher: redis.Redis,
    run_executor: Any,
    component: str,
    reason: str,
) -> None:
    app = (
        RedisApp(tmp_path, redis_server.url)
        .trigger("jobs", component)
        .trigger("jobs", "spin1-logger")
    )
    executor = run_executor(app)
    executor.wait_ready()
    publisher.publish("jobs", b"job-1")
    executor.wait_for_output("spin1-logger", "job-1")
    executor.wait_for_stderr(
        f"component {component!r} failed to handle a message on channel 'jobs'"
    )
    assert reason in executor.stderr()
    publisher.publish("jobs", b"job-2")
    executor.wait_for_output("spin1-logger", "job-2")
    assert executor.process.poll() is None


def test_survives_a_redis_restart(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("messages", "spin1-logger")
    executor = run_executor(app)
    executor.wait_ready()
    publisher.publish("messages", b"before restart")
    executor.wait_for_output("spin1-logger", "before restart")

    redis_server.stop()
    executor.wait_for_stderr("lost the connection to Redis at")
    redis_server.start()
    executor.wait_for_stderr("reconnected to Redis at")
    # reconnected means subscribed again (the subscriber waits for Redis to confirm)
    assert publisher.publish("messages", b"after restart") == 1
    executor.wait_for_output("spin1-logger", "after restart")
    assert executor.process.poll() is None
    assert "Traceback" not in executor.stderr()


def test_gives_up_after_max_reconnect_time(
    tmp_path: Path, redis_server: RedisServer, run_executor: Any
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("messages", "spin1-logger")
    executor = run_executor(app, "--max-reconnect-time", "1")
    executor.wait_ready()
    redis_server.stop()
    assert executor.wait_exit() == 75
    assert "giving up" in executor.stderr()
    assert "Traceback" not in executor.stderr()


def test_sigterm_unsubscribes_and_exits_zero(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("messages", "component-logger")
    executor = run_executor(app)
    executor.wait_ready()
    executor.process.send_signal(signal.SIGTERM)
    assert executor.wait_exit() == 0
    assert publisher.pubsub_numsub("messages") == [(b"messages", 0)]


def test_sigterm_lets_the_handler_in_flight_finish(
    tmp_path: Path, redis_server: RedisServer, publisher: redis.Redis, run_executor: Any
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("work", "slow")
    executor = run_executor(app)
    executor.wait_ready()
    # Redis has sent the message before it answers the publish; the guest computes for ~1 s
    assert publisher.publish("work", b"finished after SIGTERM") == 1
    executor.process.send_signal(signal.SIGTERM)
    assert executor.wait_exit() == 0
    assert "finished after SIGTERM" in executor.guest_stdout("slow")
    assert "grace period" not in executor.stderr()


def test_a_component_without_a_redis_export_is_refused_at_start(
    tmp_path: Path, redis_server: RedisServer, run_executor: Any
) -> None:
    app = RedisApp(tmp_path, redis_server.url).trigger("messages", "http-hello")
    executor = run_executor(app)
    assert executor.wait_exit() == 1
    assert "Component 'http-hello' cannot handle Redis messages" in executor.stderr()
    assert "handle-http-request" in executor.stderr()  # the exports it has
    assert "Traceback" not in executor.stderr()


def test_missing_address_is_a_clear_error(tmp_path: Path, run_executor: Any) -> None:
    executor = run_executor(RedisApp(tmp_path, None).trigger("messages", "trapper"))
    assert executor.wait_exit() == 1
    assert "redis trigger 'trigger-0' has no Redis address" in executor.stderr()
    assert "Traceback" not in executor.stderr()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:6379", "is not valid: the scheme must be one of"),
        (f"redis://127.0.0.1:{free_port()}", "Cannot subscribe to Redis at redis://127.0.0.1:"),
    ],
)
def test_bad_or_refused_address_is_a_clear_error(
    tmp_path: Path, run_executor: Any, address: str, message: str
) -> None:
    executor = run_executor(RedisApp(tmp_path, address).trigger("messages", "trapper"))
    assert executor.wait_exit() == 1
    assert message in executor.stderr()
    assert "Traceback" not in executor.stderr()


def test_launch_metadata_lists_own_and_runtime_flags_without_importing_redis() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json\n"
            "from spin.trigger import launch_metadata, executor_command\n"
            "from spin.executors.redis import RedisTrigger\n"
            "print(json.dumps(launch_metadata(executor_command(RedisTrigger))))\n"
            "print('redis' in sys.modules)",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    metadata, imported_redis = result.stdout.splitlines()
    assert '"--max-reconnect-time"' in metadata
    assert '"--wasm-timeout"' in metadata
    assert imported_redis == "False"
