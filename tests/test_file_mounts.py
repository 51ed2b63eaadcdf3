"""A component's `files` in the locked app, as Spin 3 writes them: copied into
`<working dir>/assets/<component id>` and mounted from there at `/` (globs, `exclude_files`,
`{ source, destination }` pairs, nested destinations), or, with `--direct-mounts`, directories
mounted where they are and everything else refused. Guests of every kind see the copied files;
links that leave a copied directory stop the lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spin import file_mounts
from spin.errors import SpinError
from spin.locked import LockedApp, lock_app, path_from_url, write_lock
from spin.manifest import load_manifest
from spin.runtime.wasi.files import MountedFiles
from spin.runtime.wasi.p2 import filesystem as fs
from spin.runtime.wasi.p2.host import Err, WasiCall
from spin.trigger.app_loader import load_app_from_env
from tests.manifests import EMPTY_MODULE
from tests.runtime.test_mount_confinement import MODES, read_through, runtime_for
from tests.test_lock_shape import assert_spin_shape, files_in

HEAD = """spin_manifest_version = 2
[application]
name = "files"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
"""
APP = (
    HEAD
    + """files = [
  "static/**/*",
  "notes.txt",
  { source = "config/app.toml", destination = "/etc/app/app.toml" },
  { source = "data", destination = "/srv/data/deep" },
  "docs",
]
exclude_files = ["static/**/*.map", "docs/draft-*"]
"""
)
#: What the guest of APP sees: the selected files at their guest paths, nothing else.
EXPECTED = {
    "/static/index.html": b"<h1>hi</h1>",
    "/static/css/site.css": b"body {}",
    "/notes.txt": b"notes",
    "/etc/app/app.toml": b"debug = true",
    "/srv/data/deep/a.txt": b"a",
    "/srv/data/deep/sub/b.txt": b"b",
    "/docs/guide.md": b"# guide",
}
NOT_SELECTED = {
    "static/css/site.css.map": b"{}",  # exclude_files
    "docs/draft-1.md": b"# draft",  # exclude_files
    "config/other.toml": b"secret = 1",  # beside a mounted file
}


def write(app: Path, manifest: str, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_bytes(content)
    (app / "web.wasm").write_bytes(EMPTY_MODULE)
    (app / "spin.toml").write_text(manifest)
    return app / "spin.toml"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """APP's manifest, with every file it selects and the ones it must leave out."""
    selected = {
        {"/etc/app/app.toml": "config/app.toml"}.get(
            guest, guest.replace("/srv/data/deep", "data")
        ).lstrip("/"): content
        for guest, content in EXPECTED.items()
    }
    return write(tmp_path / "app", APP, {**selected, **NOT_SELECTED})


def test_the_copy_holds_exactly_what_files_select_and_is_the_one_mount(
    manifest: Path, tmp_path: Path
) -> None:
    assets = tmp_path / "work" / "assets"
    document = lock_app(load_manifest(manifest), assets_dir=assets)
    assert_spin_shape(document)
    [component] = document["components"]
    assert component["files"] == [{"source": (assets / "web").as_uri(), "path": "/"}]
    assert files_in(assets / "web") == EXPECTED
    assert sorted(p.name for p in assets.iterdir()) == ["web"]  # no partial copy left


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The sources copied into a working directory from now on (the copy still happens)."""
    copied: list[Path] = []
    copy = file_mounts._copy
    monkeypatch.setattr(file_mounts, "_copy", lambda *args: copied.append(args[1]) or copy(*args))
    return copied


def test_the_copy_is_kept_when_unchanged_and_replaced_when_an_asset_changes(
    manifest: Path, tmp_path: Path, copies: list[Path]
) -> None:
    """A reload locks again into the same directory: a running executor keeps its files unless
    they changed (its part of the app then changed too, and it is restarted), and an unchanged
    app is not copied again (globs, exclusions, pairs, nested destinations)."""
    os.symlink("a.txt", manifest.parent / "data" / "link")
    assets = tmp_path / "work" / "assets"
    lock_app(load_manifest(manifest), assets_dir=assets)
    first, copied = (assets / "web").stat().st_ino, len(copies)
    assert copied == len(load_manifest(manifest).components["web"].files) == 8
    assert (assets / "web" / "srv" / "data" / "deep" / "link").read_bytes() == b"a"
    lock_app(load_manifest(manifest), assets_dir=assets)
    assert (assets / "web").stat().st_ino == first and len(copies) == copied
    (manifest.parent / "notes.txt").write_bytes(b"edited notes")
    assert (assets / "web" / "notes.txt").read_bytes() == b"notes"  # a copy: not live
    lock_app(load_manifest(manifest), assets_dir=assets)
    assert (assets / "web" / "notes.txt").read_bytes() == b"edited notes"
    assert sorted(p.name for p in assets.iterdir()) == ["web"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["wagi", "spin1"])
def test_guests_see_the_copied_files_and_nothing_else(
    manifest: Path, tmp_path: Path, kind: str, mode: str
) -> None:
    mount = locked_mount(manifest, tmp_path)
    runtime = runtime_for(mode, tmp_path)
    try:
        for path, content in visible().items():
            assert read_through(runtime, kind, tmp_path, mount, path) == content, path
    finally:
        runtime.close()


@pytest.mark.parametrize("mode", MODES)
def test_components_see_the_copied_files_and_nothing_else(
    manifest: Path, tmp_path: Path, mode: str
) -> None:
    """Through the WASI 0.2 filesystem functions a component's guest calls."""
    writable = mode == "transient-write"
    files = MountedFiles(
        "web",
        [(locked_mount(manifest, tmp_path), "/")],
        writable=writable,
        work_dir=tmp_path / "transient" if writable else None,
    )
    call = WasiCall(env=[], files=files)
    [(root, guest)] = fs.get_directories(call)
    try:
        assert guest == "/"
        for path, content in visible().items():
            try:
                opened = fs.open_at(call, root, {"symlink-follow"}, path, set(), {"read"})
            except Err:
                assert content == b"", path
                continue
            assert fs.read(call, opened, 100, 0)[0] == content, path
    finally:
        root.close()
        files.close()


