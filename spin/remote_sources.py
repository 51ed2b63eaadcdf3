"""Remote component sources, `source = { url = "https://.../x.wasm", digest = "sha256:..." }`:
downloaded once, checked against their digest and kept in a cache keyed by that digest, as
Spin's loader does (crates/loader, `load_http_source`).

- The cache is `<data dir>/sources/sha256/<hex>` (the data dir as for plugins: `SPIN_DATA_DIR`,
  else `$XDG_DATA_HOME/spin`, else `~/.local/share/spin`). A cached file is used without going
  to the network, so an app whose sources are cached starts offline.
- A download goes to `<hex>.part` first and is renamed into place only once its digest
  matches. An interrupted download is resumed from where it stopped (an HTTP `Range` request;
  a server that ignores it sends the whole file again).
- A download whose digest differs is refused with both digests, and its bytes are deleted.
- Large downloads (1 MiB and up) report their progress on stderr every tenth of the way.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from spin.data_dir import spin_data_dir
from spin.errors import SpinError

if TYPE_CHECKING:
    import httpx

DIGEST_PREFIX = "sha256:"
#: Downloads at least this large report their progress.
PROGRESS_FROM = 1024 * 1024
_CHUNK = 64 * 1024
#: Seconds to connect and between bytes; a source is one file, so no overall limit.
TIMEOUT = 30.0

Progress = Callable[[str], None]


def cached_path(digest: str, cache_dir: Path | None = None) -> Path:
    """Where the source with this digest is (or will be) kept."""
    root = cache_dir if cache_dir is not None else spin_data_dir() / "sources"
    return root / "sha256" / digest.removeprefix(DIGEST_PREFIX).lower()


def fetch_source(
    url: str,
    digest: str,
    *,
    what: str,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """The local path of the remote source `url` with `digest`, downloaded unless cached.
    `what` names the source in errors (`component 'hello'`). Raises SpinError."""
    target = cached_path(digest, cache_dir)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    _download(url, partial, what, progress or _print_progress)
    actual = DIGEST_PREFIX + _sha256(partial)
    if actual != digest.lower():
        partial.unlink(missing_ok=True)
        raise SpinError(
            f"The source of {what}, {url}, has the wrong digest: the manifest says {digest}, "
            f"the download is {actual}. Fix the `digest` (if the file changed on purpose) or "
            "the `url`; nothing was kept."
        )
    partial.replace(target)
    return target


def _download(url: str, partial: Path, what: str, progress: Progress) -> None:
    import httpx  # here: spin up imports it only when something is downloaded

    have = partial.stat().st_size if partial.is_file() else 0
    headers = {"range": f"bytes={have}-"} if have else {}
    try:
        with httpx.stream(
            "GET", url, headers=headers, follow_redirects=True, timeout=TIMEOUT
        ) as response:
            if response.status_code == 416 and have:  # the part file is already whole
                return
            if response.status_code >= 400:
                raise SpinError(
                    f"Cannot download the source of {what}: {url} answered "
                    f"{response.status_code} {response.reason_phrase}. Check the `url`."
                )
            resumed = response.status_code == 206
            _save(response, partial, resumed, have if resumed else 0, url, progress)
    except httpx.HTTPError as err:
        raise SpinError(
            f"Cannot download the source of {what} from {url}: {err or type(err).__name__}. "
            "Connect to the network and run again (once downloaded, a source is cached and "
            "needs no network)."
        ) from None


def _save(
    response: httpx.Response, partial: Path, resumed: bool, start: int, url: str, progress: Progress
) -> None:
    length = int(response.headers.get("content-length", 0) or 0)
    total = start + length
    reporter = _Reporter(url, total, progress) if total >= PROGRESS_FROM else None
    done = start
    with partial.open("ab" if resumed else "wb") as out:
        for chunk in response.iter_bytes(_CHUNK):
            out.write(chunk)
            done += len(chunk)
            if reporter is not None:
                reporter.update(done)


class _Reporter:
    """Says how far a large download has come, every tenth of the way."""

    def __init__(self, url: str, total: int, progress: Progress) -> None:
        self.url, self.total, self.progress = url, total, progress
        self.next_tenth = 1

    def update(self, done: int) -> None:
        tenths = done * 10 // self.total
        if tenths < self.next_tenth:
            return
        self.next_tenth = tenths + 1
        mib = 1024 * 1024
        self.progress(
            f"Downloading {self.url}: {tenths * 10}% ({done / mib:.1f} of "
            f"{self.total / mib:.1f} MiB)"
        )


def _print_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
