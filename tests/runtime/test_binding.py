"""spin.runtime.component.binding converts exactly as wasmtime-py's own code does.

Every value shape goes through both directions (tests/wat/component_value_shapes.wat: each
export hands its arguments to the host function of the same name and returns its result), once
with the binding's own conversions and once with the cached ones; the outcomes (what the host
function received, what the call returned, or the exception it raised, message included) must
be identical. Bad values are in the list too: the same errors must come out.
"""

from __future__ import annotations

import gc
import math
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import wasmtime
import wasmtime.component as wc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spin.runtime.component import binding

WAT = Path(__file__).parents[1] / "wat"
THING = 7  # the host's resource type id for `thing`
MIB = random.Random(11).randbytes(1 << 20)
KIB64 = MIB[: 64 << 10]  # the binding takes ~3 s for a MiB through both directions


def record(**fields: Any) -> wc.Record:
    value = wc.Record()
    for name, field in fields.items():
        setattr(value, name, field)
    return value


def describe(value: Any, store: Any) -> Any:
    """A comparable description of a value the binding produced (resources by their rep)."""
    if isinstance(value, wc.Record):
        return ("Record", tuple(sorted((k, describe(v, store)) for k, v in vars(value).items())))
    if isinstance(value, wc.Variant):
        return ("Variant", value.tag, describe(value.payload, store))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(describe(item, store) for item in value))
    if isinstance(value, set):
        return ("set", tuple(sorted(value)))
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, wc.ResourceAny):
        return ("ResourceAny", value.owned, value.to_host(store).rep)
    return (type(value).__name__, value)


def host_function(name: str, seen: list[Any], returns: dict[str, Any]) -> Callable[..., Any]:
    """What the host does for import `name`: note its arguments, answer like the test says."""

    def call(store: Any, *args: Any) -> Any:
        seen.append(describe(args, store))
        if name in returns:
            if isinstance(returns[name], Exception):
                raise returns[name]
            return returns[name]
        if name == "nothing":
            return None
        if name == "mix":
            a, b, c, d = args
            return f"{a}|{b}|{c.hex()}|{d}"
        if name in ("echo-own", "echo-opt-own", "borrow-rep"):
            rep = seen[-1][1][0][-1] if args[0] is not None else None
            if name == "borrow-rep":
                return rep
            return None if rep is None else wc.ResourceHost.own(rep + 100, THING)
        return args[0]

    return call


class Shapes:
    """The shapes component linked with the binding's conversions (`stock`) or the cached ones;
    `typed`: its host functions added with their type (`binding.add_func`)."""

    def __init__(self, engine: wasmtime.Engine, stock: bool, typed: bool = False) -> None:
        self.engine = engine
        self.stock = stock
        wat = (WAT / "component_value_shapes.wat").read_text()
        self.component = wc.Component(engine, wasmtime.wat2wasm(wat))
        self.seen: list[Any] = []
        self.returns: dict[str, Any] = {}
        guest = self.component.type.exports(engine)["test:shapes/guest"]
        self.names = sorted(guest.ty.exports(engine))
        host_type = self.component.type.imports(engine)["test:shapes/host"].ty
        self.imported = imported = host_type.exports(engine)
        with self.mode():
            self.linker = wc.Linker(engine)
            with self.linker.root() as root, root.add_instance("test:shapes/host") as host:
                host.add_resource("thing", wc.ResourceType.host(THING), lambda store, rep: None)
                for name in self.names:
                    if name in ("point", "shape", "side", "color", "perms", "thing"):
                        continue
                    func = host_function(name, self.seen, self.returns)
                    if typed:
                        binding.add_func(host, name, func, imported[name].ty)
                    else:
                        host.add_func(name, func)

    def mode(self) -> AbstractContextManager[None]:
        return binding.stock_binding() if self.stock else nullcontext()

    def outcome(self, name: str, args: tuple[Any, ...], returns: Any = None) -> Any:
        """Call export `name` in a new instance: (what the host saw, result or exception)."""
        self.seen.clear()
        self.returns.clear()
        if returns is not None:
            self.returns[name] = returns[0]
        store = wasmtime.Store(self.engine)
        with self.mode():
            instance = self.linker.instantiate(store, self.component)
            interface = self.component.get_export_index("test:shapes/guest")
            func = instance.get_func(store, self.component.get_export_index(name, interface))
            assert func is not None
            try:
                result: Any = ("returned", describe(func(store, *args), store))
            except Exception as exc:
                result = ("raised", type(exc).__name__, str(exc))
        return list(self.seen), result


