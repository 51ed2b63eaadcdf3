"""wasi:clocks: `monotonic-clock` (nanoseconds, pollables that wait) and `wall-clock`."""

from __future__ import annotations

import time

from spin.runtime.wasi.p2.host import WasiCall
from spin.runtime.wasi.p2.io import TimerPollable
from spin.runtime.wasi.p2.registry import Interface

monotonic_clock = Interface("wasi:clocks/monotonic-clock")
wall_clock = Interface("wasi:clocks/wall-clock")

NANOS = 1_000_000_000


@monotonic_clock.func("now")
def monotonic_now(call: WasiCall) -> int:
    return time.monotonic_ns()


@monotonic_clock.func("resolution")
def monotonic_resolution(call: WasiCall) -> int:
    return 1


@monotonic_clock.func("subscribe-instant")
def subscribe_instant(call: WasiCall, when: int) -> TimerPollable:
    return TimerPollable(when / NANOS)


@monotonic_clock.func("subscribe-duration")
def subscribe_duration(call: WasiCall, duration: int) -> TimerPollable:
    return TimerPollable((time.monotonic_ns() + duration) / NANOS)


@wall_clock.func("now")
def wall_now(call: WasiCall) -> dict[str, int]:
    seconds, nanoseconds = divmod(time.time_ns(), NANOS)
    return {"seconds": seconds, "nanoseconds": nanoseconds}


@wall_clock.func("resolution")
def wall_resolution(call: WasiCall) -> dict[str, int]:
    return {"seconds": 0, "nanoseconds": 1000}


INTERFACES = (monotonic_clock, wall_clock)