def locked_mount(manifest: Path, tmp_path: Path) -> Path:
    """The one directory the lock (as `spin up` writes it) mounts at `/` for `web`."""
    work = tmp_path / "work"
    lock = write_lock(lock_app(load_manifest(manifest), assets_dir=work / "assets"), work)
    [(mount, guest)] = LockedApp.from_file(lock).component("web").files
    assert guest == "/"
    return mount


def visible() -> dict[str, bytes]:
    """Guest path (relative to `/`) -> what a guest must read there (b"": nothing)."""
    shown = ("srv/data/deep/sub/b.txt", "etc/app/app.toml", "static/index.html")
    hidden = (*NOT_SELECTED, "../secret.txt")
    return {**{path: EXPECTED[f"/{path}"] for path in shown}, **dict.fromkeys(hidden, b"")}


DIRECTORY_APP = HEAD + 'files = [{ source = "assets", destination = "/" }]\n'


def test_a_copied_directory_keeps_its_inner_links_and_a_link_out_stops_the_lock(
    tmp_path: Path, copies: list[Path]
) -> None:
    manifest = write(
        tmp_path / "app", DIRECTORY_APP, {"assets/hello.txt": b"hello", "secret.txt": b"SECRET"}
    )
    os.symlink("hello.txt", tmp_path / "app" / "assets" / "ok")
    assets = tmp_path / "work" / "assets"
    lock_app(load_manifest(manifest), assets_dir=assets)
    assert os.readlink(assets / "web" / "ok") == "hello.txt"
    assert len(copies) == 1
    lock_app(load_manifest(manifest), assets_dir=assets)  # unchanged, links and all: kept
    assert len(copies) == 1
    os.symlink("../secret.txt", tmp_path / "app" / "assets" / "out")
    with pytest.raises(SpinError) as refused:
        lock_app(load_manifest(manifest), assets_dir=assets)
    message = str(refused.value)
    assert "Component 'web'" in message and str((tmp_path / "app" / "assets").resolve()) in message
    assert "out -> ../secret.txt" in message and "leads outside" in message
    assert "Replace the link" in message
    assert not (assets / "web" / "out").exists()


def test_two_entries_at_one_guest_path_are_a_clear_error(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "app",
        HEAD + 'files = ["a.txt", { source = "b", destination = "/a.txt" }]\n',
        {"a.txt": b"a", "b/c.txt": b"c"},
    )
    with pytest.raises(SpinError, match=r"Component 'web': cannot copy .* \(the guest's /a\.txt\)"):
        lock_app(load_manifest(manifest), assets_dir=tmp_path / "work" / "assets")
    assert not list((tmp_path / "work" / "assets").iterdir())  # no partial copy left


# -- --direct-mounts ---------------------------------------------------------------------------


