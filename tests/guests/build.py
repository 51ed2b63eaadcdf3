"""Builds the spin-sdk apps under tests/guests/sdk_python into Wasm components, cached.

Each app is built with componentize-py, exactly as Spin's `http-py-p2` template does
(`componentize-py -w spin-http componentize app -o app.wasm`). A build costs about 10 s of CPU
and gives a 37 MB component, so the result is kept under
`${XDG_CACHE_HOME:-~/.cache}/spin-py-tests/sdk-guests/`, named by a hash of everything that goes
into it: the app's files, the spin-sdk and componentize-py versions and the command. A second
`make test` finds every component there and runs no build.

The tools come from the project's venv (the `test` extra pins them). componentize-py finds the
SDK's WIT files through the `python` on PATH, so the build puts this interpreter's directory
first on PATH. The build itself needs no network. Two pytest processes may build the same app at
once: a lock file makes the second wait for the first, and the component is written under a
temporary name and renamed, so no reader ever sees half a file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: Where the committed app sources live: one directory per app, each with an `app.py`.
APPS_DIR = Path(__file__).parent / "sdk_python"

#: The tool versions the apps are written for (Spin's `http-py-p2` template pins the same pair).
SPIN_SDK_VERSION = "3.4.1"
COMPONENTIZE_PY_VERSION = "0.17.2"

#: The world each app targets; every app not named here is an HTTP app.
WORLDS = {"redis": "spin-redis", "redis_counter": "spin-redis"}
DEFAULT_WORLD = "spin-http"

#: Apps of the trigger plugins' worlds, defined in WIT_DIR (not the SDK's): built with
#: `-d wit` and componentize-py's own bindings (`wit_world`) instead of spin-sdk's.
WIT_DIR = Path(__file__).parent / "wit"
WIT_WORLDS = {"cron_kv": "cron-kv", "mqtt_reply": "mqtt-reply"}

INSTALL_HINT = "run `make install` (the `test` extra installs them into .venv)"


class GuestBuildError(Exception):
    """An SDK app could not be built; the message says why, with componentize-py's output."""


@dataclass(frozen=True)
class Toolchain:
    """The componentize-py executable and the interpreter directory it must find on PATH."""

    componentize_py: Path
    python_bin: Path
    spin_sdk_version: str
    componentize_py_version: str


def cache_root() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/spin-py-tests`, shared by every checkout and test run."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spin-py-tests"


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        raise GuestBuildError(
            f"{package} is not installed in {sys.prefix}: {INSTALL_HINT}"
        ) from None


def find_toolchain() -> Toolchain:
    """The pinned componentize-py and spin-sdk of this interpreter's environment, or an error."""
    found = {name: _installed(name) for name in ("spin-sdk", "componentize-py")}
    wanted = {"spin-sdk": SPIN_SDK_VERSION, "componentize-py": COMPONENTIZE_PY_VERSION}
    for name, pinned in wanted.items():
        if found[name] != pinned:
            raise GuestBuildError(
                f"{name} {found[name]} is installed but the SDK apps need {pinned}: {INSTALL_HINT}"
            )
    python_bin = Path(sys.executable).parent
    tool = python_bin / "componentize-py"
    if not tool.exists():
        raise GuestBuildError(f"componentize-py is not in {python_bin}: {INSTALL_HINT}")
    return Toolchain(tool, python_bin, found["spin-sdk"], found["componentize-py"])


def app_dir(app: str, apps_dir: Path = APPS_DIR) -> Path:
    """The source directory of `app`, or an error naming the apps that exist."""
    source = apps_dir / app
    if not (source / "app.py").is_file():
        known = ", ".join(sorted(p.name for p in apps_dir.iterdir() if (p / "app.py").is_file()))
        raise GuestBuildError(f"no SDK app {app!r} in {apps_dir} (apps: {known})")
    return source


def source_files(source: Path) -> list[Path]:
    """The app's own files, in a stable order (byte-code caches left out)."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def build_command(app: str, output: Path) -> list[str]:
    """componentize-py's arguments, as Spin's template runs it (without the executable); a
    plugin world's app finds its WIT in `wit/` beside the app (a copy of WIT_DIR)."""
    if app in WIT_WORLDS:
        return ["-d", "wit", "-w", WIT_WORLDS[app], "componentize", "app", "-o", str(output)]
    world = WORLDS.get(app, DEFAULT_WORLD)
    return ["-w", world, "componentize", "app", "-o", str(output)]


def cache_key(app: str, source: Path, tools: Toolchain) -> str:
    """A hash of every input of the build: sources, tool versions and the command."""
    digest = hashlib.sha256()
    digest.update(f"spin-sdk {tools.spin_sdk_version}\0".encode())
    digest.update(f"componentize-py {tools.componentize_py_version}\0".encode())
    digest.update(" ".join(build_command(app, Path("app.wasm"))).encode() + b"\0")
    inputs = [(source, path) for path in source_files(source)]
    if app in WIT_WORLDS:
        inputs += [(WIT_DIR.parent, path) for path in source_files(WIT_DIR)]
    for root, path in inputs:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path`: concurrent builds of one app run one at a time."""
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_componentize(app: str, source: Path, output: Path, tools: Toolchain) -> None:
    """Build `source` into `output` with componentize-py, in a scratch copy of the sources.

    The copy keeps componentize-py's `__pycache__` out of the committed tree.
    """
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".build-") as scratch:
        workdir = Path(scratch) / app
        shutil.copytree(source, workdir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        env = dict(os.environ)
        if app in WIT_WORLDS:
            shutil.copytree(WIT_DIR, workdir / "wit")
            # A virtualenv without site-packages: else componentize-py reads spin-sdk's WIT
            # (its componentize-py.toml) too, and looks the world up there.
            env["VIRTUAL_ENV"] = scratch
        env["PATH"] = f"{tools.python_bin}{os.pathsep}{env.get('PATH', '')}"
        # Without this componentize-py appends a 30-frame Rust backtrace to every error.
        env["RUST_BACKTRACE"] = "0"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [str(tools.componentize_py), *build_command(app, output)]
        done = subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, text=True, check=False
        )
    if done.returncode != 0 or not output.is_file():
        raise GuestBuildError(
            f"componentize-py could not build the SDK app {app!r} ({source / 'app.py'}),"
            f" exit status {done.returncode}.\n"
            f"command: {' '.join(command)}\n{done.stdout}{done.stderr}".rstrip()
        )


def build_sdk_guest(app: str, *, apps_dir: Path = APPS_DIR, cache_dir: Path | None = None) -> Path:
    """The component built from `apps_dir/app`, from the cache or built now."""
    source = app_dir(app, apps_dir)
    tools = find_toolchain()
    directory = (cache_dir or cache_root()) / "sdk-guests"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{app}-{cache_key(app, source, tools)}.wasm"
    if target.is_file():
        return target
    with _locked(directory / f".{target.stem}.lock"):
        if target.is_file():  # built by another process while we waited
            return target
        partial = directory / f".{target.stem}.{os.getpid()}.partial.wasm"
        try:
            run_componentize(app, source, partial, tools)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target