@pytest.fixture(scope="module")
def engine() -> wasmtime.Engine:
    return wasmtime.Engine()


@pytest.fixture(scope="module")
def stock_shapes(engine: wasmtime.Engine) -> Shapes:
    return Shapes(engine, stock=True)


@pytest.fixture(scope="module", params=["planned per signature", "typed"])
def shapes(
    request: pytest.FixtureRequest, engine: wasmtime.Engine, stock_shapes: Shapes
) -> tuple[Shapes, Shapes]:
    """The binding's conversions, and the cached ones: host functions planned from the
    signature read at each call, or added with their type (`binding.add_func`)."""
    return stock_shapes, Shapes(engine, stock=False, typed=request.param == "typed")


def _cases() -> Iterator[Any]:
    """(export, arguments[, what the host function returns instead of its argument])."""
    values = {
        "bool": [True, False, 1],
        "s8": [-128, 127, 0, 200, "1"],
        "u8": [0, 255, 256, -1],
        "s16": [-32768, 32767, 1.0],
        "u16": [0, 65535],
        "s32": [-(2**31), 2**31 - 1, True],
        "u32": [0, 2**32 - 1, 2**32 + 5],
        "s64": [-(2**63), 2**63 - 1],
        "u64": [0, 2**64 - 1],
        "f32": [0.1, -0.0, math.inf, math.nan, 1e40, 3],
        "f64": [0.1, -0.0, math.nan, -math.inf, 5e-324, 3],
        "char": ["a", "é", "🎉", "ab", "", 65],  # "\ud800" aborts the process (both)
        "string": ["", "héllo wörld 🎉", "x" * 10_000, "\ud800", b"x"],
        "bytes": [b"", b"\x00", b"\xff", MIB, bytearray(b"ab"), [1, 2], "ab"],
        "strings": [[], ["a", "", "é"], ["x"] * 1000, [1], ("a",)],
        "pairs": [[], [("a", "b"), ("content-type", "text/plain")], [("a",)], [["a", "b"]]],
        "point": [
            record(x=1, label="p", data=b"\x01\x02", weight=None),
            record(x=2**32 - 1, label="", data=KIB64, weight=2**64 - 1),
            SimpleNamespace(x=3, label="ns", data=b"", weight=4),
            record(x=1, label="no data", weight=None),
            {"x": 1, "label": "dict", "data": b"", "weight": None},
            record(x=1, label="bad weight", data=b"", weight="heavy"),
        ],
        "triple": [(1, "a", True), (1, "a"), [1, "a", True], (1, 2, True)],
        "shape": [5, "text", None, 5.0, wc.Variant("num", 5)],
        "side": [
            wc.Variant("left", 3),
            wc.Variant("right", 4),
            wc.Variant("neither"),
            wc.Variant("neither", 9),
            wc.Variant("up"),
            wc.Variant("left", "3"),
            3,
        ],
        "color": ["red", "blue", "purple", 1],
        "opt": [None, 0, 7, "x"],
        "opt-string": [None, "", "s"],
        "opt-opt": [
            wc.Variant("none"),
            wc.Variant("some", None),
            wc.Variant("some", 5),
            None,
            5,
        ],
        "res": [5, "bad", None, wc.Variant("ok", 5)],
        "res-bare": [wc.Variant("ok"), wc.Variant("err"), None],
        "res-err": [None, "e", 5],
        "res-ok": [5, None, "x"],
        "res-same": [wc.Variant("ok", "a"), wc.Variant("err", "b"), "a"],
        "res-opt": [5, None, "bad"],
        "perms": [set(), {"read"}, {"read", "exec"}, {"bogus"}, ["read"], {1}],
    }
    for shape, inputs in values.items():
        for value in inputs:
            yield f"echo-{shape}", (value,)
    # What the host function returns decides the guest -> host result conversion.
    returned = {
        "echo-u8": ["x", 300],
        "echo-bytes": [bytearray(b"x"), KIB64],
        "echo-point": [record(x=1, label="only")],
        "echo-shape": [wc.Variant("text", "x")],
        "echo-side": ["left"],
        "echo-res-opt": ["bad", 7],
        "echo-res": [wc.Variant("ok", 1), "e"],
        "echo-opt-opt": [None],
        "echo-own": [5],
        "echo-string": [5, "ok", KeyError("no such key")],
        "nothing": [1, RuntimeError("the host function failed")],
    }
    samples = {"echo-u8": 1, "echo-string": "s", "echo-bytes": b"b", "echo-point": None}
    for name, answers in returned.items():
        for answer in answers:
            argument = samples.get(name)
            if name == "echo-point":
                argument = record(x=1, label="p", data=b"", weight=None)
            elif name in ("echo-shape", "echo-res-opt", "echo-res"):
                argument = 1
            elif name == "echo-side":
                argument = wc.Variant("neither")
            elif name == "echo-opt-opt":
                argument = wc.Variant("none")
            elif name == "echo-own":
                argument = wc.ResourceHost.own(1, THING)
            args = () if name == "nothing" else (argument,)
            yield name, args, (answer,)
    yield "echo-own", (wc.ResourceHost.own(5, THING),)
    yield "echo-own", (5,)
    yield "echo-opt-own", (None,)
    yield "echo-opt-own", (wc.ResourceHost.own(6, THING),)
    yield "borrow-rep", (wc.ResourceHost.borrow(9, THING),)
    yield "borrow-rep", (wc.ResourceHost.own(9, THING),)
    yield "mix", (-3, "b", b"\x01\xfe", True)
    yield "mix", (-3, "b", b"")
    yield "mix", (-3, "b", b"", False, 1)
    yield "nothing", ()