def test_direct_mounts_mount_directories_in_place_and_edits_are_seen_live(
    tmp_path: Path,
) -> None:
    manifest = write(
        tmp_path / "app",
        HEAD + 'files = ["docs", { source = "data", destination = "/srv/data" }]\n',
        {"docs/guide.md": b"# guide", "data/a.txt": b"a"},
    )
    document = lock_app(load_manifest(manifest), assets_dir=None)
    assert_spin_shape(document)
    app_dir = (tmp_path / "app").resolve()
    assert document["components"][0]["files"] == [
        {"source": (app_dir / "docs").as_uri(), "path": "/docs"},
        {"source": (app_dir / "data").as_uri(), "path": "/srv/data"},
    ]
    lock = write_lock(document, tmp_path / "work")
    [docs, _] = LockedApp.from_file(lock).component("web").files
    runtime = runtime_for("read-only", tmp_path)
    try:
        assert read_through(runtime, "wagi", tmp_path, docs[0], "guide.md") == b"# guide"
        (tmp_path / "app" / "docs" / "guide.md").write_bytes(b"# edited")
        assert read_through(runtime, "wagi", tmp_path, docs[0], "guide.md") == b"# edited"
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ('files = ["static/*.html"]', r"component\.web\.files\[0\] \('static/\*\.html'\) is not"),
        ('files = ["notes.txt"]', r"component\.web\.files\[0\] \('notes\.txt'\) is not a dir"),
        (
            'files = [{ source = "notes.txt", destination = "/n.txt" }]',
            r"component\.web\.files\[0\] \('notes\.txt'\) is not a directory",
        ),
        ('files = ["static"]\nexclude_files = ["static/*.map"]', "has `exclude_files`"),
    ],
)
def test_direct_mounts_refuse_what_spin_refuses(tmp_path: Path, files: str, says: str) -> None:
    manifest = write(
        tmp_path / "app", HEAD + files + "\n", {"static/i.html": b"i", "notes.txt": b"n"}
    )
    with pytest.raises(SpinError, match=says) as refused:
        lock_app(load_manifest(manifest), assets_dir=None)
    assert str(manifest) in str(refused.value)
    assert "run without --direct-mounts" in str(refused.value).replace("Run", "run")


def test_direct_mounts_refuse_a_directory_that_links_out_of_the_app(tmp_path: Path) -> None:
    """An empty directory gives the loader no file to check; mounted live, whatever appears in
    its target later would be the guest's."""
    (tmp_path / "outside").mkdir()
    manifest = write(tmp_path / "app", HEAD + 'files = ["static"]\n', {"notes.txt": b"n"})
    os.symlink(tmp_path / "outside", tmp_path / "app" / "static")
    with pytest.raises(SpinError, match=r"is a link to .*outside, outside the application dir"):
        lock_app(load_manifest(manifest), assets_dir=None)


# -- an executor that locks the manifest itself ------------------------------------------------


def test_an_executor_given_only_the_manifest_copies_into_its_working_dir(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPIN_LOCKED_URL", raising=False)
    monkeypatch.setenv("SPIN_MANIFEST_URL", manifest.as_uri())
    monkeypatch.setenv("SPIN_WORKING_DIR", str(tmp_path / "work"))
    [(mount, guest)] = load_app_from_env().app.component("web").files
    assert (mount, guest) == ((tmp_path / "work" / "assets" / "web").resolve(), "/")
    assert files_in(mount) == EXPECTED
    monkeypatch.delenv("SPIN_WORKING_DIR")
    [(mount, _)] = load_app_from_env().app.component("web").files
    assert mount == (manifest.parent / ".spin" / "up" / "assets" / "web").resolve()
    assert path_from_url(mount.as_uri()) == mount


def test_a_pulled_app_is_copied_again_or_mounted_directly(tmp_path: Path) -> None:
    """`spin up -f <registry reference>` runs a pulled lock (its files one directory) through
    the same locking: copied into the working directory, or mounted in place."""
    from spin.registry.as_manifest import manifest_from_lock

    pulled = tmp_path / "pulled"
    files = {"assets/web/notes.txt": b"notes"}
    manifest = write(pulled, HEAD + 'files = ["assets/web"]\n', files)
    lock = write_lock(lock_app(load_manifest(manifest), assets_dir=pulled / "a"), pulled)
    app = manifest_from_lock(lock)
    copied = lock_app(app, assets_dir=tmp_path / "work" / "assets")["components"][0]["files"]
    assert copied == [{"source": (tmp_path / "work" / "assets" / "web").as_uri(), "path": "/"}]
    assert files_in(tmp_path / "work" / "assets" / "web") == {"/assets/web/notes.txt": b"notes"}
    direct = lock_app(app, assets_dir=None)["components"][0]["files"]
    assert direct == [{"source": (pulled / "a" / "web").resolve().as_uri(), "path": "/"}]


@pytest.mark.parametrize("files", ['["**/*"]', '[{ source = ".", destination = "/" }]'])
def test_a_working_dir_inside_the_app_is_never_copied_into_itself(
    tmp_path: Path, files: str
) -> None:
    """`spin up --exec` locks into <app dir>/.spin/up: the whole app mounted must not bring
    earlier copies (or the copy being made) along, run after run."""
    app = tmp_path / "app"
    manifest = write(app, HEAD + f"files = {files}\n", {"notes.txt": b"notes"})
    assets = app / ".spin" / "up" / "assets"
    for _ in range(2):
        lock_app(load_manifest(manifest), assets_dir=assets)
    copied = files_in(assets / "web")
    assert copied["/notes.txt"] == b"notes"
    assert not [path for path in copied if path.startswith("/.spin")]
