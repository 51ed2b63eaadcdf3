"""What one guest call writes to stdout and stderr: streamed to the component's logs while the
call runs, and bounded.

Without a bound a guest looping on `fd_write` wrote ~1.7 GiB per second into memory and then
into its log file. Now the call's output (stdout and stderr together, `--wasm-output-limit`)
goes to the logs at every deadline tick, holding at most one tick's worth in memory, and the call
fails with a GuestError once it passes the limit; what reached the logs is its first `limit`
bytes and a note saying it was cut. A command's stdout (WAGI's response) is kept instead, bounded
by the limit its caller gives (the largest response).
"""

from __future__ import annotations

from spin.runtime.config import MEBIBYTE
from spin.runtime.logs import ComponentLogs
from spin.runtime.wasi.p1 import CapturedOutput


def describe_size(size: int) -> str:
    """`10 MiB`, `1.5 KiB`, `12 bytes`."""
    for unit, scale in (("MiB", MEBIBYTE), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"


class CallOutput:
    """The stdout and stderr of one call, and the bounds on them."""

    def __init__(
        self,
        component_id: str,
        logs: ComponentLogs,
        *,
        limit: int | None,
        keep_stdout: bool = False,
        stdout_limit: int | None = None,
    ) -> None:
        self.logs = logs
        self.limit = limit
        self.keep_stdout = keep_stdout
        self.stdout_limit = stdout_limit if stdout_limit is not None else limit
        self.stdout = CapturedOutput(f"{component_id}-stdout")
        self.stderr = CapturedOutput(f"{component_id}-stderr")
        #: why the call must stop (sticky once set)
        self.exceeded: str | None = None

    def check(self) -> str | None:
        """Hand new output to the logs (within the limit); the reason to stop the call, if
        its output passed a bound. Called at every deadline tick and once at the end."""
        if self.exceeded is None:
            self.exceeded = self._kept_overflow() or self._drain()
            if self.exceeded is not None:
                self.logs.write_stderr(f"\n[spin: call stopped: {self.exceeded}]\n".encode())
        return self.exceeded

    def _kept_overflow(self) -> str | None:
        if not self.keep_stdout or self.stdout_limit is None:
            return None
        if self.stdout.size() <= self.stdout_limit:
            return None
        return (
            f"wrote more than {describe_size(self.stdout_limit)} to stdout, the largest "
            "response (--max-body-size)"
        )

    def _drain(self) -> str | None:
        streams = [(self.stderr, self.logs.write_stderr)]
        if not self.keep_stdout:
            streams.insert(0, (self.stdout, self.logs.write_stdout))
        sizes = [stream.size() for stream, _ in streams]
        budget = None if self.limit is None else self.limit - sum(s.drained for s, _ in streams)
        for (stream, sink), size in zip(streams, sizes, strict=True):
            upto = size if budget is None else min(size, stream.drained + budget)
            if budget is not None:
                budget -= upto - stream.drained
            stream.drain(upto, sink)
        if self.limit is not None and sum(sizes) > self.limit:
            return (
                f"wrote more than {describe_size(self.limit)} to stdout and stderr, the limit "
                "of one call's output (--wasm-output-limit)"
            )
        return None

    def kept_stdout(self) -> bytes:
        return self.stdout.read(self.stdout_limit)

    def close(self) -> None:
        self.stdout.close()
        self.stderr.close()
