"""`spin trigger http` end to end: a real executor process serving real Wasm over real sockets.

One app with many components is served for the module's tests; the TLS, readiness, graceful
stop and option tests start their own executors.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from spin.locked import lock_app, write_lock
from spin.manifest import load_manifest
from tests.support import WAT_DIR, RunningExecutor, free_port, wait_for, wat_to_wasm

WAT = WAT_DIR

APP_MANIFEST = """\
spin_manifest_version = 2

[application]
name = "http-test"
version = "1.2.3"

[[trigger.http]]
route = "/echo/..."
component = "echo"

[[trigger.http]]
route = "/component/..."
component = "comp-echo"

[[trigger.http]]
route = "/users/:id"
component = "user"

[[trigger.http]]
route = "/hello"
component = "hello"

[[trigger.http]]
route = "/wagi/..."
component = "wagi"
executor = { type = "wagi" }

[[trigger.http]]
route = "/cgi"
component = "cgi"
executor = { type = "wagi" }

[[trigger.http]]
route = "/cat"
component = "cat"
executor = { type = "wagi" }

[[trigger.http]]
route = "/loop"
component = "loop"

[[trigger.http]]
route = "/trap"
component = "trap"

[[trigger.http]]
route = { private = true }
component = "private"

[[trigger.http]]
route = "/dup"
component = "dup-first"

[[trigger.http]]
route = "/dup"
component = "dup-second"

[[trigger.http]]
route = "/.well-known/spin/mine"
component = "reserved"

[component.echo]
source = "spin1_http_echo.wasm"
description = "Echoes its request"

[component.comp-echo]
source = "component_http_echo.wasm"

[component.user]
source = "spin1_http_echo.wasm"

[component.hello]
source = "spin1_http_hello.wasm"

[component.wagi]
source = "wagi_hello.wasm"
environment = { FROM_MANIFEST = "yes" }

[component.cgi]
source = "http_wagi_cgi_echo.wasm"

[component.cat]
source = "http_wagi_cat.wasm"
files = [{ source = "assets", destination = "/" }]

[component.loop]
source = "http_spin1_loop.wasm"

[component.trap]
source = "http_spin1_trap.wasm"

[component.private]
source = "spin1_http_hello.wasm"

[component.dup-first]
source = "spin1_http_hello.wasm"

[component.dup-second]
source = "spin1_http_echo.wasm"

[component.reserved]
source = "spin1_http_hello.wasm"
"""

WASM_TIMEOUT = 2.0


def build_app(app_dir: Path, manifest: str, guests: list[str]) -> Path:
    """Compile the WAT guests into `app_dir`, write the manifest and lock it; the lock's path."""
    app_dir.mkdir(parents=True, exist_ok=True)
    for name in guests:
        wat_to_wasm(WAT / f"{name}.wat", app_dir)
    (app_dir / "spin.toml").write_text(manifest)
    return write_lock(lock_app(load_manifest(app_dir / "spin.toml"), assets_dir=None), app_dir)


