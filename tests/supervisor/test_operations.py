"""What operators see and use: readiness, relayed output, JSON logs, SIGUSR1 status, SIGHUP
reload, and a lean supervisor process."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.fixtures.supervisor.harness import Supervised, pid_alive
from tests.support import wait_for

LIFECYCLE_KEYS = {"ts", "level", "trigger", "pid", "event"}


@pytest.fixture
def notify_listener(tmp_path: Path) -> Iterator[socket.socket]:
    """The supervisor's own NOTIFY_SOCKET, as systemd would provide it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(30)
    try:
        yield sock
    finally:
        sock.close()


def test_supervisor_notifies_ready_once_every_executor_is_ready(
    sup: Supervised, notify_listener: socket.socket
) -> None:
    sup.start(
        [sup.executor("web", notify_delay=0.5), sup.executor("queue")],
        env={"NOTIFY_SOCKET": notify_listener.getsockname()},
    )
    assert notify_listener.recv(4096) == b"READY=1"
    log = sup.log()
    assert "web[" in log and log.count(" ready ") >= 2, log
    # READY=1 came after both executors notified (web waited 0.5 s)
    assert log.index("supervisor[") < log.rindex("ready executors=2")
    sup.signal(signal.SIGTERM)
    assert notify_listener.recv(4096) == b"STOPPING=1"
    assert sup.wait_exit() == 0


def test_an_executor_that_never_notifies_is_taken_as_ready_after_the_grace(
    sup: Supervised, notify_listener: socket.socket
) -> None:
    # queue is known to notify (as executors built on spin.trigger are): no grace applies to it,
    # so a slow start on a loaded machine cannot make it "assumed" ready too.
    queue = {**sup.executor("queue"), "notifies": True}
    sup.start(
        [sup.executor("silent", notify=False), queue],
        env={"NOTIFY_SOCKET": notify_listener.getsockname()},
        settings={"notify_grace": 0.2},
    )
    assert notify_listener.recv(4096) == b"READY=1"
    log = sup.log()
    assert "notified=False" in log
    assert "no READY=1 within 0.2s and no sd_notify in its launch metadata: taken as" in log
    assert "notified=True" in log  # the other one did notify
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0


def test_output_is_relayed_line_by_line_with_the_trigger_prefix(sup: Supervised) -> None:
    sup.start([sup.executor("web"), sup.executor("queue")])
    sup.wait_events("start", 2)
    wait_for(lambda: sup.output().count(" | hello from pid") == 2, what="two relayed lines")
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    for line in sup.output().splitlines():
        assert line.startswith(("web | hello from pid", "queue | hello from pid")), line
    # a partial last line is relayed when the pipe closes
    assert "web | partial line without newline" in sup.log()


def test_json_log_lines_status_snapshot_and_stats(sup: Supervised) -> None:
    sup.start(
        [sup.executor("web", grandchild="group"), sup.executor("queue")],
        settings={"log_format": "json", "stats_interval": 0.2},
    )
    sup.wait_events("start", 2)
    wait_for(lambda: any(r["event"] == "stats" for r in sup.json_log()), what="a stats line")
    sup.signal(signal.SIGUSR1)
    wait_for(
        lambda: sum(r["event"] == "status" for r in sup.json_log()) >= 3, what="the status snapshot"
    )
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    records = sup.json_log()  # every line parses as one JSON object
    assert all(record.keys() >= LIFECYCLE_KEYS for record in records)
    events = [record["event"] for record in records]
    for expected in ("starting", "ready", "status", "stats", "stopping", "exited", "stopped"):
        assert expected in events, expected
    web = next(r for r in records if r["event"] == "status" and r["trigger"] == "web")
    assert web["state"] == "ready" and web["restarts"] == 0 and web["uptime"] > 0
    assert web["processes"] == 2 and web["rss_mb"] > 1 and "cpu_percent" in web
    assert "open_files" in web
    supervisor = next(r for r in records if r["event"] == "status" and r["trigger"] is None)
    assert supervisor["executors"] == 2
    exited = next(r for r in records if r["event"] == "exited" and r["trigger"] == "queue")
    assert exited["code"] == 0 and isinstance(exited["pid"], int)
    output = [json.loads(line) for line in sup.output().splitlines()]
    assert {r["trigger"] for r in output} == {"web", "queue"}
    assert all(r["event"] == "output" and r["stream"] == "stdout" for r in output)


