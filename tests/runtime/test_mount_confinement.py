"""A guest sees what the manifest mounts and nothing else, whatever links a mounted directory
holds: in read-only and transient-write mode, for WAGI commands, Spin 1.x modules and
components. Links that leave the mount refuse the app's start; links inside it work; failed
starts leave no private copy behind, and stale copies are swept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spin.errors import SpinError
from spin.mount_confinement import OutsideMount, resolve_beneath
from spin.runtime import HttpRequest, Runtime, RuntimeConfig
from spin.runtime.wasi.files import MountedFiles
from tests.support import logs_for, wat_component

MODES = ["read-only", "transient-write"]
#: (wat, how to read `name` through the guest)
KINDS = ["wagi", "spin1", "component"]


def runtime_for(mode: str, tmp_path: Path) -> Runtime:
    writable = mode == "transient-write"
    return Runtime(
        RuntimeConfig(
            instance_timeout=5.0,
            allow_transient_write=writable,
            transient_dir=tmp_path / "transient" if writable else None,
        )
    )


def read_through(runtime: Runtime, kind: str, tmp_path: Path, mount: Path, name: str) -> bytes:
    """Load a guest of `kind` with `mount` at `/` and have it read `name` (b"" if it can't)."""
    wat = {"wagi": "wasi_files", "spin1": "spin1_http_file", "component": "http_component_hello"}
    component = wat_component(wat[kind], tmp_path, files=[(mount, "/")])
    guest = runtime.load(component, logs_for(tmp_path, component.id))
    if kind == "wagi":
        out = guest.run_command(["files", name], {}, b"")
        return b"" if out.startswith(b"error") else out
    response = guest.handle_http(HttpRequest("POST", "/", [], [], name.encode()))
    return response.body if response.status == 200 else b""


@pytest.fixture
def mount(tmp_path: Path) -> Path:
    """assets/ with a file, a link inside it, and beside it a secret and a host file."""
    assets = tmp_path / "app" / "assets"
    (assets / "sub").mkdir(parents=True)
    (assets / "hello.txt").write_text("hello\n")
    (assets / "sub" / "deep.txt").write_text("deep\n")
    os.symlink("hello.txt", assets / "ok")
    os.symlink("../hello.txt", assets / "sub" / "up")
    (tmp_path / "app" / "secret.txt").write_text("SECRET beside the mount\n")
    (tmp_path / "host.txt").write_text("HOST file\n")
    return assets


ESCAPES = {
    "absolute": lambda tmp: str(tmp / "host.txt"),  # h -> /etc/hostname
    "relative": lambda tmp: "../../secret.txt",  # r -> ../secret.txt
    "through-a-dir": lambda tmp: "../..",  # then x/secret.txt
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_link_out_of_the_mount_refuses_the_start_in_every_mode_and_guest_kind(
    tmp_path: Path, mount: Path, mode: str, kind: str, escape: str
) -> None:
    os.symlink(ESCAPES[escape](tmp_path), mount / "sub" / "x")
    runtime = runtime_for(mode, tmp_path)
    leaked, refused = b"", None
    try:
        # Before the fix this loaded, and with transient write the guest read the target.
        leaked = read_through(runtime, kind, tmp_path, mount, "sub/x")
        leaked += read_through(runtime, kind, tmp_path, mount, "sub/x/secret.txt")
    except SpinError as err:
        refused = err
    finally:
        runtime.close()
    assert b"SECRET" not in leaked and b"HOST" not in leaked
    assert refused is not None, "the app started with a link out of its mount"
    message = str(refused)
    assert f"sub/x -> {ESCAPES[escape](tmp_path)}" in message
    assert "leads outside" in message and "Replace the link" in message
    assert not list((tmp_path / "transient").glob("*/*")), "a copy was left behind"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["wagi", "spin1"])
def test_links_that_stay_inside_the_mount_work_in_both_modes(
    tmp_path: Path, mount: Path, mode: str, kind: str
) -> None:
    runtime = runtime_for(mode, tmp_path)
    try:
        assert read_through(runtime, kind, tmp_path, mount, "ok") == b"hello\n"
        assert read_through(runtime, kind, tmp_path, mount, "sub/up") == b"hello\n"
        assert read_through(runtime, kind, tmp_path, mount, "sub/deep.txt") == b"deep\n"
        assert read_through(runtime, kind, tmp_path, mount, "../secret.txt") == b""
    finally:
        runtime.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("target", "says"),
    [("missing.txt", "does not exist"), ("/etc", "leads outside"), (".", None)],
)
def test_dangling_and_tree_links_fail_cleanly_and_leave_no_copy(
    tmp_path: Path, mount: Path, mode: str, target: str, says: str | None
) -> None:
    """A dangling link, or one to a large tree, used to raise shutil.Error with a traceback and
    leave a partial copy per attempt; a link to the mount itself is copied as a link."""
    os.symlink(target, mount / "link")
    runtime = runtime_for(mode, tmp_path)
    try:
        if says is None:
            assert read_through(runtime, "wagi", tmp_path, mount, "link/hello.txt") == b"hello\n"
        else:
            with pytest.raises(SpinError, match=f"link -> {target} .*{says}"):
                read_through(runtime, "wagi", tmp_path, mount, "hello.txt")
    finally:
        runtime.close()
    assert not list((tmp_path / "transient").glob("*/*")), "a copy was left behind"


