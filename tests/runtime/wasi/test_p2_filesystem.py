"""The WASI 0.2 filesystem host functions over a component's real mounts (MountedFiles):
what a guest can open and read, that nothing leads out of the mount, and that only a
transient-write mount can be changed. The functions are called as the linker calls them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from spin.runtime.wasi.files import MountedFiles
from spin.runtime.wasi.p2 import filesystem as fs
from spin.runtime.wasi.p2.host import Err, WasiCall


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    root = tmp_path / "app" / "assets"
    (root / "sub").mkdir(parents=True)
    (root / "hello.txt").write_text("hello\n")
    (root / "sub" / "deep.txt").write_text("deep\n")
    os.symlink("../hello.txt", root / "sub" / "up")
    (tmp_path / "app" / "secret.txt").write_text("SECRET\n")
    return root


def call_with(files: MountedFiles) -> Iterator[tuple[WasiCall, fs.Descriptor]]:
    call = WasiCall(env=[], files=files)
    [(root, guest_path)] = fs.get_directories(call)
    assert guest_path == "/static"
    yield call, root
    root.close()
    files.close()


@pytest.fixture
def read_only(assets: Path) -> Iterator[tuple[WasiCall, fs.Descriptor]]:
    yield from call_with(MountedFiles("c", [(assets, "/static")], writable=False, work_dir=None))


@pytest.fixture
def writable(assets: Path, tmp_path: Path) -> Iterator[tuple[WasiCall, fs.Descriptor]]:
    files = MountedFiles("c", [(assets, "/static")], writable=True, work_dir=tmp_path / "work")
    yield from call_with(files)


def open_file(call: WasiCall, root: fs.Descriptor, path: str, **flags: set[str]) -> fs.Descriptor:
    return fs.open_at(
        call,
        root,
        {"symlink-follow"},
        path,
        flags.get("open_flags", set()),
        flags.get("flags", {"read"}),
    )


def test_files_are_read_and_listed_through_the_preopen(read_only: tuple) -> None:
    call, root = read_only
    assert fs.get_type(call, root) == "directory"
    assert fs.get_flags(call, root) == {"read"}
    hello = open_file(call, root, "hello.txt")
    assert fs.read(call, hello, 100, 0) == (b"hello\n", True)
    assert fs.stat(call, hello)["size"] == 6
    stream = fs.read_via_stream(call, hello, 2)
    assert stream.read(call, 100) == b"llo\n"
    through_link = open_file(call, root, "sub/up")
    assert fs.read(call, through_link, 100, 0)[0] == b"hello\n"
    entries = fs.read_directory(call, root)
    names = [entry["name"] for entry in iter(lambda: entries.next(), None)]
    assert names == ["hello.txt", "sub"]


@pytest.mark.parametrize("path", ["../secret.txt", "sub/../../secret.txt", "/etc/hostname"])
def test_nothing_outside_the_mount_can_be_reached(read_only: tuple, path: str) -> None:
    call, root = read_only
    with pytest.raises(Err) as refused:
        open_file(call, root, path)
    assert refused.value.payload in ("not-permitted", "no-entry")
    sub = open_file(call, root, "sub", open_flags={"directory"})
    with pytest.raises(Err, match="not-permitted"):
        open_file(call, sub, "up")  # a link above the descriptor's own directory


def test_a_read_only_mount_refuses_every_change(read_only: tuple) -> None:
    call, root = read_only
    for attempt in (
        lambda: open_file(call, root, "new.txt", open_flags={"create"}, flags={"write"}),
        lambda: open_file(call, root, "hello.txt", flags={"read", "write"}),
        lambda: fs.types.functions["[method]descriptor.unlink-file-at"](call, root, "hello.txt"),
        lambda: fs.types.functions["[method]descriptor.create-directory-at"](call, root, "d"),
    ):
        with pytest.raises(Err, match="read-only"):
            attempt()


def test_a_transient_write_mount_changes_a_private_copy(writable: tuple, assets: Path) -> None:
    call, root = writable
    assert fs.get_flags(call, root) == {"read", "mutate-directory"}
    new = open_file(call, root, "new.txt", open_flags={"create"}, flags={"read", "write"})
    assert fs.write(call, new, b"written", 0) == 7
    assert fs.read(call, new, 100, 0) == (b"written", True)
    fs.types.functions["[method]descriptor.unlink-file-at"](call, root, "hello.txt")
    assert (assets / "hello.txt").read_text() == "hello\n"  # the original is untouched
    assert not (assets / "new.txt").exists()