class Executor(RunningExecutor):
    """A `spin trigger http` process for a locked app, listening on a free port (or `port`)."""

    def __init__(
        self,
        lock: Path,
        *args: str,
        port: int | None = None,
        listen_flag: bool = True,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.port = port or free_port()
        listen = ["--listen", f"127.0.0.1:{self.port}"] if listen_flag else []
        super().__init__(
            [sys.executable, "-m", "spin", "trigger", "http", *listen, *args],
            lock.parent,
            env={"SPIN_LOCKED_URL": lock.as_uri(), **(env or {})},
            name=f"executor-{self.port}",
            preexec_fn=preexec_fn,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("http-app")
    app = root / "app"
    (app / "assets").mkdir(parents=True)
    (app / "assets" / "hello.txt").write_text("hello from a mounted file\n")
    (app / "outside.txt").write_text("must stay invisible\n")
    build_app(
        app,
        APP_MANIFEST,
        [
            "spin1_http_echo",
            "component_http_echo",
            "spin1_http_hello",
            "wagi_hello",
            "http_wagi_cgi_echo",
            "http_wagi_cat",
            "http_spin1_loop",
            "http_spin1_trap",
        ],
    )
    return app


@pytest.fixture(scope="module")
def server(app_dir: Path) -> Iterator[Executor]:
    executor = Executor(app_dir / "spin.lock", "--wasm-timeout", str(WASM_TIMEOUT))
    executor.ready_message = executor.wait_ready()  # type: ignore[attr-defined]
    yield executor
    assert executor.stop() == 0, executor.stderr()


@pytest.fixture
def client(server: Executor) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


# -- startup ------------------------------------------------------------------------------


def test_ready_after_printing_the_routes(server: Executor) -> None:
    assert server.ready_message == "READY=1"  # type: ignore[attr-defined]
    base = server.url
    out = server.stdout()
    assert f"Serving {base}\nAvailable Routes:\n" in out
    assert f"  echo: {base}/echo (wildcard)\n    Echoes its request\n" in out
    assert f"  user: {base}/users/:id\n" in out
    assert f"  comp-echo: {base}/component (wildcard)\n" in out
    assert f"  hello: {base}/hello\n" in out
    assert "private" not in out
    assert f"  dup-second: {base}/dup\n" in out and "dup-first" not in out
    # the exact routes come before the parameterised, the wildcards last (Spin's order)
    assert out.index("hello:") < out.index("user:") < out.index("echo:")


def test_duplicate_and_reserved_routes_are_reported(server: Executor) -> None:
    err = server.stderr()
    assert "duplicates and will never be used" in err
    assert "dup-first: /dup (duplicate of dup-second)" in err
    assert "/.well-known/spin/mine" in err and "will never be reached" in err


# -- Spin's own endpoints and no-match ----------------------------------------------------


def test_health_and_info(client: httpx.Client) -> None:
    health = client.get("/.well-known/spin/health")
    assert (health.status_code, health.text) == (200, "OK")
    assert "content-type" not in health.headers  # Spin sends none
    info = client.get("/.well-known/spin/info")
    assert info.status_code == 200
    assert info.headers["content-type"] == "application/json"
    assert info.json() == {"name": "http-test", "version": "1.2.3"}
    # a route under the reserved prefix is never reached
    assert client.get("/.well-known/spin/mine").status_code == 404


@pytest.mark.parametrize(
    ("path", "status_line"),
    [("/.well-known/spin/health", "HTTP/1.1 200 OK"), ("/nowhere", "HTTP/1.1 404 Not Found")],
)
def test_status_lines_carry_the_reason_phrase(
    server: Executor, path: str, status_line: str
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode())
        head = conn.makefile("rb").readline()
    assert head.decode().rstrip("\r\n") == status_line


def test_no_route_is_404_with_an_empty_body(client: httpx.Client) -> None:
    for path in ("/", "/nothing", "/hello/more", "/users/1/2"):
        response = client.get(path)
        assert (response.status_code, response.content) == (404, b""), path


# -- Spin 1.x modules ---------------------------------------------------------------------


ECHOES = pytest.mark.parametrize("echo", ["/echo", "/component"])  # Spin 1.x, component


@ECHOES
def test_guest_sees_method_uri_and_spin_headers(
    client: httpx.Client, server: Executor, echo: str
) -> None:
    response = client.get(f"{echo}/a/b?x=1&y=2", headers={"X-Custom": "value"})
    assert response.status_code == 200
    h = response.headers
    assert h["spin-echo-method"] == "GET"
    assert h["spin-echo-uri"] == f"{echo}/a/b?x=1&y=2"
    assert h["x-custom"] == "value"
    assert h["spin-full-url"] == f"{server.url}{echo}/a/b?x=1&y=2"
    assert h["spin-path-info"] == "/a/b"
    assert h["spin-matched-route"] == f"{echo}/..."
    assert h["spin-raw-component-route"] == f"{echo}/..."
    assert h["spin-component-route"] == echo
    assert h["spin-base-path"] == "/"
    host, port = h["spin-client-addr"].rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0


@pytest.mark.parametrize(
    ("path", "path_info"), [("/echo", ""), ("/echo/", "/"), ("/echo/hello", "/hello")]
)
def test_trailing_wildcard_path_info(client: httpx.Client, path: str, path_info: str) -> None:
    assert client.get(path).headers["spin-path-info"] == path_info


def test_route_parameters_reach_the_guest(client: httpx.Client) -> None:
    response = client.get("/users/42")
    assert response.headers["spin-path-match-id"] == "42"
    assert response.headers["spin-matched-route"] == "/users/:id"


@ECHOES
def test_every_spin_method_reaches_the_guest(client: httpx.Client, echo: str) -> None:
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        response = client.request(method, f"{echo}/m")
        assert response.status_code == 200
        assert response.headers["spin-echo-method"] == method


def test_other_methods_are_405_for_spin_guests_but_reach_wagi(client: httpx.Client) -> None:
    for echo in ("/echo", "/component"):
        response = client.request("PROPFIND", f"{echo}/x")
        assert (response.status_code, response.content) == (405, b"")
    wagi = client.request("PROPFIND", "/wagi/x")
    assert wagi.status_code == 200
    assert "REQUEST_METHOD=PROPFIND" in wagi.text


@ECHOES
def test_one_megabyte_body_round_trip(client: httpx.Client, echo: str) -> None:
    body = os.urandom(1024 * 1024)
    response = client.post(f"{echo}/upload", content=body)
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))


