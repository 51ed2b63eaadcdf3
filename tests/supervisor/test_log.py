"""The supervisor's log: relayed executor lines carry their real level in JSON."""

from __future__ import annotations

import json

import pytest

from spin.supervisor.log import EventLog

LINES = [
    # (line an executor wrote, level, logger, message)
    (
        "2026-12-01T10:00:00.123Z INFO spin.http: serving on 127.0.0.1:3000",
        "info",
        "spin.http",
        "serving on 127.0.0.1:3000",
    ),
    (
        "2026-12-01T10:00:00.123Z WARNING spin.redis: lost the connection",
        "warn",
        "spin.redis",
        "lost the connection",
    ),
    (
        "2026-12-01T10:00:00.123Z ERROR spin.http: component 'a' failed: trap",
        "error",
        "spin.http",
        "component 'a' failed: trap",
    ),
    ("2026-12-01T10:00:00.123Z CRITICAL x: boom", "error", "x", "boom"),
    (
        "2026-12-01T10:00:00.123Z DEBUG spin.runtime: cache hit",
        "debug",
        "spin.runtime",
        "cache hit",
    ),
    ("Error: --listen 'x' is not an address and port", "error", None, None),
    ("Traceback (most recent call last):", "error", None, None),
    ("hello from a guest's stdout", "info", None, None),
    ("INFO looks like a level but is not a diagnostic line", "info", None, None),
]


@pytest.mark.parametrize(("line", "level", "logger", "message"), LINES)
def test_relayed_lines_carry_their_level_in_json(
    capsys: pytest.CaptureFixture[str],
    line: str,
    level: str,
    logger: str | None,
    message: str | None,
) -> None:
    EventLog("json").output("http", 42, "stderr", line.encode())
    record = json.loads(capsys.readouterr().err)
    assert record["level"] == level
    assert record["line"] == line  # the raw line is always kept
    assert record.get("logger") == logger and record.get("message") == message
    assert (record["trigger"], record["pid"], record["stream"]) == ("http", 42, "stderr")


def test_text_format_relays_the_line_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    EventLog("text").output("redis", 7, "stdout", b"2026-12-01T10:00:00.000Z WARNING a: b")
    assert capsys.readouterr().out == "redis | 2026-12-01T10:00:00.000Z WARNING a: b\n"
