"""The supervisor's log: lifecycle events and the executors' relayed output.

Lifecycle events go to stderr, one line each (text or JSON, see docs/operations.md). Each
executor output line goes to the same stream it came from (stdout or stderr), prefixed with the
trigger type. In JSON, a relayed line carries its real level: executors built on `spin.trigger`
write diagnostics as `<UTC time> <LEVEL> <logger>: <message>` (spin/console_log.py), which is
parsed here; `Error: ...` lines (an executor's fatal error) and tracebacks are errors; any
other line is info. Every line is written with one `write` call by the single event-loop thread, so
lines are never interleaved mid-line.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Literal

LogFormat = Literal["text", "json"]

#: An executor's diagnostic line, as spin/console_log.py formats it.
DIAGNOSTIC = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$"
)
LEVELS = {
    "DEBUG": "debug",
    "INFO": "info",
    "WARNING": "warn",
    "ERROR": "error",
    "CRITICAL": "error",
}
ERROR_STARTS = ("Error: ", "Traceback (most recent call last)")


def classify(text: str) -> dict[str, str]:
    """The level (and, for a diagnostic line, the logger and message) of a relayed line."""
    match = DIAGNOSTIC.match(text)
    if match:
        level, logger, message = match.groups()
        return {"level": LEVELS[level], "logger": logger, "message": message}
    return {"level": "error" if text.startswith(ERROR_STARTS) else "info"}


def utc_timestamp() -> str:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    return f"{stamp}.{int(now % 1 * 1000):03d}Z"


def _text_value(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n'):
        return json.dumps(text)
    return text


class EventLog:
    """Writes lifecycle events and relayed output lines in one format."""

    def __init__(self, log_format: LogFormat) -> None:
        self.format = log_format
        self._pid = os.getpid()

    def event(
        self,
        event: str,
        trigger: str | None = None,
        pid: int | None = None,
        level: str = "info",
        **fields: object,
    ) -> None:
        """One lifecycle event; `trigger=None` means the supervisor itself."""
        pid = self._pid if trigger is None and pid is None else pid
        if self.format == "json":
            record = {
                "ts": utc_timestamp(),
                "level": level,
                "trigger": trigger,
                "pid": pid,
                "event": event,
                **fields,
            }
            line = json.dumps(record, separators=(",", ":"))
        else:
            who = f"{trigger or 'supervisor'}[{pid if pid is not None else '-'}]"
            details = "".join(f" {key}={_text_value(value)}" for key, value in fields.items())
            line = f"{utc_timestamp()} {level.upper():<5} {who} {event}{details}"
        _write(sys.stderr, line)

    def output(
        self, trigger: str, pid: int, stream: Literal["stdout", "stderr"], line: bytes
    ) -> None:
        """One line an executor wrote (without its newline)."""
        text = line.decode(errors="replace")
        if self.format == "json":
            facts = classify(text)
            record = {
                "ts": utc_timestamp(),
                "level": facts.pop("level"),
                "trigger": trigger,
                "pid": pid,
                "event": "output",
                "stream": stream,
                "line": text,
                **facts,
            }
            rendered = json.dumps(record, separators=(",", ":"))
        else:
            rendered = f"{trigger} | {text}"
        _write(sys.stdout if stream == "stdout" else sys.stderr, rendered)


def _write(stream: object, line: str) -> None:
    target = getattr(stream, "buffer", None)
    data = (line + "\n").encode(errors="replace")
    try:
        if target is not None:
            target.write(data)
            target.flush()
        else:
            stream.write(line + "\n")  # type: ignore[attr-defined]
            stream.flush()  # type: ignore[attr-defined]
    except (BrokenPipeError, ValueError):  # nobody reads our output any more: keep supervising
        pass