def test_keep_alive_reuses_the_connection(client: httpx.Client) -> None:
    first = client.get("/echo/1").headers["spin-client-addr"]
    second = client.get("/echo/2").headers["spin-client-addr"]
    assert first == second


def test_duplicate_route_goes_to_the_later_component(client: httpx.Client) -> None:
    assert client.get("/dup").headers.get("spin-echo-method") == "GET"


def test_component_stdout_goes_to_its_log_file(client: httpx.Client, app_dir: Path) -> None:
    log = app_dir / ".spin" / "logs" / "hello_stdout.txt"
    before = log.read_bytes().count(b"hello from spin1") if log.exists() else 0
    response = client.get("/hello")
    assert (response.status_code, response.text) == (200, "Hello, Fermyon!\n")
    wait_for(
        lambda: log.exists() and log.read_bytes().count(b"hello from spin1") > before,
        timeout=10,
        what="the hello component's stdout in its log file",
    )


def test_access_log_line_per_request(client: httpx.Client, server: Executor) -> None:
    client.get("/hello?quiet=1")
    client.get("/missing-page")
    wait_for(
        lambda: (
            "GET /hello 200 hello" in server.stderr()
            and "GET /missing-page 404 -" in server.stderr()
        ),
        what="access log lines",
    )


# -- failures -----------------------------------------------------------------------------


def test_trapping_guest_is_500_and_logged_and_serving_goes_on(
    client: httpx.Client, server: Executor, app_dir: Path
) -> None:
    response = client.get("/trap")
    assert (response.status_code, response.content) == (500, b"")
    wait_for(lambda: "component 'trap' failed:" in server.stderr(), what="the trap's log line")
    assert "Traceback" not in server.stderr()
    stderr_log = app_dir / ".spin" / "logs" / "trap_stderr.txt"
    assert b"about to trap" in stderr_log.read_bytes()
    assert client.get("/hello").status_code == 200


def test_infinite_loop_is_stopped_by_the_deadline(client: httpx.Client, server: Executor) -> None:
    started = time.monotonic()
    response = client.get("/loop")
    elapsed = time.monotonic() - started
    assert (response.status_code, response.content) == (500, b"")
    assert WASM_TIMEOUT * 0.8 <= elapsed < WASM_TIMEOUT + 8
    wait_for(lambda: "component 'loop' failed:" in server.stderr(), what="the deadline log line")
    assert client.get("/hello").status_code == 200