@pytest.mark.parametrize("mode", MODES)
def test_only_directories_are_mounted_as_spin_executors_mount_them(
    tmp_path: Path, mount: Path, mode: str
) -> None:
    """A lock that mounts a file, a link (even to a directory) or nothing is refused: `spin up`
    copies single files into a directory, and Spin's own executors refuse the rest too."""
    os.symlink(tmp_path / "host.txt", tmp_path / "single")
    os.symlink(mount, tmp_path / "linked-dir")
    work = tmp_path / "transient"
    for host, says in [
        (tmp_path / "host.txt", "which is no directory"),
        (tmp_path / "single", r"which is a link to .*host\.txt"),
        (tmp_path / "linked-dir", "which is a link to"),
        (tmp_path / "missing", "which is no directory"),
    ]:
        with pytest.raises(SpinError, match=f"Component 'c': the locked app mounts .*{says}"):
            MountedFiles(
                "c", [(mount, "/"), (host, "/s")], writable=mode != "read-only", work_dir=work
            )
    assert not list(work.glob("*/*")), "a copy was left behind"


def test_a_device_or_pipe_in_a_mount_is_refused(tmp_path: Path, mount: Path) -> None:
    """Copying a FIFO would block the start forever; reading one would block a worker."""
    os.mkfifo(mount / "pipe")
    with pytest.raises(SpinError, match="neither a file nor a directory"):
        MountedFiles("c", [(mount, "/")], writable=True, work_dir=tmp_path / "transient")


def test_stale_copies_of_dead_processes_are_swept_and_live_ones_kept(
    tmp_path: Path, mount: Path
) -> None:
    work = tmp_path / "transient"
    live = MountedFiles("live", [(mount, "/")], writable=True, work_dir=work)
    # A copy made by a process that was then killed, as a crash-looping executor left them.
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from spin.runtime.wasi.files import MountedFiles\n"
        "MountedFiles('dead', [(Path(sys.argv[1]), '/')], writable=True,\n"
        "             work_dir=Path(sys.argv[2]))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(mount), str(work)], check=True)
    assert len(list(work.glob("dead-files-*"))) == 1
    try:
        fresh = MountedFiles("fresh", [(mount, "/")], writable=True, work_dir=work)
        assert not list(work.glob("dead-files-*"))
        assert (live.preopens[0].host_dir / "hello.txt").read_text() == "hello\n"
        fresh.close()
    finally:
        live.close()
    assert not list(work.iterdir())


# -- resolve_beneath: the check the WASI 0.2 host applies to each guest path ------------------


def test_resolve_beneath_follows_inner_links_and_refuses_escapes(mount: Path) -> None:
    root = Path(os.path.realpath(mount))
    assert resolve_beneath(mount, "ok") == root / "hello.txt"
    assert resolve_beneath(mount, "sub/up") == root / "hello.txt"
    assert resolve_beneath(mount, "ok", follow_last=False) == root / "ok"
    assert resolve_beneath(mount, "sub/../new.txt") == root / "new.txt"
    os.symlink("../..", mount / "sub" / "out")
    os.symlink("/etc", mount / "abs")
    os.symlink("loop", mount / "loop")
    for escape in ("..", "sub/../../secret.txt", "sub/out/secret.txt", "abs/passwd", "loop"):
        with pytest.raises(OutsideMount):
            resolve_beneath(mount, escape)
    # A directory reached without following its last link is no root: `out` leads outside.
    unfollowed = resolve_beneath(mount, "sub/out", follow_last=False)
    with pytest.raises(OutsideMount, match="the directory is a link"):
        resolve_beneath(unfollowed, "secret.txt")


def test_preopens_are_real_paths_even_under_a_linked_transient_dir(
    tmp_path: Path, mount: Path
) -> None:
    (tmp_path / "real-state").mkdir()
    os.symlink(tmp_path / "real-state", tmp_path / "state")
    files = MountedFiles("c", [(mount, "/")], writable=True, work_dir=tmp_path / "state")
    try:
        host_dir = files.preopens[0].host_dir
        assert host_dir.is_relative_to(tmp_path / "real-state")
        assert resolve_beneath(host_dir, "ok") == host_dir / "hello.txt"
    finally:
        files.close()
