"""`make demo`: build the demo's Wasm, make sure a Redis server is there, and run the app.

1. Compiles `wat/*.wat` into `build/*.wasm` (with wasmtime's `wat2wasm`).
2. Uses the Redis server on the configured port (`--redis-port`, else SPIN_VARIABLE_REDIS_PORT,
   else 6379) if one answers there; otherwise starts a private `redis-server` on a free port
   and stops it on exit.
3. Puts the virtualenv's bin directory first on PATH, so that `spin up` finds the external
   timer executor `spin-trigger-timer` there.
4. Runs `spin up` (the supervisor, three executors), and once the page answers prints where to
   point `curl` and how to publish a Redis message. Ctrl+C (or SIGTERM) stops everything.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import wasmtime

DEMO_DIR = Path(__file__).resolve().parent
DEFAULT_REDIS_PORT = 6379
STARTUP_DEADLINE = 60.0


def build_wasm(demo_dir: Path = DEMO_DIR) -> list[Path]:
    """Compile every `wat/<name>.wat` to `build/<name>.wasm`, where the manifest expects it."""
    build = demo_dir / "build"
    build.mkdir(exist_ok=True)
    built = []
    for source in sorted((demo_dir / "wat").glob("*.wat")):
        target = build / f"{source.stem}.wasm"
        target.write_bytes(wasmtime.wat2wasm(source.read_text()))
        built.append(target)
    return built


def prepare_log_dir(demo_dir: Path = DEMO_DIR) -> Path:
    """The page component mounts the app's log directory, which must exist before `spin up`."""
    log_dir = demo_dir / ".spin" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: object, what: str, process: subprocess.Popen[bytes]) -> None:
    """Poll `condition()` until true; fail if `process` exits or the deadline passes."""
    deadline = time.monotonic() + STARTUP_DEADLINE
    while not condition():  # type: ignore[operator]
        if process.poll() is not None:
            raise click.ClickException(f"{what}: the process exited with {process.returncode}.")
        if time.monotonic() > deadline:
            raise click.ClickException(f"{what}: not ready after {STARTUP_DEADLINE:.0f} s.")
        time.sleep(0.05)


@contextmanager
def redis_for_demo(port: int) -> Iterator[int]:
    """The port of a Redis server for the demo: the one on `port`, or a private one."""
    if redis_answers(port):
        click.echo(f"Using the Redis server on port {port}.")
        yield port
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise click.ClickException(
            f"No Redis server answers on port {port} and redis-server is not installed. "
            "Install Redis (e.g. the redis-server package) or pass --redis-port of a running one."
        )
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl+C goes to us; we stop Redis after the app
    )
    try:
        wait_until(lambda: redis_answers(port), "redis-server", server)
        click.echo(f"Started a Redis server for the demo on port {port}.")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        click.echo("Stopped the demo's Redis server.")


def check_listen_address_free(listen: str) -> None:
    """Refuse a taken address up front: otherwise whatever already listens there would answer
    the readiness check below while the app's HTTP executor fails to bind."""
    host, _, port = listen.rpartition(":")
    try:
        with socket.socket() as sock:
            sock.bind((host.strip("[]") or "127.0.0.1", int(port)))
    except ValueError:
        raise click.ClickException(f"--listen {listen!r} is not HOST:PORT.") from None
    except OSError as err:
        raise click.ClickException(
            f"Cannot serve the demo on {listen}: {err.strerror}. Something else is listening "
            'there; stop it or pick another address, e.g. make demo ARGS="--listen 127.0.0.1:3001".'
        ) from None


def page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def spin_up_env(redis_port: int) -> dict[str, str]:
    """Our environment, with the virtualenv's bin first on PATH and the demo's Redis port."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "spin-trigger-timer").exists():
        raise click.ClickException(
            f"spin-trigger-timer is not in {bin_dir}. Run `make install` (it installs "
            "executors/timer into the virtualenv)."
        )
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SPIN_VARIABLE_REDIS_PORT": str(redis_port),
    }


def run_app(listen: str, redis_port: int, spin_args: tuple[str, ...]) -> int:
    """Run `spin up` until it exits; SIGINT/SIGTERM to us is passed on to it once."""
    # --direct-mounts: the page reads the log files as the other executors append to them (by
    # default `spin up` copies `files` at start, as Spin does, and the page would show that copy).
    command = [
        *(sys.executable, "-m", "spin", "up", "-f", str(DEMO_DIR / "spin.toml")),
        "--direct-mounts",
    ]
    spin_up = subprocess.Popen(
        [*command, "--listen", listen, *spin_args],
        env=spin_up_env(redis_port),
        start_new_session=True,  # it gets exactly one signal from us, not a second from the tty
    )

    def pass_on(signum: int, _frame: object) -> None:
        spin_up.send_signal(signum)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    url = f"http://{listen}/"
    try:
        wait_until(lambda: page_answers(url), "spin up", spin_up)
    except click.ClickException:
        spin_up.terminate()
        spin_up.wait()
        raise
    click.echo(
        "\nThe demo is running: one app, three triggers (HTTP, timer, Redis).\n"
        f"  See the page:          curl {url}\n"
        f"  Publish a message:     redis-cli -p {redis_port} publish messages hello\n"
        f"  Component output:      {DEMO_DIR / '.spin' / 'logs'}\n"
        "The timer prints a line every 2 s; the page shows the latest lines of both.\n"
        "Press Ctrl+C to stop.\n",
    )
    return spin_up.wait()


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--listen", default="127.0.0.1:3000", show_default=True, help="The page's address.")
@click.option(
    "--redis-port",
    type=int,
    default=lambda: int(os.environ.get("SPIN_VARIABLE_REDIS_PORT", DEFAULT_REDIS_PORT)),
    help="Use the Redis server on this port if one answers (default: 6379).",
)
@click.argument("spin_args", nargs=-1, type=click.UNPROCESSED)
def main(listen: str, redis_port: int, spin_args: tuple[str, ...]) -> None:
    """Build and run the three-trigger demo app; extra arguments go to `spin up`."""
    check_listen_address_free(listen)
    built = build_wasm()
    click.echo(f"Built {', '.join(p.name for p in built)} in {DEMO_DIR / 'build'}.")
    prepare_log_dir()
    with redis_for_demo(redis_port) as port:
        code = run_app(listen, port, spin_args)
    sys.exit(code)


if __name__ == "__main__":
    main()