# -- WAGI ---------------------------------------------------------------------------------


def wagi_sections(text: str) -> dict[str, list[str]]:
    """wagi_hello's output: 'args:', 'env:' and 'stdin:' sections."""
    _, rest = text.split("args:\n", 1)
    args, rest = rest.split("env:\n", 1)
    env, stdin = rest.split("stdin:\n", 1)
    return {"args": args.splitlines(), "env": env.splitlines(), "stdin": [stdin]}


def test_wagi_gets_the_cgi_environment_argv_and_body(
    client: httpx.Client, server: Executor
) -> None:
    response = client.post(
        "/wagi/sub/path?a=1&b=2",
        content=b"the body",
        headers={"X-Test": "yes", "Content-Type": "text/x-test", "Authorization": "secret"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    out = wagi_sections(response.text)
    assert out["args"] == ["/wagi/sub/path", "a=1", "b=2"]
    assert out["stdin"] == ["the body"]
    env = dict(line.split("=", 1) for line in out["env"])
    expected = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "/wagi",
        "PATH_INFO": "/sub/path",
        "X_RAW_PATH_INFO": "/sub/path",
        "QUERY_STRING": "a=1&b=2",
        "CONTENT_LENGTH": "8",
        "CONTENT_TYPE": "text/x-test",
        "HTTP_X_TEST": "yes",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(server.port),
        "REMOTE_ADDR": "127.0.0.1",
        "X_FULL_URL": f"{server.url}/wagi/sub/path?a=1&b=2",
        "X_MATCHED_ROUTE": "/wagi/...",
        "X_COMPONENT_ROUTE": "/wagi",
        "X_RAW_COMPONENT_ROUTE": "/wagi/...",
        "X_BASE_PATH": "/",
        "FROM_MANIFEST": "yes",
    }
    assert {key: env.get(key) for key in expected} == expected
    assert "HTTP_AUTHORIZATION" not in env
    assert env["X_CLIENT_ADDR"].startswith("127.0.0.1:")


def test_wagi_argv_without_query_ends_with_an_empty_argument(client: httpx.Client) -> None:
    out = wagi_sections(client.get("/wagi").text)
    assert out["args"] == ["/wagi", ""]


@pytest.mark.parametrize(
    ("cgi_output", "status", "headers", "body"),
    [
        (
            b"Content-Type: text/html\r\n\r\n<p>hi</p>",
            200,
            {"content-type": "text/html"},
            b"<p>hi</p>",
        ),
        (b"Location: /elsewhere\n\n", 302, {"location": "/elsewhere"}, b""),
        (b"Location: /x\nStatus: 301 Moved\n\n", 301, {"location": "/x"}, b""),
        (
            b"Status: 418 I'm a teapot\nContent-Type: text/plain\nX-Extra: 1\n\nshort",
            418,
            {"x-extra": "1"},
            b"short",
        ),
        (b"Status: 204\n\n", 204, {}, b""),
        (b"Status: abc\n\n", 502, {}, b""),
        (
            b"X-Only: header\n\nbody",
            500,
            {},
            b"Exactly one of 'location' or 'content-type' must be specified",
        ),
        (
            b"no headers at all",
            500,
            {},
            b"Exactly one of 'location' or 'content-type' must be specified",
        ),
    ],
)
def test_cgi_output_becomes_the_response(
    client: httpx.Client, cgi_output: bytes, status: int, headers: dict[str, str], body: bytes
) -> None:
    response = client.post("/cgi", content=cgi_output, follow_redirects=False)
    assert response.status_code == status
    assert response.content == body
    for name, value in headers.items():
        assert response.headers[name] == value


def test_wagi_without_output_is_500(client: httpx.Client, server: Executor) -> None:
    response = client.post("/cgi", content=b"")
    assert (response.status_code, response.content) == (500, b"")
    wait_for(lambda: "wrote nothing to stdout" in server.stderr(), what="the log line")


def test_files_are_mounted_and_nothing_outside_them_is_visible(client: httpx.Client) -> None:
    response = client.get("/cat?hello.txt")
    assert (response.status_code, response.text) == (200, "hello from a mounted file\n")
    for escape in ("../outside.txt", "/etc/passwd", "missing.txt"):
        response = client.get(f"/cat?{escape}")
        assert (response.status_code, response.text) == (404, "not found\n"), escape


# -- separate executors -------------------------------------------------------------------


HELLO_MANIFEST = """\
spin_manifest_version = 2
[application]
name = "hello"
[[trigger.http]]
route = "/..."
component = "hello"
[component.hello]
source = "spin1_http_hello.wasm"
"""


@pytest.fixture
def hello_lock(tmp_path: Path) -> Path:
    return build_app(tmp_path / "hello", HELLO_MANIFEST, ["spin1_http_hello"])


def test_tls_with_http2(tmp_path: Path, hello_lock: Path) -> None:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    executor = Executor(hello_lock, "--tls-cert", str(cert_path), "--tls-key", str(key_path))
    try:
        assert executor.wait_ready() == "READY=1"
        assert f"Serving https://127.0.0.1:{executor.port}" in executor.stdout()
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with httpx.Client(verify=context, http2=True, timeout=30) as https:
            response = https.get(f"https://127.0.0.1:{executor.port}/anything")
            assert (response.status_code, response.text) == (200, "Hello, Fermyon!\n")
            assert response.http_version == "HTTP/2"
        with httpx.Client(verify=context, timeout=30) as https1:
            assert https1.get(f"https://127.0.0.1:{executor.port}/").http_version == "HTTP/1.1"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{executor.port}/", timeout=10)
    finally:
        assert executor.stop() == 0, executor.stderr()


@pytest.mark.parametrize("given", ["--tls-cert", "--tls-key"])
def test_tls_cert_and_key_require_each_other(tmp_path: Path, hello_lock: Path, given: str) -> None:
    pem = tmp_path / "some.pem"
    pem.write_text("not used")
    executor = Executor(hello_lock, given, str(pem))
    assert executor.wait_exit() != 0
    other = "--tls-key" if given == "--tls-cert" else "--tls-cert"
    err = executor.stderr()
    assert f"{given} is set but {other} is not" in err
    assert "Traceback" not in err


def test_unusable_certificate_is_a_clear_error(tmp_path: Path, hello_lock: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    key.write_text("garbage")
    executor = Executor(hello_lock, "--tls-cert", str(cert), "--tls-key", str(key))
    assert executor.wait_exit() != 0
    assert "Cannot use --tls-cert" in executor.stderr()
    assert "Traceback" not in executor.stderr()


def test_a_base_other_than_slash_is_refused_as_spin_3_does(tmp_path: Path) -> None:
    """Spin 2 put `base` in front of every route; Spin 3 refuses any base but `/`."""
    manifest = HELLO_MANIFEST.replace(
        'name = "hello"', 'name = "hello"\ntrigger.http.base = "/api"'
    )
    executor = Executor(build_app(tmp_path / "app", manifest, ["spin1_http_hello"]))
    assert executor.wait_exit() != 0
    err = executor.stderr()
    assert "using the deprecated trigger 'base' field (base = '/api')" in err
    assert 'route = "/api/hello"' in err and "Traceback" not in err


def test_base_slash_is_served_with_a_warning(tmp_path: Path) -> None:
    manifest = HELLO_MANIFEST.replace('name = "hello"', 'name = "hello"\ntrigger.http.base = "/"')
    executor = Executor(build_app(tmp_path / "app", manifest, ["spin1_http_hello"]))
    try:
        assert executor.wait_ready() == "READY=1"
        assert httpx.get(f"{executor.url}/x", timeout=30).status_code == 200
        assert "deprecated trigger 'base' set to the default value '/'" in executor.stderr()
    finally:
        assert executor.stop() == 0


def test_busy_port_is_a_clear_error(hello_lock: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        executor = Executor(hello_lock, port=taken.getsockname()[1])
        assert executor.wait_exit() != 0
    assert "Unable to listen on 127.0.0.1:" in executor.stderr()


def test_listen_address_from_the_environment(hello_lock: Path) -> None:
    port = free_port()
    executor = Executor(
        hello_lock, port=port, listen_flag=False, env={"SPIN_HTTP_LISTEN_ADDR": f"127.0.0.1:{port}"}
    )
    try:
        assert executor.wait_ready() == "READY=1"
        assert f"Serving http://127.0.0.1:{port}\n" in executor.stdout()
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    finally:
        assert executor.stop() == 0


def test_bad_listen_address_is_a_clear_error(hello_lock: Path) -> None:
    executor = Executor(hello_lock, listen_flag=False, env={"SPIN_HTTP_LISTEN_ADDR": "nowhere"})
    assert executor.wait_exit() != 0
    assert "is not an address and port" in executor.stderr()
    assert "Traceback" not in executor.stderr()


WAIT_MANIFEST = """\
spin_manifest_version = 2
[application]
name = "waiting"
[[trigger.http]]
route = "/wait"
component = "wait"
executor = { type = "wagi" }
[[trigger.http]]
route = "/hello"
component = "hello"
[component.wait]
source = "http_wagi_wait.wasm"
files = [{ source = "gate", destination = "/" }]
[component.hello]
source = "spin1_http_hello.wasm"
"""


def test_graceful_stop_finishes_the_request_in_flight(tmp_path: Path) -> None:
    app = tmp_path / "wait"
    (app / "gate").mkdir(parents=True)
    lock = build_app(app, WAIT_MANIFEST, ["http_wagi_wait", "spin1_http_hello"])
    executor = Executor(
        lock, "--wasm-timeout", "60", env={"SPIN_LOG_LEVEL": "DEBUG", "SPIN_SHUTDOWN_GRACE": "30"}
    )
    executor.wait_ready()
    results: list[httpx.Response | Exception] = []

    def request_in_flight() -> None:
        try:
            results.append(httpx.get(f"{executor.url}/wait", timeout=60))
        except Exception as err:  # reported by the assertion below
            results.append(err)

    thread = threading.Thread(target=request_in_flight)
    thread.start()
    try:
        wait_for(
            lambda: "calling component 'wait'" in executor.stderr(),
            timeout=30,
            what="the request to reach the guest",
        )
        executor.process.send_signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", executor.port), timeout=1):
                    return False
            except OSError:
                return True

        wait_for(refused, timeout=30, what="the listener to close after SIGTERM")
        assert executor.process.poll() is None, "exited with a request in flight"
        (app / "gate" / "go").write_text("")
        thread.join(timeout=60)
        assert len(results) == 1 and isinstance(results[0], httpx.Response), results
        assert (results[0].status_code, results[0].text) == (200, "done\n")
        assert executor.process.wait(timeout=30) == 0
    finally:
        (app / "gate" / "go").touch()
        thread.join(timeout=60)
        executor.stop()


def test_sigint_stops_an_idle_executor_with_exit_code_0(hello_lock: Path) -> None:
    executor = Executor(hello_lock)
    executor.wait_ready()
    assert httpx.get(f"{executor.url}/x", timeout=30).status_code == 200
    assert executor.stop(signal.SIGINT) == 0


def test_launch_metadata_lists_the_http_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "spin", "trigger", "http", "--launch-metadata-only"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    flags = {flag["long"] for flag in json.loads(result.stderr)["all_flags"]}
    assert {"--listen", "--tls-cert", "--tls-key", "--wasm-timeout"} <= flags