def _case_id(case: Any) -> str:
    text = repr(case[1])
    return f"{case[0]}:{text[:40]}" + (f"->{case[2][0]!r}"[:30] if len(case) > 2 else "")


CASES = list(_cases())


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_cached_conversions_behave_like_the_binding(
    shapes: tuple[Shapes, Shapes], case: tuple[Any, ...]
) -> None:
    stock, cached = shapes
    name, args, *returns = case
    expected = stock.outcome(name, args, *returns)
    assert cached.outcome(name, args, *returns) == expected


def test_round_trips_return_the_values(shapes: tuple[Shapes, Shapes]) -> None:
    """Not only the same as the binding: the right values (so both are not wrong alike)."""
    _, cached = shapes
    point = record(x=7, label="p", data=KIB64, weight=None)
    seen, result = cached.outcome("echo-point", (point,))
    assert result == ("returned", describe(point, None)) and seen == [describe((point,), None)]
    assert cached.outcome("echo-bytes", (MIB,))[1] == ("returned", ("bytes", MIB))
    block = binding.U8_BLOCK  # byte lists are converted in blocks of this many elements
    for size in (1, block - 1, block, block + 1, 3 * block + 17):
        data = MIB[:size]
        assert cached.outcome("echo-bytes", (data,)) == (
            [describe((data,), None)],
            ("returned", ("bytes", data)),
        )
    assert cached.outcome("echo-side", (wc.Variant("right", 4),))[1] == (
        "returned",
        ("Variant", "right", ("int", 4)),
    )
    assert cached.outcome("echo-own", (wc.ResourceHost.own(5, THING),)) == (
        [("tuple", (("ResourceAny", True, 5),))],
        ("returned", ("ResourceAny", True, 105)),
    )
    assert cached.outcome("borrow-rep", (wc.ResourceHost.borrow(9, THING),))[1] == (
        "returned",
        ("int", 9),
    )
    assert cached.outcome("mix", (-3, "b", b"\x01\xfe", True))[1] == (
        "returned",
        ("str", "-3|b|01fe|True"),
    )


