"""Between the host functions' values (see `host`) and the shapes wasmtime's binding wants.

The binding represents a variant, option or result without its tag when its cases hold values
of distinct Python classes ("untagged"), and as `Variant(tag, payload)` otherwise; records are
objects with attributes, own/borrow handles are `ResourceAny`/`ResourceHost` (our own resources
go out as `binding.HostOwn`, which the cached conversions lower in fewer steps). Which shape a
type takes depends on the whole type, so a shaper is built once per function signature, when
the component is linked, and per call only does the conversion that type needs (none at all
for numbers, strings, enums, flags and `list<u8>`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wasmtime
import wasmtime.component as wc

from spin.runtime.component.binding import Case, HostOwn, host_rep, is_installed
from spin.runtime.wasi.p2.host import Err, Ok, WasiCall

#: host value -> binding value (out) or binding value -> host value (in); None: as it is.
Shaper = Callable[[WasiCall, wasmtime.StoreContext, Any], Any]


class ResourceIds:
    """Our host resource type ids, one per resource type of a component's imports (a type
    `use`d by another interface is the same type, so it gets the same id)."""

    _next_id = 1  # process-wide: ids must not collide between guests either

    def __init__(self) -> None:
        self._known: list[tuple[wc.ResourceType, int]] = []

    def resolve(self, ty: wc.ResourceType) -> int:
        for known, rid in self._known:
            if known == ty:
                return rid
        rid = ResourceIds._next_id
        ResourceIds._next_id += 1
        self._known.append((ty, rid))
        return rid


def _classes(ty: wc.ValType | None) -> tuple[type, ...]:
    found: set[type] = set()
    if ty is None:
        return (type(None),)
    ty.add_classes(found)
    return tuple(found)


def _case_shapers(cases: list[tuple[str, Any]], ids: ResourceIds, build: Any) -> dict[str, Any]:
    return {name: (build(ty, ids) if ty is not None else None) for name, ty in cases}


# -- host -> binding -----------------------------------------------------------------------


def out_shaper(ty: Any, ids: ResourceIds) -> Shaper | None:
    if isinstance(ty, wc.OwnType):
        return _own_out(ids.resolve(ty.ty), HostOwn if is_installed() else wc.ResourceHost.own)
    if isinstance(ty, wc.ListType):
        element = None if isinstance(ty.element, wc.U8) else out_shaper(ty.element, ids)
        if element is None:
            return None
        return lambda call, store, value: [element(call, store, item) for item in value]
    if isinstance(ty, wc.TupleType):
        return _tuple(
            [out_shaper(element, ids) for element in ty.elements],
        )
    if isinstance(ty, wc.RecordType):
        return _record_out([(name, out_shaper(field, ids)) for name, field in ty.fields])
    if isinstance(ty, wc.OptionType):
        return _option_out(out_shaper(ty.payload, ids), ty._tagged())
    if isinstance(ty, wc.ResultType):
        return _result_out(
            out_shaper(ty.ok, ids) if ty.ok is not None else None,
            out_shaper(ty.err, ids) if ty.err is not None else None,
            ty._tagged(),
            _ok_takes_anything(ty),
        )
    if isinstance(ty, wc.VariantType):
        return _variant_out(_case_shapers(ty.cases, ids, out_shaper), ty._tagged())
    return None


def _own_out(rid: int, handle: Callable[[int, int], Any]) -> Shaper:
    """`handle`: `HostOwn` for the cached conversions, `ResourceHost.own` for the binding's."""

    def own(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        if isinstance(value, wc.ResourceHost | wc.ResourceAny):
            return value
        return handle(call.table.add(value), rid)

    return own


def _tuple(elements: list[Shaper | None]) -> Shaper | None:
    if all(element is None for element in elements):
        return None

    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        return tuple(
            element(call, store, item) if element is not None else item
            for element, item in zip(elements, value, strict=True)
        )

    return shape


def _record_out(fields: list[tuple[str, Shaper | None]]) -> Shaper:
    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        record = wc.Record()
        for name, field in fields:
            item = value[name]
            setattr(record, name, field(call, store, item) if field is not None else item)
        return record

    return shape


def _option_out(payload: Shaper | None, tagged: bool) -> Shaper | None:
    if payload is None and not tagged:
        return None

    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        if value is None:
            return wc.Variant("none") if tagged else None
        item = payload(call, store, value) if payload is not None else value
        return wc.Variant("some", item) if tagged else item

    return shape


def _ok_takes_anything(ty: wc.ResultType) -> bool:
    """Whether an untagged result's `ok` case accepts any object (then `err` needs a Case)."""
    return not ty._tagged() and ty.ok is not None and object in _classes(ty.ok)


def _result_out(
    ok: Shaper | None, err: Shaper | None, tagged: bool, explicit_err: bool = False
) -> Shaper:
    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        if isinstance(value, Err):
            tag, payload, shaper = "err", value.payload, err
        else:
            tag, shaper = "ok", ok
            payload = value.value if isinstance(value, Ok) else value
        if shaper is not None and payload is not None:
            payload = shaper(call, store, payload)
        if tagged:
            return wc.Variant(tag, payload)
        return Case(tag, payload) if explicit_err and tag == "err" else payload

    return shape


def _variant_out(cases: dict[str, Shaper | None], tagged: bool) -> Shaper:
    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        tag, payload = (value, None) if isinstance(value, str) else (value.tag, value.payload)
        shaper = cases[tag]
        if shaper is not None and payload is not None:
            payload = shaper(call, store, payload)
        return wc.Variant(tag, payload) if tagged else payload

    return shape


# -- binding -> host -----------------------------------------------------------------------


def in_shaper(ty: Any, ids: ResourceIds) -> Shaper | None:
    if isinstance(ty, wc.BorrowType):
        return lambda call, store, value: call.table.get(host_rep(store, value))
    if isinstance(ty, wc.OwnType):
        return lambda call, store, value: call.table.take(host_rep(store, value))
    if isinstance(ty, wc.ListType):
        element = None if isinstance(ty.element, wc.U8) else in_shaper(ty.element, ids)
        if element is None:
            return None
        return lambda call, store, value: [element(call, store, item) for item in value]
    if isinstance(ty, wc.TupleType):
        return _tuple([in_shaper(element, ids) for element in ty.elements])
    if isinstance(ty, wc.RecordType):
        return _record_in([(name, in_shaper(field, ids)) for name, field in ty.fields])
    if isinstance(ty, wc.OptionType):
        return _option_in(in_shaper(ty.payload, ids), ty._tagged())
    if isinstance(ty, wc.ResultType):
        return _variant_in([("ok", ty.ok), ("err", ty.err)], ids, ty._tagged(), result=True)
    if isinstance(ty, wc.VariantType):
        return _variant_in(ty.cases, ids, ty._tagged(), result=False)
    return None


def _record_in(fields: list[tuple[str, Shaper | None]]) -> Shaper:
    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        result = {}
        for name, field in fields:
            item = getattr(value, name)
            result[name] = field(call, store, item) if field is not None else item
        return result

    return shape


def _option_in(payload: Shaper | None, tagged: bool) -> Shaper | None:
    if payload is None and not tagged:
        return None

    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        if tagged:
            value = value.payload if value.tag == "some" else None
        if value is None or payload is None:
            return value
        return payload(call, store, value)

    return shape


def _variant_in(
    cases: list[tuple[str, Any]], ids: ResourceIds, tagged: bool, *, result: bool
) -> Shaper:
    """Variants come out as `Variant`, results as `Ok`/`Err`. An untagged value's case is the
    first whose payload classes it is an instance of (how the binding chose it)."""
    shapers = _case_shapers(cases, ids, in_shaper)
    tests = [(name, _classes(ty)) for name, ty in cases]

    def case_of(value: Any) -> str:
        for name, classes in tests:
            if isinstance(value, classes):
                return name
        return tests[-1][0]

    def shape(call: WasiCall, store: wasmtime.StoreContext, value: Any) -> Any:
        if tagged:
            tag, payload = value.tag, value.payload
        else:
            tag, payload = case_of(value), value
        shaper = shapers[tag]
        if shaper is not None and payload is not None:
            payload = shaper(call, store, payload)
        if result:
            return Ok(payload) if tag == "ok" else Err(payload)
        return wc.Variant(tag, payload)

    return shape
