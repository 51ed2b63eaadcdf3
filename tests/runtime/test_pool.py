"""The guest worker pool: real worker processes running real Wasm (built from tests/wat).

Calls of every kind go through the pool; concurrency, a worker killed mid-call, the deadline,
cancellation, and the workers' end (pool closed, executor SIGKILLed) are observed on the real
processes.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import psutil
import pytest

from spin.errors import SpinError
from spin.runtime.config import RuntimeConfig
from spin.runtime.errors import GuestError
from spin.runtime.http_types import HttpRequest
from spin.runtime.logs import ComponentLogs
from spin.runtime.pool import pool as pool_module
from spin.runtime.pool import worker as worker_module
from spin.runtime.pool.pool import GuestLoad, PooledGuest, WorkerPool, open_pool
from spin.runtime.pool.turns import QueueTimeout
from tests.executors.http.test_server import HELLO_MANIFEST, Executor, build_app
from tests.support import wait_for, wat_component

pytestmark = pytest.mark.anyio

DEADLINE = 30


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def load(tmp_path: Path, wat: str, **options: object) -> GuestLoad:
    component = wat_component(wat, tmp_path, **options)  # type: ignore[arg-type]
    return GuestLoad(component, ComponentLogs(tmp_path / "logs", component.id, echo=False))


@asynccontextmanager
async def pool_of(
    loads: list[GuestLoad],
    workers: int = 2,
    timeout: float = 10.0,
    tmp: Path | None = None,
    **sizing: float | None,
) -> AsyncIterator[WorkerPool]:
    config = RuntimeConfig(instance_timeout=timeout, cache_dir=tmp / "cache" if tmp else None)
    with anyio.fail_after(DEADLINE * 2):
        async with open_pool(config, loads, workers=workers, **sizing) as pool:  # type: ignore[arg-type]
            yield pool


async def until(condition: Callable[[], object], what: str) -> None:
    """Poll (without blocking the event loop) until `condition` holds."""
    with anyio.fail_after(DEADLINE):
        while not condition():
            await anyio.sleep(0.01)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def waiting_guest(tmp_path: Path) -> tuple[GuestLoad, Path]:
    """A WAGI guest that answers "done" once `go` exists in the directory it mounts."""
    gate = tmp_path / "gate"
    gate.mkdir()
    return load(tmp_path, "http_wagi_wait", files=[(gate, "/")]), gate / "go"


async def test_every_operation_goes_through_the_pool(tmp_path: Path) -> None:
    loads = [
        load(tmp_path, "spin1_http_echo"),
        load(tmp_path, "component_http_echo"),
        load(tmp_path, "wagi_hello"),
        load(tmp_path, "spin1_redis_log"),
        load(tmp_path, "timer_core"),
    ]
    async with pool_of(loads, tmp=tmp_path) as pool:
        assert {g.id: g.kind for g in pool.guests.values()} == {
            "spin1-http-echo": "spin1",
            "component-http-echo": "component",
            "wagi-hello": "command",
            "spin1-redis-log": "spin1",
            "timer-core": "spin1",
        }
        assert "handle-http-request" in pool.guests["spin1-http-echo"].exports
        body = bytes(range(256)) * 4096  # 1 MiB each way
        for echo in ("spin1-http-echo", "component-http-echo"):
            response = await pool.guests[echo].handle_http(
                HttpRequest("PUT", "/a?b", [("x-h", "v")], [("p", "1")], body)
            )
            assert response.status == 200
            assert ("spin-echo-uri", "/a?b") in response.headers
            assert response.body == body

        stdout = await pool.guests["wagi-hello"].run_command(["/x", "arg"], {"K": "V"}, b"in")
        assert b"hello from wagi" in stdout and b"K=V" in stdout and b"stdin:\nin" in stdout

        redis = pool.guests["spin1-redis-log"]
        await redis.handle_redis(b"first")
        with pytest.raises(GuestError, match="error") as failed:
            await redis.handle_redis(b"fail")
        assert failed.value.component_id == "spin1-redis-log"
        await pool.guests["timer-core"].handle_timer()

        with pytest.raises(GuestError, match="cannot run a WASI preview 1 command"):
            await pool.guests["component-http-echo"].run_command([], {}, b"")
    # Output reached the component logs from the worker processes.
    assert loads[3].logs.stdout_path.read_bytes() == b"first\nfail\n"
    assert loads[4].logs.stdout_path.read_bytes() == b"tick\n"
    assert b"wagi stderr line" in loads[2].logs.stderr_path.read_bytes()


async def test_calls_run_concurrently_in_different_workers_and_queue_beyond(
    tmp_path: Path,
) -> None:
    wait, go = waiting_guest(tmp_path)
    async with pool_of([wait], workers=2) as pool:
        assert len(pool.pids) == 1  # the second starts when a call waits for it
        guest = pool.guests[wait.component.id]
        answers: list[bytes] = []

        async def call() -> None:
            answers.append(await guest.run_command(["/"], {}, b""))

        async with anyio.create_task_group() as calls:
            for _ in range(3):
                calls.start_soon(call)
            await until(lambda: len(pool.busy_pids) == 2, "both workers busy")
            assert len(pool.pids) == 2
            assert answers == []  # the third call waits for a worker
            go.touch()
        assert answers == [b"Content-Type: text/plain\n\ndone\n"] * 3


async def test_a_worker_killed_mid_call_is_a_guest_error_and_is_replaced(tmp_path: Path) -> None:
    wait, go = waiting_guest(tmp_path)
    hello = load(tmp_path, "spin1_http_hello")
    async with pool_of([wait, hello], workers=1) as pool:
        (first_pid,) = pool.pids
        failure: list[GuestError] = []

        async def doomed() -> None:
            with pytest.raises(GuestError) as raised:
                await pool.guests[wait.component.id].run_command(["/"], {}, b"")
            failure.append(raised.value)

        async with anyio.create_task_group() as calls:
            calls.start_soon(doomed)
            await until(lambda: pool.busy_pids == [first_pid], "the call in flight")
            os.kill(first_pid, signal.SIGKILL)
        assert failure[0].component_id == wait.component.id
        assert "SIGKILL" in failure[0].reason
        # The next call waits for the replacement worker and succeeds.
        response = await pool.guests[hello.component.id].handle_http(
            HttpRequest("GET", "/", [], [], b"")
        )
        assert response.status == 200
        assert pool.pids != [first_pid] and len(pool.pids) == 1
        assert gone(first_pid)
        go.touch()


async def test_an_idle_worker_that_dies_is_replaced_before_the_next_call(tmp_path: Path) -> None:
    hello = load(tmp_path, "spin1_http_hello")
    async with pool_of([hello], workers=1) as pool:
        (pid,) = pool.pids
        os.kill(pid, signal.SIGKILL)
        await until(lambda: pool.pids and pool.pids != [pid], "a replacement worker")
        response = await pool.guests[hello.component.id].handle_http(
            HttpRequest("GET", "/", [], [], b"")
        )
        assert response.status == 200


async def test_the_deadline_still_ends_a_call_and_the_worker_serves_on(tmp_path: Path) -> None:
    loop, hello = load(tmp_path, "loop_forever"), load(tmp_path, "spin1_http_hello")
    async with pool_of([loop, hello], workers=1, timeout=0.5) as pool:
        (pid,) = pool.pids
        with pytest.raises(GuestError, match="deadline"):
            await pool.guests[loop.component.id].handle_http(HttpRequest("GET", "/", [], [], b""))
        response = await pool.guests[hello.component.id].handle_http(
            HttpRequest("GET", "/", [], [], b"")
        )
        assert response.body == b"Hello, Fermyon!\n"
        assert pool.pids == [pid]  # the same worker: a guest failure is not a worker failure


async def test_a_worker_stuck_outside_the_wasm_is_killed_past_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool_module, "HANG_MARGIN", 0.2)
    wait, go = waiting_guest(tmp_path)
    async with pool_of([wait], workers=1, timeout=2.0) as pool:
        (pid,) = pool.pids
        failure: list[GuestError] = []

        async def stuck() -> None:
            with pytest.raises(GuestError) as raised:
                await pool.guests[wait.component.id].run_command(["/"], {}, b"")
            failure.append(raised.value)

        async with anyio.create_task_group() as calls:
            calls.start_soon(stuck)
            await until(lambda: pool.busy_pids == [pid], "the call in flight")
            os.kill(pid, signal.SIGSTOP)  # no deadline inside the Wasm can end this
        assert "no answer within 2.2 s" in failure[0].reason
        assert gone(pid)
        go.touch()
        assert await pool.guests[wait.component.id].run_command(["/"], {}, b"")


HELLO = HttpRequest("GET", "/", [], [], b"")


async def looping(pool: WorkerPool, guest_id: str) -> None:
    """A call that runs until its deadline (30 s here) unless it is cancelled."""
    with pytest.raises(GuestError):
        await pool.guests[guest_id].handle_http(HELLO)


async def test_a_cancelled_call_is_interrupted_and_its_worker_serves_on(tmp_path: Path) -> None:
    # Before: the worker was killed and replaced, or, earlier, the call ran to its deadline.
    loop, hello = load(tmp_path, "loop_forever"), load(tmp_path, "spin1_http_hello")
    async with pool_of([loop, hello], workers=1, timeout=30) as pool:
        (pid,) = pool.pids
        for _ in range(3):
            with anyio.move_on_after(0.3) as scope:
                await pool.guests[loop.component.id].handle_http(HELLO)
            assert scope.cancelled_caught
        with anyio.fail_after(5):  # not the 30 s deadline
            response = await pool.guests[hello.component.id].handle_http(HELLO)
        assert response.status == 200
        assert pool.pids == [pid]  # interrupted, not replaced


async def test_a_cancelled_call_that_waits_for_a_worker_never_runs(tmp_path: Path) -> None:
    wait, go = waiting_guest(tmp_path)
    printer = load(tmp_path, "spin1_redis_log")
    async with pool_of([wait, printer], workers=1, max_workers=1) as pool:
        async with anyio.create_task_group() as calls:
            calls.start_soon(pool.guests[wait.component.id].run_command, ["/"], {}, b"")
            await until(lambda: pool.busy_pids == pool.pids, "the first call running")
            with anyio.move_on_after(0.2):
                await pool.guests[printer.component.id].handle_redis(b"abandoned")
            go.touch()
        await pool.guests[printer.component.id].handle_redis(b"after")
    assert printer.logs.stdout_path.read_bytes() == b"after\n"


async def test_a_slow_component_cannot_hold_every_worker(tmp_path: Path) -> None:
    # Before: two calls to a slow component on two workers made every other component wait.
    loop, hello = load(tmp_path, "loop_forever"), load(tmp_path, "spin1_http_hello")
    async with (
        pool_of([loop, hello], workers=2, timeout=30, max_workers=2) as pool,
        anyio.create_task_group() as calls,
    ):
        for _ in range(3):
            calls.start_soon(looping, pool, loop.component.id)
        await until(lambda: len(pool.busy_pids) == 1, "a looping call running")
        with anyio.fail_after(5):
            for _ in range(20):
                assert (await pool.guests[hello.component.id].handle_http(HELLO)).status == 200
        assert len(pool.busy_pids) == 1  # its share: one worker of the two
        calls.cancel_scope.cancel()


async def test_a_call_that_waits_past_the_bound_is_a_queue_timeout(tmp_path: Path) -> None:
    loop = load(tmp_path, "loop_forever")
    async with (
        pool_of([loop], workers=1, timeout=30, max_wait=0.3) as pool,
        anyio.create_task_group() as calls,
    ):
        calls.start_soon(looping, pool, loop.component.id)
        await until(lambda: pool.busy_pids == pool.pids, "the first call running")
        with anyio.fail_after(5), pytest.raises(QueueTimeout, match=r"within 0\.3 s"):
            await pool.guests[loop.component.id].handle_http(HELLO)
        calls.cancel_scope.cancel()


async def test_the_pool_grows_while_calls_wait_and_shrinks_when_idle(tmp_path: Path) -> None:
    loop, hello = load(tmp_path, "loop_forever"), load(tmp_path, "spin1_http_hello")
    sizing = {"max_workers": 3, "idle_timeout": 0.5}
    async with pool_of([loop, hello], workers=1, timeout=30, **sizing) as pool:
        async with anyio.create_task_group() as calls:
            calls.start_soon(looping, pool, loop.component.id)
            await until(lambda: len(pool.busy_pids) == 1, "a looping call running")
            assert (await pool.guests[hello.component.id].handle_http(HELLO)).status == 200
            assert 2 <= len(pool.pids) <= 3
            calls.cancel_scope.cancel()
        await until(lambda: len(pool.pids) == 1, "the extra workers to retire")


async def test_workers_start_on_demand_up_to_the_bound(tmp_path: Path) -> None:
    # Before: every worker started with the pool (the demo: 6 workers, ~135 MB of PSS, idle).
    wait, go = waiting_guest(tmp_path)
    async with pool_of([wait], workers=3, warm_workers=0) as pool:
        assert len(pool.pids) == 1  # the one that checked that the app loads
        guest = pool.guests[wait.component.id]
        async with anyio.create_task_group() as calls:
            for _ in range(5):
                calls.start_soon(guest.run_command, ["/"], {}, b"")
            await until(lambda: len(pool.busy_pids) == 3, "three workers busy")
            assert len(pool.pids) == 3  # the bound: two calls wait instead
            go.touch()


async def test_an_idle_worker_exits_and_the_next_call_starts_one(tmp_path: Path) -> None:
    hello = load(tmp_path, "spin1_http_hello")
    async with pool_of([hello], workers=2, warm_workers=0, idle_timeout=0.2) as pool:
        (first,) = pool.pids
        await until(lambda: not pool.pids and gone(first), "the idle worker to exit")
        with anyio.fail_after(DEADLINE):
            assert (await pool.guests[hello.component.id].handle_http(HELLO)).status == 200
        assert len(pool.pids) == 1 and pool.pids != [first]


async def test_the_warm_worker_stays_when_the_others_exit(tmp_path: Path) -> None:
    wait, go = waiting_guest(tmp_path)
    async with pool_of([wait], workers=2, warm_workers=1, idle_timeout=0.2) as pool:
        guest = pool.guests[wait.component.id]
        async with anyio.create_task_group() as calls:
            for _ in range(2):
                calls.start_soon(guest.run_command, ["/"], {}, b"")
            await until(lambda: len(pool.busy_pids) == 2, "two workers busy")
            go.touch()
        await until(lambda: len(pool.pids) == 1, "the second worker to exit")
        warm = pool.pids
        # A negative cannot be polled for: give it five idle timeouts to go (it must not).
        await anyio.sleep(1.0)
        assert pool.pids == warm and not gone(warm[0])
        assert await guest.run_command(["/"], {}, b"")


async def test_workers_are_gone_once_the_pool_closes(tmp_path: Path) -> None:
    hello = load(tmp_path, "spin1_http_hello")
    async with pool_of([hello], workers=3, warm_workers=3) as pool:
        pids = pool.pids
        assert len(pids) == 3
        assert all(psutil.Process(pid).ppid() == os.getpid() for pid in pids)
    assert all(gone(pid) for pid in pids)


async def test_a_component_that_cannot_load_is_a_clear_error_and_leaves_no_worker(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0garbage")
    good = load(tmp_path, "spin1_http_hello")
    broken = GuestLoad(
        good.component.__class__(
            {**good.component.raw, "id": "bad", "source": {"source": bad.as_uri()}}
        ),
        good.logs,
    )
    before = {child.pid for child in psutil.Process().children()}
    with pytest.raises(SpinError, match=r"Component 'bad'.*not a valid Wasm"):
        async with pool_of([good, broken], workers=2):
            pass
    assert {child.pid for child in psutil.Process().children()} <= before


def test_workers_die_with_a_sigkilled_executor(tmp_path: Path) -> None:
    lock = build_app(tmp_path / "app", HELLO_MANIFEST, ["spin1_http_hello"])
    executor = Executor(lock, "--wasm-workers", "2")
    try:
        assert executor.wait_ready() == "READY=1"
        workers = psutil.Process(executor.process.pid).children()
        assert len(workers) == 1  # the warm one: the other starts when a request waits
        # Each says what it is in `ps` (setproctitle): its executor, then its role.
        assert {" ".join(w.cmdline()).strip() for w in workers} == {
            "spin http executor: guest worker"
        }
        executor.process.kill()
        executor.process.wait(timeout=DEADLINE)
        wait_for(
            lambda: all(gone(w.pid) for w in workers),
            timeout=DEADLINE,
            what="the workers to die with their executor",
        )
    finally:
        executor.stop()


def test_the_executor_and_the_worker_agree_on_the_operations() -> None:
    """The `Guest` methods are the one list of operations: `PooledGuest` offers each of them,
    and a worker runs nothing else (`close` is not a call)."""
    offered = {n for n, m in vars(PooledGuest).items() if callable(m) and not n.startswith("_")}
    assert offered == worker_module.OPERATIONS
    assert "close" not in worker_module.OPERATIONS
    with pytest.raises(ValueError, match="unknown operation 'close'"):
        worker_module.call(None, "close", ())  # type: ignore[arg-type]
