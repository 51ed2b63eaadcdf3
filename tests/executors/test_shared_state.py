"""Host interfaces under real executors: spin-sdk 3.4.1 apps using key-value, SQLite and
variables served by `spin trigger http` (seeded with --key-value / --sqlite, the store read back
after a restart), and HTTP requests and Redis messages from two executors incrementing one key
of the app's `.spin/sqlite_key_value.db` at once without losing an update."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import redis

from tests.executors.http.test_server import Executor, build_app
from tests.support import RedisServer, RunningExecutor, wait_for

STATE_APP = """\
spin_manifest_version = 2

[application]
name = "state-app"

[variables]
who = { default = "world" }

[[trigger.http]]
route = "/kv"
component = "kv"

[[trigger.http]]
route = "/sqlite/..."
component = "sqlite"

[[trigger.http]]
route = "/variables"
component = "variables"

[component.kv]
source = "kv.wasm"
key_value_stores = ["default"]

[component.sqlite]
source = "sqlite.wasm"
sqlite_databases = ["default"]

[component.variables]
source = "variables.wasm"
[component.variables.variables]
greeting = "hello {{ who }}"
"""

COUNTER_APP = """\
spin_manifest_version = 2

[application]
name = "counter-app"

[application.trigger.redis]
address = "{address}"

[[trigger.http]]
route = "/..."
component = "web"

[[trigger.redis]]
channel = "hits"
component = "worker"

[component.web]
source = "kv_atomic.wasm"
key_value_stores = ["default"]

[component.worker]
source = "redis_counter.wasm"
key_value_stores = ["default"]
"""

SEED_SQL = "CREATE TABLE visits (path TEXT NOT NULL); INSERT INTO visits VALUES ('/seed')"
DEADLINE = 60.0


def sdk_app(
    app: Path, manifest: str, apps: dict[str, str], sdk_guest: Callable[[str], Path]
) -> Path:
    """The SDK apps copied beside the manifest; the lock's path."""
    app.mkdir(parents=True, exist_ok=True)
    for name, file in apps.items():
        shutil.copyfile(sdk_guest(name), app / file)
    return build_app(app, manifest, [])


def wait_ready(executor: RunningExecutor) -> None:
    """READY=1, allowing for worker processes loading 37 MB guests on a loaded machine."""
    assert "READY=1" in executor.notification(timeout=DEADLINE).splitlines()


def counter(state: Path, key: str) -> bytes | None:
    with sqlite3.connect(state / "sqlite_key_value.db") as db:
        row = db.execute(
            "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?", (key,)
        ).fetchone()
    return None if row is None else bytes(row[0])


def test_sdk_apps_keep_state_through_the_http_executor_and_a_restart(
    tmp_path: Path, sdk_guest: Callable[[str], Path], shared_cache_state_dir: Path
) -> None:
    apps = {"kv": "kv.wasm", "sqlite": "sqlite.wasm", "variables": "variables.wasm"}
    lock = sdk_app(tmp_path / "app", STATE_APP, apps, sdk_guest)
    state = shared_cache_state_dir
    options = ["--state-dir", str(state), "--wasm-timeout", "30"]
    seeded = Executor(
        lock,
        *options,
        "--key-value",
        "counter=41",
        "--sqlite",
        SEED_SQL,
        env={"SPIN_VARIABLE_WHO": "the executor"},
    )
    try:
        wait_ready(seeded)
        assert httpx.get(f"{seeded.url}/kv", timeout=30).text == "42"
        assert httpx.get(f"{seeded.url}/sqlite/a", timeout=30).text == "2"
        assert httpx.get(f"{seeded.url}/variables", timeout=30).text == "hello the executor"
    finally:
        assert seeded.stop() == 0, seeded.stderr()
    assert counter(state, "counter") == b"42"

    restarted = Executor(lock, *options)
    try:
        wait_ready(restarted)
        assert httpx.get(f"{restarted.url}/kv", timeout=30).text == "43"
        assert httpx.get(f"{restarted.url}/sqlite/b", timeout=30).text == "3"
        assert httpx.get(f"{restarted.url}/variables", timeout=30).text == "hello world"
    finally:
        assert restarted.stop() == 0, restarted.stderr()


def test_http_requests_and_redis_messages_lose_no_increment(
    tmp_path: Path,
    sdk_guest: Callable[[str], Path],
    shared_cache_state_dir: Path,
    redis_server: RedisServer,
) -> None:
    apps = {"kv_atomic": "kv_atomic.wasm", "redis_counter": "redis_counter.wasm"}
    manifest = COUNTER_APP.replace("{address}", redis_server.url)
    lock = sdk_app(tmp_path / "app", manifest, apps, sdk_guest)
    state = shared_cache_state_dir
    common = ["--state-dir", str(state), "--wasm-timeout", "30", "--wasm-workers", "2"]
    web = Executor(lock, *common)
    worker = RunningExecutor(
        [sys.executable, "-m", "spin", "trigger", "redis", *common],
        lock.parent,
        env={"SPIN_LOCKED_URL": lock.as_uri()},
        name="redis-executor",
    )
    requests, messages = 80, 80
    answers: list[str] = []
    try:
        wait_ready(web)
        wait_ready(worker)

        def send_requests(count: int) -> None:
            with httpx.Client(base_url=web.url, timeout=30) as client:
                answers.extend(client.get("/incr").text for _ in range(count))

        def publish() -> None:
            client = redis.Redis.from_url(redis_server.url)
            for _ in range(messages):
                client.publish("hits", b"1")
            client.close()

        threads = [threading.Thread(target=send_requests, args=(requests // 4,)) for _ in range(4)]
        threads.append(threading.Thread(target=publish))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DEADLINE)
        total = requests + messages
        wait_for(
            lambda: counter(state, "hits") == total.to_bytes(8, "little"),
            timeout=DEADLINE,
            what=f"hits == {total} (now {counter(state, 'hits')!r})",
        )
        # Each request saw a value of its own: the increments were atomic, not get-then-set.
        assert len(answers) == requests and len(set(answers)) == requests
        log = state / "logs" / "worker_stdout.txt"  # the Redis guest writes errors there
        assert not log.exists() or "key-value error" not in log.read_text()
    finally:
        assert web.stop() == 0, web.stderr()
        assert worker.stop() == 0, worker.stderr()
