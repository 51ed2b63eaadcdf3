"""Loading `spin.toml`: read and parse the file, detect its version, validate and normalise it.

Whatever the input, the only exception that leaves `load_manifest` is `ManifestError`, which
names the file, the TOML path of the field, the problem and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli

from spin.errors import ManifestError
from spin.manifest.checks import Checker
from spin.manifest.model import AppManifest
from spin.manifest.v1 import load_v1
from spin.manifest.v2 import load_v2

_VERSION_FIX = 'Start the manifest with `spin_manifest_version = 2` (or `"1"` for the old format).'


def load_manifest(path: Path) -> AppManifest:
    """Load, validate and normalise a v1 or v2 manifest; paths in the result are absolute.
    A `.wasm` file is an app of its own, as Spin runs one (see `bare_wasm_document`)."""
    path = Path(path).absolute()
    check = Checker(path)
    if path.suffix == ".wasm":
        return load_v2(check, bare_wasm_document(path), path)
    document = _parse(check, path)
    version = document.get("spin_manifest_version", document.get("spin_version"))
    field = "spin_manifest_version" if "spin_manifest_version" in document else "spin_version"
    if version == "1":
        return load_v1(check, document, path)
    if type(version) is int and version == 2 and field == "spin_manifest_version":
        return load_v2(check, document, path)
    if version is None:
        check.fail("spin_manifest_version", "missing field `spin_manifest_version`.", _VERSION_FIX)
    check.fail(field, f"unsupported manifest version {version!r}.", _VERSION_FIX)


def bare_wasm_document(wasm: Path) -> dict[str, Any]:
    """The manifest Spin makes for `spin up -f app.wasm`: an app named after the file, one HTTP
    trigger on `/...` whose inline component is the file."""
    return {
        "spin_manifest_version": 2,
        "application": {"name": wasm.stem or "wasm-file"},
        "trigger": {"http": [{"route": "/...", "component": {"source": wasm.name}}]},
    }


def _parse(check: Checker, path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ManifestError(
            path, "", "the file does not exist.", "Check the path, or pass it with `-f`."
        ) from None
    except OSError as err:
        raise ManifestError(path, "", f"cannot read the file: {err.strerror or err}.") from None
    except UnicodeDecodeError as err:
        raise ManifestError(
            path, "", f"the file is not UTF-8 text (byte {err.start}).", "Save it as UTF-8."
        ) from None
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        where = f" at line {err.lineno}, column {err.colno}" if err.lineno else ""
        raise ManifestError(
            path, "", f"TOML syntax error{where}: {err.msg}.", "Fix the TOML syntax there."
        ) from None
    except RecursionError:
        check.fail("", "the TOML is nested too deeply to read.", "Flatten it.")
