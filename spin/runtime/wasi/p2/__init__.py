"""A WASI 0.2 host written in Python, for components (see `registry` for how it links).

One module per interface family: `io` (error, poll, streams), `clocks`, `randomness`, `cli`,
`filesystem`, `sockets`. `wasi_interfaces()` lists them all for a `registry.Registry`.
"""

from __future__ import annotations

from spin.runtime.wasi.p2.registry import Interface


def wasi_interfaces() -> list[Interface]:
    from spin.runtime.wasi.p2 import cli, clocks, filesystem, io, randomness, sockets

    return [
        *io.INTERFACES,
        *clocks.INTERFACES,
        *randomness.INTERFACES,
        *cli.INTERFACES,
        *filesystem.INTERFACES,
        *sockets.INTERFACES,
    ]
