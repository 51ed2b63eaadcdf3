"""The installed wasmtime's version, read from its distribution metadata file directly.

`importlib.metadata.version` imports email, zipfile and csv for that one string: 2.6 MB of
every guest worker's private memory (psutil USS, measured on the worker's imports), in a
process that needs none of them. The metadata file sits beside the package in site-packages;
anything else (a zipped or unusual install) falls back to importlib.metadata.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def wasmtime_version() -> str:
    spec = importlib.util.find_spec("wasmtime")
    if spec is not None and spec.origin is not None:
        site = Path(spec.origin).resolve().parent.parent
        for metadata in sorted(site.glob("wasmtime-*.dist-info/METADATA")):
            with metadata.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
                    if not line.strip():
                        break  # the end of the headers
    from importlib.metadata import version

    return version("wasmtime")
