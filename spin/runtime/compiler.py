"""Compiling a Wasm module or component into the artefact cache in a process of its own.

A long-lived process that compiles keeps what the compiler allocated for as long as it lives:
compiling the demo's 1.4 KB dashboard module left 8.0-8.5 MB more RSS in the process than
deserializing it from the cache did (1.7 MB), with or without parallel compilation, with the
compiling engine dropped afterwards, and `malloc_trim` gave none of it back (wasmtime 50).
So a guest worker that misses the cache has this short-lived process compile into the cache,
then deserializes the entry like any other: every worker of a cold start (a fresh checkout, a
new pod) is as lean as a warm one.

    python -m spin.runtime.compiler module|component CACHE_PATH TITLE  < WASM

(TITLE: what `ps` shows, the worker's own title and `: compiling`.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The kinds of artefact, as the command line names them.
KINDS = ("module", "component")


def compile_into_cache(wasm: bytes, kind: str, path: Path) -> bool:
    """Compile `wasm` into the cache entry `path` in a child process; whether it wrote it.

    False when it could not: the caller then compiles in its own process, which reports an
    invalid Wasm file with wasmtime's own error, as it always did. A cache directory that
    cannot be written (or is missing) is found out before compiling, not after (it would be
    compiled twice).
    """
    import subprocess  # only on a cache miss: a worker otherwise never needs it

    if not (path.parent.is_dir() and os.access(path.parent, os.W_OK)):
        return False
    from spin.proctitle import current_title

    title = f"{current_title()}: compiling"
    command = [sys.executable, "-m", "spin.runtime.compiler", kind, str(path), title]
    try:
        done = subprocess.run(command, input=wasm, capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0 and path.exists()


def main() -> int:
    from spin.proctitle import set_title
    from spin.runtime.engine import new_engine, write_cache_entry

    kind, path, title = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    set_title(title)
    if kind not in KINDS:
        print(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}", file=sys.stderr)
        return 2
    wasm = sys.stdin.buffer.read()
    engine = new_engine()
    if kind == "component":
        import wasmtime.component

        artefact = wasmtime.component.Component(engine, wasm)
    else:
        import wasmtime

        artefact = wasmtime.Module(engine, wasm)
    write_cache_entry(path, bytes(artefact.serialize()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