def test_sighup_reloads_only_what_changed_one_type_at_a_time(
    sup: Supervised, tmp_path: Path
) -> None:
    web, queue, timer, keep = (sup.executor(t) for t in ("web", "queue", "timer", "keep"))
    edited_web = {**web, "fingerprint": "route edited"}
    plan = tmp_path / "reload.json"
    # web's part of the app changed, queue removed, timer added, keep unchanged
    plan.write_text(json.dumps({"executors": [edited_web, timer, keep]}))
    sup.start([web, queue, keep], reload=str(plan))
    old_web = sup.wait_events("start", 1, "web")[0]
    old_queue = sup.wait_events("start", 1, "queue")[0]
    kept = sup.wait_events("start", 1, "keep")[0]
    sup.wait_log("supervisor[")
    wait_for(lambda: "ready executors=3" in sup.log(), what="all ready")
    sup.signal(signal.SIGHUP)
    sup.wait_log("reloaded executors=3")
    new_web = sup.wait_events("start", 2, "web")[1]
    sup.wait_events("start", 1, "timer")
    assert sup.events("term", "queue")
    assert len(sup.events("start", "keep")) == 1 and pid_alive(kept["pid"])
    assert f"keep[{kept['pid']}] unchanged" in sup.log()
    old_web_term = sup.events("term", "web")[0]
    assert old_web_term["pid"] == old_web["pid"]
    assert new_web["t"] < old_web_term["t"], "the new web executor started before the old stopped"
    assert not pid_alive(old_queue["pid"]) and not pid_alive(old_web["pid"])
    assert pid_alive(new_web["pid"])
    log = sup.log()
    assert "reloading" in log and "removing" in log
    # a reload that fails keeps what runs
    plan.write_text("not json")
    sup.signal(signal.SIGHUP)
    sup.wait_log("reload-failed")
    assert pid_alive(new_web["pid"])
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0


def test_a_stop_during_a_reload_ends_its_planner_at_once(sup: Supervised, tmp_path: Path) -> None:
    web = sup.executor("web")
    plan = tmp_path / "reload.json"
    plan.write_text(json.dumps({"executors": [{**web, "fingerprint": "edited"}]}))
    sup.start([web], reload=str(plan), reload_delay=60)
    sup.wait_log("ready executors=1")
    sup.signal(signal.SIGHUP)
    sup.wait_log("reloading")
    assert sup.process is not None
    supervisor = psutil.Process(sup.process.pid)
    planner = wait_for(
        lambda: next((p for p in supervisor.children() if "--plan" in p.cmdline()), None),
        what="the planner process",
    )
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit(timeout=10) == 0
    assert not pid_alive(planner.pid)
    assert "reloaded" not in sup.log() and len(sup.events("start", "web")) == 1


def test_a_replacement_starts_before_its_predecessor_stops_and_is_told_so(
    sup: Supervised, tmp_path: Path
) -> None:
    http = sup.executor("http")
    plan = tmp_path / "reload.json"
    plan.write_text(json.dumps({"executors": [{**http, "fingerprint": "edited"}]}))
    sup.start([http], reload=str(plan))
    old = sup.wait_events("start", 1, "http")[0]
    sup.wait_log("ready executors=1")
    sup.signal(signal.SIGHUP)
    sup.wait_log("reloaded")
    new = sup.wait_events("start", 2, "http")[1]
    assert new["t"] < sup.events("term", "http")[0]["t"]
    assert not pid_alive(old["pid"])
    # SPIN_REPLACES_EXECUTOR names the predecessor (an HTTP executor shares its address)
    assert f"replaces={old['pid']}" in sup.output()
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0


def test_the_supervisor_never_imports_the_runtime_or_the_servers(
    sup: Supervised, tmp_path: Path
) -> None:
    modules = tmp_path / "modules.json"
    sup.start([sup.executor("web")], modules=str(modules))
    sup.wait_events("start", 1)
    sup.signal(signal.SIGUSR1)  # the status snapshot (psutil) is part of what is checked
    sup.wait_log("status")
    sup.signal(signal.SIGTERM)
    assert sup.wait_exit() == 0
    loaded = json.loads(modules.read_text())
    assert "spin.supervisor.manager" in loaded and "psutil" in loaded
    for heavy in ("wasmtime", "hypercorn", "redis"):
        assert not any(name == heavy or name.startswith(heavy + ".") for name in loaded), heavy
