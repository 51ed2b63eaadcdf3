"""Diagnostic logging on stderr, shared by `spin up` and every executor.

Lines look like `2026-11-29T10:00:00.000Z INFO spin.http: message` (UTC). The level comes from
SPIN_LOG_LEVEL (default INFO; DEBUG with SPIN_DEBUG). Kept apart from the trigger library so
that `spin up` sets up logging without importing the async machinery.
"""

from __future__ import annotations

import logging
import os
import sys
import time


class UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


def configure_logging() -> None:
    level = os.environ.get("SPIN_LOG_LEVEL", "DEBUG" if os.environ.get("SPIN_DEBUG") else "INFO")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UTCFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
