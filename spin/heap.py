"""Giving back the heap a long-lived process freed once a phase that allocated much is over.

Freed Python objects go back to the allocator, and glibc keeps the freed pages resident in its
heap until it is told (`malloc_trim`): a process that allocated much once (a guest worker
loading components, an executor parsing the lock and starting its server) would carry those
pages for its whole life. Measured with `make bench-footprint` on the demo: a guest worker after
loading 1.6 MB of PSS, the HTTP and Redis executors once ready ~1 MB each (net of ctypes).
"""

from __future__ import annotations

import ctypes
import gc


def give_back_free_memory() -> None:
    """Collect the garbage, then return the heap's free pages to the system (glibc only)."""
    gc.collect()
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)
