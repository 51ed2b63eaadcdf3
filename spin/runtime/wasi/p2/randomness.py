"""wasi:random: `random` (the OS's secure source), `insecure` and `insecure-seed`."""

from __future__ import annotations

import os
import random as _random

from spin.runtime.wasi.p2.host import WasiCall
from spin.runtime.wasi.p2.registry import Interface

secure = Interface("wasi:random/random")
insecure = Interface("wasi:random/insecure")
insecure_seed = Interface("wasi:random/insecure-seed")

#: Bytes one call may ask for: a guest asking for more is almost surely broken.
MAX_RANDOM_BYTES = 64 << 20


def _size(size: int) -> int:
    return min(size, MAX_RANDOM_BYTES)


@secure.func("get-random-bytes")
def get_random_bytes(call: WasiCall, size: int) -> bytes:
    return os.urandom(_size(size))


@secure.func("get-random-u64")
def get_random_u64(call: WasiCall) -> int:
    return int.from_bytes(os.urandom(8), "little")


@insecure.func("get-insecure-random-bytes")
def get_insecure_random_bytes(call: WasiCall, size: int) -> bytes:
    return _random.randbytes(_size(size))


@insecure.func("get-insecure-random-u64")
def get_insecure_random_u64(call: WasiCall) -> int:
    return _random.getrandbits(64)


@insecure_seed.func("insecure-seed")
def get_insecure_seed(call: WasiCall) -> tuple[int, int]:
    return (_random.getrandbits(64), _random.getrandbits(64))


INTERFACES = (secure, insecure, insecure_seed)
