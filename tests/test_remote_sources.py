"""Remote component sources, served by a real HTTP server on loopback: download, cache hit,
resumed download, digest mismatch, offline with and without a cached copy, and the lock naming
the local copy."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spin.errors import SpinError
from spin.locked import lock_app
from spin.manifest import load_manifest
from spin.remote_sources import cached_path, fetch_source

WASM = b"\0asm\1\0\0\0"


class Served:
    """Files served at `/<name>`, honouring `Range: bytes=N-`; the requests seen."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.requests.append((self.path, self.headers.get("range")))
                body = served.files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                start = int(self.headers["range"][6:-1]) if self.headers.get("range") else 0
                self.send_response(206 if start else 200)
                self.send_header("content-length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.stop()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_a_source_is_downloaded_once_then_served_from_the_cache(
    served: Served, tmp_path: Path
) -> None:
    served.files["a.wasm"] = WASM
    path = fetch_source(served.url("a.wasm"), digest_of(WASM), what="x", cache_dir=tmp_path)
    assert path == cached_path(digest_of(WASM), tmp_path) and path.read_bytes() == WASM
    again = fetch_source(served.url("a.wasm"), digest_of(WASM), what="x", cache_dir=tmp_path)
    assert again == path
    assert served.requests == [("/a.wasm", None)]


def test_a_wrong_digest_is_refused_with_both_digests_and_nothing_kept(
    served: Served, tmp_path: Path
) -> None:
    served.files["a.wasm"] = WASM
    wrong = "sha256:" + "0" * 64
    with pytest.raises(SpinError) as caught:
        fetch_source(served.url("a.wasm"), wrong, what="component 'a'", cache_dir=tmp_path)
    message = str(caught.value)
    assert f"the manifest says {wrong}, the download is {digest_of(WASM)}" in message
    assert "component 'a'" in message and served.url("a.wasm") in message
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_offline_with_a_cached_copy_works_and_without_one_names_the_url(
    served: Served, tmp_path: Path
) -> None:
    served.files["a.wasm"] = WASM
    url = served.url("a.wasm")
    fetch_source(url, digest_of(WASM), what="x", cache_dir=tmp_path)
    served.stop()  # the network is gone: the port refuses connections
    assert fetch_source(url, digest_of(WASM), what="x", cache_dir=tmp_path).read_bytes() == WASM
    other = digest_of(b"other")
    with pytest.raises(SpinError, match=f"Cannot download the source of component 'b' from {url}"):
        fetch_source(url, other, what="component 'b'", cache_dir=tmp_path)


def test_a_missing_file_names_the_status(served: Served, tmp_path: Path) -> None:
    with pytest.raises(SpinError, match="answered 404 Not Found"):
        fetch_source(served.url("nope.wasm"), digest_of(WASM), what="x", cache_dir=tmp_path)


def test_an_interrupted_download_is_resumed(served: Served, tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    served.files["big.wasm"] = data
    target = cached_path(digest_of(data), tmp_path)
    target.parent.mkdir(parents=True)
    target.with_name(target.name + ".part").write_bytes(data[:100_000])
    path = fetch_source(served.url("big.wasm"), digest_of(data), what="x", cache_dir=tmp_path)
    assert path.read_bytes() == data
    assert served.requests == [("/big.wasm", "bytes=100000-")]


def test_a_large_download_reports_its_progress(served: Served, tmp_path: Path) -> None:
    data = b"\1" * (3 * 1024 * 1024)
    served.files["big.wasm"] = data
    lines: list[str] = []
    url = served.url("big.wasm")
    fetch_source(url, digest_of(data), what="x", cache_dir=tmp_path, progress=lines.append)
    assert lines[-1] == f"Downloading {url}: 100% (3.0 of 3.0 MiB)"
    assert 2 <= len(lines) <= 10


def test_the_lock_names_the_cached_copy_as_spin_does(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPIN_DATA_DIR", str(tmp_path / "data"))
    served.files["hello.wasm"] = WASM
    app = tmp_path / "app"
    app.mkdir()
    (app / "spin.toml").write_text(
        'spin_manifest_version = 2\n[application]\nname = "remote"\n'
        '[[trigger.http]]\nroute = "/..."\ncomponent = "hello"\n[component.hello]\n'
        f'source = {{ url = "{served.url("hello.wasm")}", digest = "{digest_of(WASM)}" }}\n'
    )
    locked = lock_app(load_manifest(app / "spin.toml"), assets_dir=None)
    source = locked["components"][0]["source"]
    cached = cached_path(digest_of(WASM), tmp_path / "data" / "sources")
    assert source == {"content_type": "application/wasm", "source": cached.as_uri()}
