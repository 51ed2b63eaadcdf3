"""wasi:filesystem: the component's mounted `files` as preopened directories."""

from __future__ import annotations

from spin.runtime.wasi.p2.host import WasiCall
from spin.runtime.wasi.p2.registry import Interface

types = Interface("wasi:filesystem/types", error="unsupported")
preopens = Interface("wasi:filesystem/preopens")


@preopens.func("get-directories")
def get_directories(call: WasiCall) -> list[tuple[object, str]]:
    return []


INTERFACES = (types, preopens)
