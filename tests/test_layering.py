"""The layering rules of the code base, checked on the source: every `import` and `from ...
import` of every module under `spin/` and `executors/*/`, wherever it is written (module level,
inside a function, under `if TYPE_CHECKING:`), read with `ast`.

The rules (README, "Layout"): the supervisor never loads the runtime, an executor or a protocol
library; the manifest layer knows neither click nor `spin up`; the shared trigger library knows
neither `spin up`, the supervisor nor the internal executors; the runtime knows nothing of
triggers, executors, `spin up` or the supervisor; an external executor uses only the public
`spin.trigger` API (and its tests their own helpers), as a third-party one would.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import spin.trigger
import spin.trigger.wasm

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Module prefix -> the module prefixes it must never import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "spin.supervisor": ("spin.runtime", "spin.executors", "wasmtime", "hypercorn", "redis"),
    "spin.manifest": ("click", "spin.up"),
    "spin.trigger": ("spin.up", "spin.supervisor", "spin.executors"),
    "spin.runtime": ("spin.trigger", "spin.executors", "spin.up", "spin.supervisor"),
}

#: What an external executor may import from `spin`: these modules and the names they export.
PUBLIC_API: dict[str, frozenset[str]] = {
    "spin.trigger": frozenset(spin.trigger.__all__),
    "spin.trigger.wasm": frozenset(spin.trigger.wasm.__all__),
}


@dataclass(frozen=True)
class Import:
    """One imported name: `from package import name` is (package, name), `import a.b` is
    (a.b, None). `line` is where it is written."""

    module: str
    name: str | None
    line: int

    @property
    def target(self) -> str:
        """The dotted path imported: `spin.runtime.config.RuntimeConfig`, `spin.runtime`."""
        return f"{self.module}.{self.name}" if self.name else self.module

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.name is None:
            return f"`import {self.module}` ({where})"
        return f"`from {self.module} import {self.name}` ({where})"


def module_name(path: Path) -> str:
    """`spin/runtime/pool/wire.py` -> spin.runtime.pool.wire; an executor's package is named
    from its own folder (`executors/timer/spin_trigger_timer/x.py` -> spin_trigger_timer.x)."""
    relative = path.relative_to(REPO_ROOT)
    if relative.parts[0] == "executors":
        relative = relative.relative_to(*relative.parts[:2])
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[Import]:
    """Every import in the file, at any depth, with relative imports made absolute."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield Import(base, alias.name, node.lineno)


def within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def layer_violations(module: str, found: Import) -> list[str]:
    return [
        f"{module} imports {forbidden}: {found}"
        for layer, forbidden_prefixes in FORBIDDEN.items()
        if within(module, layer)
        for forbidden in forbidden_prefixes
        if within(found.target, forbidden) or within(found.module, forbidden)
    ]


def public_api_violation(module: str, found: Import) -> str | None:
    """None when `found` is not from `spin`, or is a public module or one of its names.

    The root project's test helpers (`tests`) are out of bounds too: a third-party executor's
    tests could not import them.
    """
    if within(found.module, "tests"):
        return f"external executor {module} imports the root project's test helpers: {found}"
    if not within(found.module, "spin") and not within(found.target, "spin"):
        return None
    if found.target in PUBLIC_API:
        return None
    if found.name in PUBLIC_API.get(found.module, ()):
        return None
    public = ", ".join(f"{name}.__all__" for name in PUBLIC_API)
    return f"external executor {module} imports {found.target}, outside {public}: {found}"


def sources(*roots: str) -> list[Path]:
    return sorted(path for root in roots for path in (REPO_ROOT / root).rglob("*.py"))


def external_executor_sources() -> list[Path]:
    return sorted(
        path
        for folder in (REPO_ROOT / "executors").iterdir()
        if folder.is_dir()
        for path in folder.rglob("*.py")
        if "build" not in path.relative_to(folder).parts
    )


def test_the_sources_are_found() -> None:
    """A moved folder must not make the rules below pass by checking nothing."""
    names = {module_name(path) for path in sources("spin")}
    assert {"spin.supervisor.manager", "spin.runtime.pool.pool", "spin.trigger"} <= names
    assert "spin_trigger_timer.executor" in {
        module_name(path) for path in external_executor_sources()
    }


@pytest.mark.parametrize("path", sources("spin"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_layers_import_only_downwards(path: Path) -> None:
    module = module_name(path)
    broken = [v for found in imports_of(path) for v in layer_violations(module, found)]
    assert not broken, "layering rule broken:\n  " + "\n  ".join(broken)


@pytest.mark.parametrize(
    "path", external_executor_sources(), ids=lambda p: str(p.relative_to(REPO_ROOT))
)
def test_external_executors_use_only_the_public_trigger_api(path: Path) -> None:
    module = str(path.relative_to(REPO_ROOT))
    broken = [v for found in imports_of(path) if (v := public_api_violation(module, found))]
    assert not broken, "layering rule broken:\n  " + "\n  ".join(broken)
