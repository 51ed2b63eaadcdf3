"""Property: whatever the TOML (valid or not), `load_manifest` raises only `ManifestError`, and
a manifest it accepts always locks into a JSON document."""

from __future__ import annotations

import datetime
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spin.errors import ManifestError
from spin.locked import lock_app, write_lock
from spin.manifest import load_manifest
from tests.manifests import copy_app
from tests.support import TESTS_DIR

# Keys the loader knows, so that generated documents reach deep into its checks.
KEYS = [
    "spin_manifest_version", "spin_version", "application", "name", "version", "authors",
    "trigger", "http", "redis", "timer", "type", "id", "component", "components", "route",
    "source", "url", "digest", "files", "destination", "exclude_files", "variables", "config",
    "default", "required", "secret", "environment", "allowed_http_hosts",
    "allowed_outbound_hosts", "key_value_stores", "sqlite_databases", "ai_models", "build",
    "command", "supervisor", "restart", "backoff_max", "max_restarts", "hello", "x",
]  # fmt: skip
WORDS = [
    "app.wasm", "static/**/*", "static", "/", "2", "1", "{{ greeting }}", "{{", "hello", "http",
    "../x", "insecure:allow-all", "example.test:80", "sha256:0", "always", "",
]  # fmt: skip

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=8),
    st.dates(),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=25,
)
documents = st.dictionaries(keys, values, max_size=8)


def toml_value(value: Any) -> str:
    """Inline TOML for a generated value (every table inline, so any nesting is valid)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int | datetime.date):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # ASCII-only JSON escapes are valid TOML basic strings
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(document: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in document.items())


@pytest.fixture(scope="module")
def app_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        copy_app("multi-type", Path(tmp))
        yield Path(tmp)


def load_only_manifest_errors(app_dir: Path, text: str) -> None:
    """Load `text` as a manifest: it either fails with ManifestError or locks cleanly."""
    manifest = app_dir / "generated.toml"
    manifest.write_text(text)
    try:
        app = load_manifest(manifest)
    except ManifestError as err:
        assert err.file == str(manifest)
        return
    lock_dir = app_dir / "lock"
    write_lock(lock_app(app, {"EXTRA": "1"}, assets_dir=lock_dir / "assets"), lock_dir)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(document=documents, version=st.sampled_from([None, 2, "1"]))
def test_arbitrary_toml_documents(app_dir: Path, document: dict[str, Any], version: Any) -> None:
    if version is not None:
        document = {"spin_manifest_version": version, **document}
    load_only_manifest_errors(app_dir, to_toml(document))


@PROPERTY
@given(text=st.text(max_size=200))
def test_arbitrary_text(app_dir: Path, text: str) -> None:
    load_only_manifest_errors(app_dir, text)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside the document (table keys and array indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


def mutate(document: Any, path: tuple[Any, ...], action: str, replacement: Any) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "drop":
        del parent[last]
    elif action == "replace":
        parent[last] = replacement
    elif action == "retype":  # the same value in another shape
        parent[last] = [parent[last]] if not isinstance(parent[last], list) else {"v": parent[last]}
    else:  # "add": an extra key beside it
        if isinstance(parent, dict):
            parent[str(replacement)[:10] or "extra"] = replacement
        else:
            parent.append(replacement)


VALID = (TESTS_DIR / "manifests" / "multi-type" / "spin.toml").read_text()
VALID_PATHS = paths_of(tomli.loads(VALID))


@PROPERTY
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(VALID_PATHS),
            st.sampled_from(["drop", "replace", "retype", "add"]),
            values,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutations_of_a_valid_manifest(
    app_dir: Path, mutations: list[tuple[tuple[Any, ...], str, Any]]
) -> None:
    document = tomli.loads(VALID)
    for path, action, replacement in mutations:
        try:
            mutate(document, path, action, replacement)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or reshaped this path
    load_only_manifest_errors(app_dir, to_toml(document))


def test_the_unmutated_manifest_loads(app_dir: Path) -> None:
    """The mutation test starts from a manifest that is valid as written."""
    load_only_manifest_errors(app_dir, to_toml(tomli.loads(VALID)))
    assert load_manifest(app_dir / "generated.toml").trigger_types() == ["http", "redis", "timer"]


# -- paths the file system cannot take: every one is a ManifestError naming its field ----------


def value_at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def field_name(path: tuple[Any, ...]) -> str:
    """The TOML path a ManifestError gives for `path`: `component.web.files[0]`."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)[1:]


#: Fields of the valid manifest that hold a path (component sources, files, destinations).
PATH_FIELDS = [
    path
    for path in VALID_PATHS
    if any(key in path for key in ("source", "files", "destination"))
    and isinstance(value_at(tomli.loads(VALID), path), str)
]

# (within the BMP: to_toml writes strings as JSON, whose surrogate-pair escapes TOML rejects)
segment = st.text(
    st.characters(codec="utf-8", max_codepoint=0xFFFF, exclude_characters="/"),
    min_size=1,
    max_size=6,
)
hostile_paths = st.one_of(
    # a NUL anywhere (was ValueError: embedded null byte)
    st.tuples(segment, segment).map(lambda parts: f"{parts[0]}\0{parts[1]}"),
    # one name longer than NAME_MAX (was OSError: [Errno 36] File name too long)
    st.integers(min_value=256, max_value=1000).map(lambda n: "a" * n),
    st.integers(min_value=128, max_value=300).map(lambda n: "é" * n + ".wasm"),  # 2 bytes each
    # thousands of segments: longer than PATH_MAX in all
    st.integers(min_value=2100, max_value=3000).map(lambda n: "a/" * n + "x"),
    # and the same shapes inside a glob pattern or below an existing directory
    st.integers(min_value=256, max_value=400).map(lambda n: "static/" + "b" * n + "/*"),
    st.integers(min_value=2100, max_value=3000).map(lambda n: "static/" + "c/" * n + "*"),
)


@PROPERTY
@given(field=st.sampled_from(PATH_FIELDS), bad=hostile_paths)
def test_paths_the_file_system_cannot_take_are_manifest_errors(
    app_dir: Path, field: tuple[Any, ...], bad: str
) -> None:
    document = tomli.loads(VALID)
    mutate(document, field, "replace", bad)
    manifest = app_dir / "generated.toml"
    manifest.write_text(to_toml(document))
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert caught.value.field == field_name(field), caught.value