def test_result_of_option_cannot_carry_err(shapes: tuple[Shapes, Shapes]) -> None:
    """The binding's quirk, kept: an `err` of `result<option<T>, E>` is tried as the `ok`."""
    _, cached = shapes
    assert cached.outcome("echo-res-opt", ("bad",))[1] == (
        "raised",
        "ValueError",
        "value not valid for this variant",
    )


def plan_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The host_index of every binding.plan_for call from now on (None: an export call)."""
    looked_up: list[int | None] = []
    real = binding.plan_for

    def counting(fty: Any, host_index: int | None = None) -> Any:
        looked_up.append(host_index)
        return real(fty, host_index)

    monkeypatch.setattr(binding, "plan_for", counting)
    return looked_up


def test_the_cached_conversions_are_the_ones_used(
    engine: wasmtime.Engine, stock_shapes: Shapes, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock, cached = stock_shapes, Shapes(engine, stock=False)
    looked_up = plan_lookups(monkeypatch)
    stock.outcome("echo-point", (record(x=1, label="", data=b"", weight=None),))
    assert looked_up == []
    cached.outcome("echo-point", (record(x=1, label="", data=b"", weight=None),))
    assert len(looked_up) == 2  # the export call, then the host function
    assert looked_up[0] is None and looked_up[1] is not None


def test_typed_host_functions_read_no_signature(
    engine: wasmtime.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host function added with its type is called with the plan made when it was added:
    nothing is read or looked up per call (only the export call looks its plan up)."""
    typed = Shapes(engine, stock=False, typed=True)
    looked_up = plan_lookups(monkeypatch)
    point = record(x=1, label="typed", data=b"\x00\x01", weight=None)
    seen, result = typed.outcome("echo-point", (point,))
    assert result == ("returned", describe(point, None)) and seen == [describe((point,), None)]
    assert looked_up == [None]  # the export's own Func, not the host function


def test_a_typed_host_function_dropped_with_its_linker_forgets_its_plan(
    engine: wasmtime.Engine,
) -> None:
    before = set(binding._typed_plans)
    typed = Shapes(engine, stock=False, typed=True)
    planned = set(binding._typed_plans) - before
    assert len(planned) == sum(isinstance(item.ty, wc.FuncType) for item in typed.imported.values())
    del typed
    gc.collect()
    assert planned.isdisjoint(binding._typed_plans)


def test_host_resources_without_the_binding_objects(engine: wasmtime.Engine) -> None:
    """`binding.host_rep` reads a handle's rep (ending a borrow: the guest would trap if it
    did not) and `binding.HostOwn` hands out a new own handle, bare or in an option: the
    guest gets what `ResourceHost.own` would give it."""
    shapes = Shapes(engine, stock=False, typed=True)  # for its component and import types

    def reply(name: str) -> Callable[..., Any]:
        def echo_own(store: Any, handle: Any) -> Any:
            if handle is None:
                return None
            return binding.HostOwn(binding.host_rep(store, handle) + 100, THING)

        if name == "borrow-rep":
            return binding.host_rep
        if name in ("echo-own", "echo-opt-own"):
            return echo_own
        return lambda store, *args: None  # not called here

    linker = wc.Linker(engine)
    with linker.root() as root, root.add_instance("test:shapes/host") as host:
        host.add_resource("thing", wc.ResourceType.host(THING), lambda store, rep: None)
        for name, item in shapes.imported.items():
            if isinstance(item.ty, wc.FuncType):
                binding.add_func(host, name, reply(name), item.ty)

    def call(name: str, arg: Any) -> Any:
        store = wasmtime.Store(engine)
        instance = linker.instantiate(store, shapes.component)
        interface = shapes.component.get_export_index("test:shapes/guest")
        func = instance.get_func(store, shapes.component.get_export_index(name, interface))
        assert func is not None
        return describe(func(store, arg), store)

    assert call("borrow-rep", wc.ResourceHost.borrow(9, THING)) == ("int", 9)
    assert call("echo-own", wc.ResourceHost.own(5, THING)) == ("ResourceAny", True, 105)
    assert call("echo-opt-own", wc.ResourceHost.own(6, THING)) == ("ResourceAny", True, 106)
    assert call("echo-opt-own", None) == ("NoneType", None)


