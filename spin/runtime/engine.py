"""The wasmtime engine shared by every guest: one per executor process.

It owns the epoch ticker (the clock that per-call deadlines are measured in) and the on-disk
cache of compiled artefacts, so that a restarted executor deserializes its guests in
milliseconds instead of compiling them again (and a guest worker that misses the cache has a
child process fill it, `spin.runtime.compiler`, rather than keep the compiler's memory).

The ticker runs only while a call does (`calls_running`): a 100 Hz ticker in every idle worker
cost 0.11 CPU-s per 20 s per worker, and an idle app should cost nothing. Deadlines are counted
in ticks from the call's start, so a clock stopped between calls loses nothing.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import wasmtime

from spin.runtime.config import RuntimeConfig
from spin.runtime.wasmtime_version import wasmtime_version

log = logging.getLogger("spin.runtime")

#: Seconds per epoch tick: the granularity of deadlines.
EPOCH_TICK = 0.01

#: Settings that change the generated code; part of every cache key.
ENGINE_FLAVOUR = "epoch-interruption;component-model"

if TYPE_CHECKING:
    import wasmtime.component

Artefact = TypeVar("Artefact", bound="wasmtime.Module | wasmtime.component.Component")


class WasmEngine:
    """A wasmtime `Engine` with epoch interruption, its ticker thread and the artefact cache."""

    def __init__(self, config: RuntimeConfig, compile_in_child: bool = False) -> None:
        self.engine = new_engine(config.cache_config)
        self.cache_dir = config.cache_dir if config.cache_config is None else None
        #: Compile cache misses in a child process (`spin.runtime.compiler`): what a long-lived
        #: guest worker does, so that it never holds the compiler's memory.
        self.compile_in_child = compile_in_child and self.cache_dir is not None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._running = 0
        self._any_running = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="wasm-epoch-ticker", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while self._any_running.wait() and not self._stop.wait(EPOCH_TICK):
            self.engine.increment_epoch()

    @contextmanager
    def calls_running(self) -> Iterator[None]:
        """Keep the deadline clock ticking for the duration of one guest call."""
        with self._lock:
            self._running += 1
            self._any_running.set()
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    self._any_running.clear()

    @staticmethod
    def ticks_for(seconds: float) -> int:
        """Epoch ticks that cover `seconds` (at least one)."""
        return max(1, round(seconds / EPOCH_TICK))

    def compile(self, wasm: bytes, kind: type[Artefact]) -> Artefact:
        """Compile a module or component, through the on-disk cache when there is one."""
        cached = self.cache_path(wasm)
        if cached is None:
            return kind(self.engine, wasm)
        with _filling(cached):
            artefact = self._read(cached, kind)
            if artefact is None and self.compile_in_child:
                from spin.runtime.compiler import compile_into_cache

                kind_name = "module" if kind is wasmtime.Module else "component"
                if compile_into_cache(wasm, kind_name, cached):
                    artefact = self._read(cached, kind)
            if artefact is None:
                artefact = kind(self.engine, wasm)
                self._store(cached, bytes(artefact.serialize()))
            return artefact

    def _read(self, cached: Path, kind: type[Artefact]) -> Artefact | None:
        """The cache entry, if there is one that this engine can use (an unusable one is
        removed, so that it is filled again)."""
        if not cached.exists():
            return None
        try:
            return kind.deserialize_file(self.engine, str(cached))
        except wasmtime.WasmtimeError as err:
            log.warning("ignoring unusable cache entry %s: %s", cached, err)
            cached.unlink(missing_ok=True)
            return None

    def compile_component(self, wasm: bytes) -> wasmtime.component.Component:
        """`compile` for a component. Every component is compiled here, so the component
        binding (`spin.runtime.component.binding`: cached conversions for every component call
        from then on) is installed here, and only in a process that holds a component: its
        import is 3.5 MB of a guest worker's private memory (with `wasmtime.component`)."""
        import wasmtime.component

        import spin.runtime.component.binding  # noqa: F401

        return self.compile(wasm, wasmtime.component.Component)

    def cache_path(self, wasm: bytes) -> Path | None:
        """Where the compiled form of `wasm` is cached: keyed by content, wasmtime and flavour."""
        if self.cache_dir is None:
            return None
        key = _sha256()
        key.update(wasm)
        key.update(f"\0wasmtime-{wasmtime_version()}\0{ENGINE_FLAVOUR}".encode())
        return self.cache_dir / f"{key.hexdigest()}.cwasm"

    @staticmethod
    def _store(path: Path, data: bytes) -> None:
        """Write a cache entry; a cache that cannot be written is only a warning."""
        try:
            write_cache_entry(path, data)
        except OSError as err:
            log.warning("cannot write the compiled-Wasm cache %s: %s", path, err)

    def close(self) -> None:
        self._stop.set()
        self._any_running.set()  # wake the ticker so that it sees the stop
        self._ticker.join()


def new_engine(cache_config: Path | None = None) -> wasmtime.Engine:
    """An engine with the settings `ENGINE_FLAVOUR` names (`cache_config`: wasmtime's own cache)."""
    wasm_config = wasmtime.Config()
    wasm_config.epoch_interruption = True
    wasm_config.wasm_component_model = True
    if cache_config is not None:
        wasm_config.cache = str(cache_config)
    return wasmtime.Engine(wasm_config)


@contextmanager
def _filling(path: Path) -> Iterator[None]:
    """Hold the cache entry's lock (`flock` on a file beside it) while it is read or filled.

    The workers of a pool that start together all miss a cold cache: with the lock, one
    compiles and the others then read its entry, instead of each compiling the same component
    at once (5 s of CPU and a 425-448 MB peak each for a 37.5 MB componentize-py component).
    A cache that cannot be written has no lock to take, nor anything to share.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(f".{path.name}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def write_cache_entry(path: Path, data: bytes) -> None:
    """Write a cache entry atomically (its directory exists: `_filling` made it): readers see
    the whole entry or none."""
    # A name of this process's and thread's own, not tempfile's: tempfile (with shutil, bz2,
    # lzma) is 0.5 MB of a guest worker's heap, and workers write the cache.
    tmp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(tmp, path)


def _sha256() -> Any:
    """A SHA-256 hash from CPython's own implementation, not hashlib's: importing hashlib
    loads OpenSSL (libcrypto), 0.55 MB of a guest worker's heap and 3.6 MB of its RSS, for
    the one hash of each component's cache key. hashlib where the interpreter has neither."""
    try:
        from _sha2 import sha256  # Python 3.12 and later
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.11
        except ImportError:
            from hashlib import sha256
    return sha256()
