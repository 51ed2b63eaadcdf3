"""The interfaces Spin offers that this runtime does not: MySQL, PostgreSQL and the LLM.

They are present so that every spin-sdk app links (an SDK app imports all of them whichever it
calls). Every function that returns a `result` answers the interface's own error value saying
the interface is not available (`other(msg)`; the LLM's `runtime-error(msg)`), so a guest that
calls one sees a failed call, never a trap. Their connections can never be opened, so the
functions without a result (none but on an open connection) are unreachable.
"""

from __future__ import annotations

from wasmtime.component import Variant

from spin.runtime.errors import UNAVAILABLE
from spin.runtime.wasi.p2.registry import Interface

#: Unversioned interface name -> (what it is, the error case that carries a message).
UNSUPPORTED = {
    "fermyon:spin/mysql": ("MySQL", "other"),
    "spin:mysql/mysql": ("MySQL", "other"),
    "fermyon:spin/postgres": ("PostgreSQL", "other"),
    "spin:postgres/postgres": ("PostgreSQL", "other"),
    "fermyon:spin/llm": ("the LLM interface", "runtime-error"),
    "spin:llm/llm": ("the LLM interface", "runtime-error"),
}


def _interface(name: str, what: str, case: str) -> Interface:
    return Interface(name, error=Variant(case, f"{what} ({name}) is {UNAVAILABLE}"))


INTERFACES = tuple(_interface(name, *spec) for name, spec in UNSUPPORTED.items())