def test_one_host_function_linked_to_different_types(engine: wasmtime.Engine) -> None:
    """A plan is reused only for the same types: here record{x, y} and record{y, x}."""
    received: list[dict[str, Any]] = []

    def echo(store: Any, point: Any) -> Any:
        received.append(dict(vars(point)))
        return point

    linker = wc.Linker(engine)
    with linker.root() as root, root.add_instance("test:point/host") as host:
        host.add_func("echo", echo)
    for order in ("xy", "yx", "xy", "yx"):
        wat = (WAT / f"component_point_{order}.wat").read_text()
        component = wc.Component(engine, wasmtime.wat2wasm(wat))
        store = wasmtime.Store(engine)
        instance = linker.instantiate(store, component)
        interface = component.get_export_index("test:point/guest")
        func = instance.get_func(store, component.get_export_index("echo", interface))
        assert func is not None
        result = func(store, record(x=3, y=f"order {order}"))
        assert vars(result) == {"x": 3, "y": f"order {order}"}
    assert received == [{"x": 3, "y": f"order {o}"} for o in ("xy", "yx", "xy", "yx")]


def test_another_wasmtime_version_is_refused() -> None:
    with pytest.raises(ImportError) as failure:
        binding.check_version("51.0.0")
    message = str(failure.value)
    assert "wasmtime 50.0.1" in message and "51.0.0" in message
    assert "pyproject.toml" in message and "wasmtime==50.0.1" in message


def test_the_runtime_installs_it_before_any_linker() -> None:
    """In a fresh interpreter (as in a guest worker), importing the runtime installs it."""
    check = (
        "import spin.runtime.runtime, wasmtime.component._func as f, "
        "wasmtime.component._linker as l; "
        "from spin.runtime.component import binding as b; "
        "print(l.func_impl is b._func_impl, f.Func.__call__ is b._call)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "True"]


# Random values (valid or not) of the shapes whose conversion has the most branches.
_text = st.text(max_size=8)
_u32 = st.integers(min_value=-1, max_value=2**32)
_ANY = st.one_of(st.none(), _u32, _text, st.binary(max_size=8), st.floats(), st.booleans())
_VALUES = {
    "echo-strings": st.lists(st.one_of(_text, _u32), max_size=4),
    "echo-pairs": st.lists(st.tuples(_text, _text) | st.tuples(_text), max_size=3),
    "echo-point": st.builds(
        lambda x, label, data, weight: record(x=x, label=label, data=data, weight=weight),
        _u32,
        _text,
        st.binary(max_size=64),
        st.one_of(st.none(), st.integers(min_value=0, max_value=2**64 - 1), _text),
    ),
    "echo-shape": _ANY,
    "echo-side": st.builds(wc.Variant, st.sampled_from(["left", "right", "neither", "x"]), _ANY),
    "echo-res": _ANY,
    "echo-res-opt": _ANY,
    "echo-opt-opt": st.one_of(_ANY, st.builds(wc.Variant, st.sampled_from(["none", "some"]), _ANY)),
    "echo-perms": st.sets(st.sampled_from(["read", "write", "exec", "bogus"]), max_size=3),
}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_values_behave_like_the_binding(
    shapes: tuple[Shapes, Shapes], data: st.DataObject
) -> None:
    stock, cached = shapes
    name = data.draw(st.sampled_from(sorted(_VALUES)))
    value = data.draw(_VALUES[name])
    assert cached.outcome(name, (value,)) == stock.outcome(name, (value,))
