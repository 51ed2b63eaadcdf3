"""Cheap component-model calls on wasmtime-py 50.0.1: the binding's conversions, cached.

wasmtime-py converts component values in Python, and on every call it first rebuilds the
function's type: each parameter's type object is made again through ctypes, a record asks for
its fields again for every value, a variant asks for its cases (and their types) several times
per value, and `list<u8>` goes through Python one byte at a time. Measured with
`make bench-calls` (CPU per call, 2 shared cores): a host function taking and returning a
small record costs ~90 us with the binding's code and ~33 us with this module's; an export
call with the same record ~82 us against ~39 us; 100 KB of `list<u8>` 86-150 ms against
5.5-7.3 ms in either direction, most of what is left being wasmtime's own per-element
conversion in Rust.

Importing this module replaces the two places where component values cross the binding, for
every user of the plain `wasmtime.component` API:

- host functions defined with `LinkerInstance.add_func` *after* the import (guest -> host),
  by replacing the C callback `add_func` registers;
- `Func.__call__` (host -> guest).

Both read the function's signature (one ctypes call per parameter) and look up a conversion
plan built once per distinct signature. A plan is reused only when its signature is the same:
kinds match, and every structured type (list, record, variant...) is equal by wasmtime's own
`valtype_equal`, so a host function that sees different types from different components gets
the right plan for each. The plan converts exactly as the binding does - the same Python
values in and out (`Record`, `Variant`, `bytes`, `ResourceAny`...), the same type checks and
error messages, the same quirks (see `_VariantLike`) - only without the per-call type walks,
and `list<u8>` is copied in bulk. A signature the plans do not cover (futures, streams,
error-context, or anything this module fails to plan) goes to the binding's own code. A `Func`
keeps its plan (its type cannot change), so calling the same `Func` again reads nothing.

A host function whose type is known when it is added (`add_func(instance, name, func, ty)`, as
the Python WASI host's registry does for each import of the component it links) gets its plan
then, and its calls read no signature at all: that read and match cost 20-50 us per call in a
spin-sdk request. The WASI host's resources also skip the binding's handle objects
(`host_rep`, `HostOwn`).

One difference on purpose: the binding tests untagged variant cases with one module-level set
(`case_test_cache`) that it clears and refills per value, and its refill can release the GIL
(a ctypes call), so two threads converting at once can test a value against the other's case
(the likely cause of the sporadic "value not valid for this variant" seen with threads). Plans
keep their classes to themselves.

The replacement is tied to the binding's internals, so the import fails unless the installed
wasmtime is exactly `PINNED` (pyproject.toml pins the same version).
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from wasmtime import WasmtimeError
from wasmtime import _bindings as capi
from wasmtime import _ffi as ffi

from spin.runtime.wasmtime_version import wasmtime_version

PINNED = "50.0.1"


def check_version(installed: str) -> None:
    """Refuse any wasmtime but the one whose internals this module was written against."""
    if installed != PINNED:
        raise ImportError(
            f"spin.runtime.component.binding replaces internals of wasmtime {PINNED}, but "
            f"wasmtime {installed} is installed. Install the pinned version (pyproject.toml: "
            f"wasmtime=={PINNED}), or port spin/runtime/component/binding.py to the new binding "
            "and run tests/runtime/test_binding.py before changing the pin."
        )


check_version(wasmtime_version())

from wasmtime.component import _func, _linker  # noqa: E402  (only after the version check)
from wasmtime.component import _types as wt  # noqa: E402
from wasmtime.component._enter import catch_exceptions, enter_wasm  # noqa: E402
from wasmtime.component._resources import ResourceAny, ResourceHost  # noqa: E402

Val = ffi.wasmtime_component_val_t
CType = ffi.wasmtime_component_valtype_t

VAL_SIZE = ctypes.sizeof(Val)
PAYLOAD = Val.of.offset  # where the union starts inside a value

# Value kinds (wasmtime_component_val_t.kind).
BOOL = ffi.WASMTIME_COMPONENT_BOOL.value
U8 = ffi.WASMTIME_COMPONENT_U8.value
STRING = ffi.WASMTIME_COMPONENT_STRING.value
LIST = ffi.WASMTIME_COMPONENT_LIST.value
RECORD = ffi.WASMTIME_COMPONENT_RECORD.value
TUPLE = ffi.WASMTIME_COMPONENT_TUPLE.value
VARIANT = ffi.WASMTIME_COMPONENT_VARIANT.value
ENUM = ffi.WASMTIME_COMPONENT_ENUM.value
OPTION = ffi.WASMTIME_COMPONENT_OPTION.value
RESULT = ffi.WASMTIME_COMPONENT_RESULT.value
FLAGS = ffi.WASMTIME_COMPONENT_FLAGS.value
RESOURCE = ffi.WASMTIME_COMPONENT_RESOURCE.value


# Type kinds (wasmtime_component_valtype_t.kind).
def _kinds(names: str) -> frozenset[int]:
    return frozenset(
        getattr(ffi, f"WASMTIME_COMPONENT_VALTYPE_{name}").value for name in names.split()
    )


#: Kinds whose type is the kind alone: nothing to free, nothing to compare.
PLAIN_KINDS = _kinds("BOOL S8 S16 S32 S64 U8 U16 U32 U64 F32 F64 CHAR STRING")
#: Kinds whose conversion depends on the rest of the type (element, fields, cases): compared
#: with `valtype_equal` to tell two signatures apart, and freed.
STRUCTURED_KINDS = _kinds("LIST RECORD TUPLE VARIANT OPTION RESULT")
#: Kinds converted the same whatever the rest of their type (enum and flag names, the resource
#: type of own/borrow are checked by wasmtime, not by the conversion): freed unread.
KIND_ONLY = _kinds("ENUM FLAGS OWN BORROW")
BORROW_KIND = ffi.WASMTIME_COMPONENT_VALTYPE_BORROW.value
NO_RESULT = -1
#: Anything else (future, stream, error-context) sends the call to the binding's own code.
PLANNED_KINDS = PLAIN_KINDS | STRUCTURED_KINDS | KIND_ONLY | {NO_RESULT}

# The C functions, called without the binding's Python wrappers.
_param_count = capi._wasmtime_component_func_type_param_count
_param_nth = capi._wasmtime_component_func_type_param_nth
_result_type = capi._wasmtime_component_func_type_result
_func_type = capi._wasmtime_component_func_type
_func_type_delete = capi._wasmtime_component_func_type_delete
_func_call = capi._wasmtime_component_func_call
_valtype_equal = capi._wasmtime_component_valtype_equal
_valtype_clone = capi._wasmtime_component_valtype_clone
_valtype_delete = capi._wasmtime_component_valtype_delete
_val_new = capi._wasmtime_component_val_new
_val_delete = capi._wasmtime_component_val_delete
_vec_delete = capi._wasm_byte_vec_delete
_list_new = capi._wasmtime_component_vallist_new_uninit
_list_delete = capi._wasmtime_component_vallist_delete
_tuple_new = capi._wasmtime_component_valtuple_new_uninit
_tuple_delete = capi._wasmtime_component_valtuple_delete
_record_new = capi._wasmtime_component_valrecord_new_uninit
_record_delete = capi._wasmtime_component_valrecord_delete
_flags_new = capi._wasmtime_component_valflags_new_uninit
_flags_delete = capi._wasmtime_component_valflags_delete
# wasm_byte_vec_new taking a Python `bytes` and an address: one call per string instead of the
# binding's three (allocate, copy into a ctypes buffer, memmove).
_vec_new = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)(
    ctypes.cast(capi._wasm_byte_vec_new, ctypes.c_void_p).value
)


def _raw(function: Any, restype: Any, *argtypes: Any) -> Any:
    """`function` of the C library again, taking and returning plain addresses (`c_void_p`):
    no ctypes pointer object is made or checked per call."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_VOIDP = ctypes.c_void_p
_any_to_host = _raw(capi._wasmtime_component_resource_any_to_host, _VOIDP, _VOIDP, _VOIDP, _VOIDP)
_host_to_any = _raw(capi._wasmtime_component_resource_host_to_any, _VOIDP, _VOIDP, _VOIDP, _VOIDP)
_host_new = _raw(
    capi._wasmtime_component_resource_host_new,
    _VOIDP,
    ctypes.c_bool,
    ctypes.c_uint32,
    ctypes.c_uint32,
)
_host_rep = _raw(capi._wasmtime_component_resource_host_rep, ctypes.c_uint32, _VOIDP)
_host_delete = _raw(capi._wasmtime_component_resource_host_delete, None, _VOIDP)
_context_address = ctypes.addressof


def _raise_error(address: int) -> None:
    raise WasmtimeError._from_ptr(ctypes.cast(address, ctypes.POINTER(ffi.wasmtime_error_t)))


def _clear(cell: Any) -> None:
    """Leave a value that owns nothing, as the binding does after lifting out of it."""
    cell.kind = BOOL
    cell.of.boolean = False


# -- converters: one per type, built once, converting exactly as wasmtime.component._types ---


class _Conv:
    """Converts one type. `cell` is a `Val` (a ctypes view of the C value, not a pointer)."""

    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        raise NotImplementedError

    def lift(self, cell: Any) -> Any:
        raise NotImplementedError

    def classes(self) -> set[type]:
        """The binding's `add_classes`: what Python types this converter produces/accepts."""
        raise NotImplementedError


class _Bool(_Conv):
    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, bool):
            raise TypeError("expected bool for Bool type")
        cell.kind = BOOL
        cell.of.boolean = val

    def lift(self, cell: Any) -> Any:
        assert cell.kind == BOOL
        return bool(cell.of.boolean)

    def classes(self) -> set[type]:
        return {bool}


class _Number(_Conv):
    """Integers and floats: the same check, kind and union field as the binding's classes."""

    __slots__ = ("field", "kind", "message", "python")

    def __init__(self, kind: int, field: str, python: type, name: str) -> None:
        self.kind = kind
        self.field = field
        self.python = python
        self.message = f"expected {python.__name__} for {name} type"

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, self.python):
            raise TypeError(self.message)
        cell.kind = self.kind
        setattr(cell.of, self.field, val)

    def lift(self, cell: Any) -> Any:
        assert cell.kind == self.kind
        return self.python(getattr(cell.of, self.field))

    def classes(self) -> set[type]:
        return {self.python}


class _Char(_Conv):
    __slots__ = ()
    KIND = ffi.WASMTIME_COMPONENT_CHAR.value

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, str) or len(val) != 1:
            raise TypeError("expected single-character string for Char type")
        cell.kind = self.KIND
        cell.of.character = ord(val)

    def lift(self, cell: Any) -> Any:
        assert cell.kind == self.KIND
        return chr(cell.of.character)

    def classes(self) -> set[type]:
        return {str}


def _put_name(address: int, text: str) -> None:
    """Write a new `wasm_name_t` holding `text` (UTF-8) at `address`."""
    data = text.encode("utf8")
    _vec_new(address, len(data), data)


def _take_name(vec: Any) -> str:
    """Read a `wasm_name_t` and free it, as the binding's `to_str` + `wasm_byte_vec_delete`."""
    text = ctypes.string_at(vec.data, vec.size).decode("utf-8")
    _vec_delete(ctypes.byref(vec))
    return text


class _Text(_Conv):
    """string and enum: a `str`, held in C as a `wasm_name_t` (the binding checks no names)."""

    __slots__ = ("field", "kind", "message")

    def __init__(self, kind: int, field: str, message: str) -> None:
        self.kind = kind
        self.field = field
        self.message = message

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, str):
            raise TypeError(self.message)
        _put_name(ctypes.addressof(cell) + PAYLOAD, val)
        cell.kind = self.kind

    def lift(self, cell: Any) -> Any:
        assert cell.kind == self.kind
        return _take_name(getattr(cell.of, self.field))

    def classes(self) -> set[type]:
        return {str}


def _string() -> _Text:
    return _Text(STRING, "string", "expected string type")


def _enum() -> _Text:
    return _Text(ENUM, "enumeration", "expected str type")


#: Elements converted per block by `write_u8_cells` / `read_u8_cells`: 2,048 cells are 64 KB,
#: under malloc's mmap threshold, so each block's buffer comes from (and goes back to) the heap.
#: One buffer for a whole 100 KB list (3.2 MB) was mapped fresh on many calls: ~2,700 page
#: faults, which doubled the CPU of a 100 KB host-function argument (7 -> 16 ms).
U8_BLOCK = 2048
_U8_KINDS = bytes((U8,)) * U8_BLOCK


def write_u8_cells(address: int, data: bytes) -> None:
    """Fill the C values of a `list<u8>` at `address` (`len(data)` of them) with `data`.

    The cells are built in a bytearray and copied in one piece per block: a bytearray's
    extended-slice assignment copies byte by byte in a tight loop, where the same on a
    memoryview over the C memory calls memmove once per byte (100 KB: ~0.5 ms against ~2.4).
    """
    if not data:
        return
    image = bytearray(min(len(data), U8_BLOCK) * VAL_SIZE)
    # (from_buffer of a c_char, not of a `c_char * size`: ctypes keeps every array type made.)
    source = ctypes.addressof(ctypes.c_char.from_buffer(image))
    view = memoryview(data)
    for start in range(0, len(data), U8_BLOCK):
        block = view[start : start + U8_BLOCK]
        size = len(block) * VAL_SIZE
        image[0:size:VAL_SIZE] = _U8_KINDS[: len(block)]
        image[PAYLOAD:size:VAL_SIZE] = block
        ctypes.memmove(address + start * VAL_SIZE, source, size)


def read_u8_cells(address: int, count: int) -> bytes:
    """The bytes held by the `count` C values of a `list<u8>` at `address`: each block of cells
    copied out once (ctypes.string_at), then extended slices of bytes (tight loops)."""
    parts = []
    for start in range(0, count, U8_BLOCK):
        length = min(U8_BLOCK, count - start)
        cells = ctypes.string_at(address + start * VAL_SIZE, length * VAL_SIZE)
        if cells[0::VAL_SIZE] != _U8_KINDS[:length]:
            raise AssertionError("list<u8> holds values that are not u8")
        parts.append(cells[PAYLOAD::VAL_SIZE])
    return b"".join(parts)


class _Bytes(_Conv):
    """`list<u8>` <-> `bytes`, copied in bulk (`write_u8_cells`, `read_u8_cells`) instead of
    one element at a time: the binding takes ~1 us of CPU per byte each way."""

    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, bytes):
            raise TypeError("expected bytes value")
        count = len(val)
        raw = ffi.wasmtime_component_vallist_t()
        _list_new(raw, count)
        if count:
            write_u8_cells(ctypes.cast(raw.data, ctypes.c_void_p).value, val)
        cell.kind = LIST
        cell.of.list = raw

    def lift(self, cell: Any) -> Any:
        assert cell.kind == LIST
        items = cell.of.list
        try:
            count = items.size
            if not count:
                return b""
            return read_u8_cells(ctypes.cast(items.data, ctypes.c_void_p).value, count)
        finally:
            _list_delete(ctypes.byref(items))

    def classes(self) -> set[type]:
        return {bytes}


class _Sequence(_Conv):
    """list and tuple: an array of C values (`vallist_t` / `valtuple_t`, alike but distinct)."""

    __slots__ = ()
    KIND: int
    FIELD: str
    RAW: Any
    NEW: Any
    DELETE: Any

    def lower_items(
        self, store: Any, cell: Any, pairs: Iterable[tuple[_Conv, Any]], count: int
    ) -> None:
        """Lower `count` items into a new array; on failure, empty the rest and free it."""
        raw = self.RAW()
        self.NEW(raw, count)
        data, done = raw.data, 0
        try:
            for conv, item in pairs:
                conv.lower(store, item, data[done])
                done += 1
        except BaseException:
            for index in range(done, count):
                _clear(data[index])
            self.DELETE(ctypes.byref(raw))
            raise
        cell.kind = self.KIND
        setattr(cell.of, self.FIELD, raw)

    def lift_items(self, cell: Any, convs: Iterable[_Conv]) -> list[Any]:
        """Lift the items (each left empty), then free the array."""
        assert cell.kind == self.KIND
        items = getattr(cell.of, self.FIELD)
        try:
            data, result = items.data, []
            for index, conv in zip(range(items.size), convs, strict=False):
                item = data[index]
                result.append(conv.lift(item))
                _clear(item)
            return result
        finally:
            self.DELETE(ctypes.byref(items))


class _List(_Sequence):
    __slots__ = ("element",)
    KIND, FIELD, RAW = LIST, "list", ffi.wasmtime_component_vallist_t
    NEW, DELETE = staticmethod(_list_new), staticmethod(_list_delete)

    def __init__(self, element: _Conv) -> None:
        self.element = element

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, list):
            raise TypeError("expected list value")
        element = self.element
        self.lower_items(store, cell, ((element, item) for item in val), len(val))

    def lift(self, cell: Any) -> Any:
        return self.lift_items(cell, itertools.repeat(self.element))

    def classes(self) -> set[type]:
        return {list}


class _Tuple(_Sequence):
    __slots__ = ("elements",)
    KIND, FIELD, RAW = TUPLE, "tuple", ffi.wasmtime_component_valtuple_t
    NEW, DELETE = staticmethod(_tuple_new), staticmethod(_tuple_delete)

    def __init__(self, elements: list[_Conv]) -> None:
        self.elements = elements

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, tuple):
            raise TypeError("expected tuple type")
        if len(val) != len(self.elements):
            raise TypeError("tuple length mismatch")
        pairs = zip(self.elements, val, strict=True)
        self.lower_items(store, cell, pairs, len(self.elements))

    def lift(self, cell: Any) -> Any:
        return tuple(self.lift_items(cell, self.elements))

    def classes(self) -> set[type]:
        return {tuple}


class _Record(_Conv):
    """Lowers any object with the fields as attributes; lifts to `wasmtime.component.Record`."""

    __slots__ = ("fields",)

    def __init__(self, fields: list[tuple[str, _Conv]]) -> None:
        self.fields = fields

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        count = len(self.fields)
        raw = ffi.wasmtime_component_valrecord_t()
        _record_new(raw, count)
        data = raw.data
        done = 0
        try:
            for name, conv in self.fields:
                entry = data[done]
                conv.lower(store, getattr(val, name), entry.val)
                _put_name(ctypes.addressof(entry), name)
                done += 1
        except BaseException:
            for index in range(done, count):
                entry = data[index]
                _put_name(ctypes.addressof(entry), "")
                _clear(entry.val)
            _record_delete(ctypes.byref(raw))
            raise
        cell.kind = RECORD
        cell.of.record = raw

    def lift(self, cell: Any) -> Any:
        assert cell.kind == RECORD
        fields = cell.of.record
        try:
            data, result = fields.data, wt.Record()
            for index, (name, conv) in zip(range(fields.size), self.fields, strict=False):
                value = data[index].val
                setattr(result, name, conv.lift(value))
                _clear(value)
            return result
        finally:
            _record_delete(ctypes.byref(fields))

    def classes(self) -> set[type]:
        return {wt.Record}


class _Flags(_Conv):
    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if not isinstance(val, set):
            raise TypeError("expected set type for Flags type")
        for name in val:
            if not isinstance(name, str):
                raise TypeError("expected set of strings for Flags type")
        raw = ffi.wasmtime_component_valflags_t()
        _flags_new(raw, len(val))
        base = ctypes.cast(raw.data, ctypes.c_void_p).value or 0
        step = ctypes.sizeof(ffi.wasm_name_t)
        for index, name in enumerate(val):
            _put_name(base + index * step, name)
        cell.kind = FLAGS
        cell.of.flags = raw

    def lift(self, cell: Any) -> Any:
        assert cell.kind == FLAGS
        flags = cell.of.flags
        data = flags.data
        names = {ctypes.string_at(data[i].data, data[i].size).decode() for i in range(flags.size)}
        _flags_delete(ctypes.byref(flags))
        return names

    def classes(self) -> set[type]:
        return {set}


class HostOwn:
    """An `own` handle to a new host resource: `ResourceHost.own(rep, type)` for this
    module's conversions, made without the binding's two objects (a `ResourceHost`, then the
    `ResourceAny` it is lowered through), each with a finalizer and ctypes pointers."""

    __slots__ = ("rep", "type")

    def __init__(self, rep: int, type: int) -> None:
        self.rep = rep
        self.type = type


def host_rep(store: Any, handle: ResourceAny) -> int:
    """`handle.to_host(store).rep` (which also ends a borrow), without a `ResourceHost`."""
    out = _VOIDP()
    error = _any_to_host(
        _context_address(store._context().contents),
        _context_address(handle.ptr().contents),
        ctypes.byref(out),
    )
    if error:
        _raise_error(error)
    try:
        return _host_rep(out)
    finally:
        _host_delete(out)


class _Handle(_Conv):
    """own<T> and borrow<T>: `ResourceAny` out; `ResourceAny`, `ResourceHost` (or `HostOwn`) in."""

    __slots__ = ("borrow",)

    def __init__(self, borrow: bool) -> None:
        self.borrow = borrow

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        if isinstance(val, ResourceAny):
            cell.kind = RESOURCE
            if self.borrow:
                cell.of.resource = ffi.wasmtime_component_resource_any_clone(val.ptr())
            else:
                cell.of.resource = val._consume()
        elif isinstance(val, ResourceHost):
            cell.kind = RESOURCE
            cell.of.resource = val.to_any(store)._consume()
        elif isinstance(val, HostOwn):
            host = _host_new(True, val.rep, val.type)
            out = _VOIDP()
            try:
                error = _host_to_any(
                    _context_address(store._context().contents), host, ctypes.byref(out)
                )
            finally:
                _host_delete(host)
            if error:
                _raise_error(error)
            cell.kind = RESOURCE
            _VOIDP.from_address(ctypes.addressof(cell) + PAYLOAD).value = out.value
        else:
            raise TypeError("expected ResourceAny or ResourceHost for Own type")

    def lift(self, cell: Any) -> Any:
        assert cell.kind == RESOURCE
        return ResourceAny._from_ptr(ffi.take_pointer(cell.of, "resource"))

    def classes(self) -> set[type]:
        return {ResourceAny, ResourceHost, HostOwn}


class Case:
    """A value to lower as the case `tag` of a variant, option or result, whatever its payload
    looks like: the one way to say `err` through a `result<option<T>, E>` (key-value `get`,
    `wasi:config/store.get`...), whose untagged `ok` case matches every value (see below)."""

    __slots__ = ("payload", "tag")

    def __init__(self, tag: str, payload: Any = None) -> None:
        self.tag = tag
        self.payload = payload


class _VariantLike(_Conv):
    """variant, option and result, decided as the binding decides.

    The binding's rule: a variant is *tagged* (Python values are `Variant(tag, payload)`) when
    two cases accept an overlapping set of Python classes (a payload-less case accepts
    `object`); otherwise values are bare and the first case whose classes match is chosen.
    So `option<u32>` is `None` or an int, `result<_, E>` is tagged only if E's classes overlap
    `object`, and `result<option<T>, E>` is untagged with an `ok` case that matches every
    value: its `err` cannot be lowered ("value not valid for this variant"). Kept as is, but
    a `Case` names its case outright.
    """

    __slots__ = ("_case_classes", "_tagged", "cases", "index")

    def __init__(self, cases: list[tuple[str, _Conv | None]]) -> None:
        self.cases = cases
        self.index = {name: position for position, (name, _) in enumerate(cases)}
        self._tagged: bool | None = None
        self._case_classes: list[tuple[type, ...]] | None = None

    def tagged(self) -> bool:
        if self._tagged is None:
            seen: set[type] = set()
            tagged = False
            for _, conv in self.cases:
                case = {object} if conv is None else conv.classes()
                if case & seen:
                    tagged = True
                    break
                seen |= case
            self._tagged = tagged
        return self._tagged

    def case_classes(self) -> list[tuple[type, ...]]:
        if self._case_classes is None:
            self._case_classes = [
                tuple(conv.classes()) if conv is not None else () for _, conv in self.cases
            ]
        return self._case_classes

    def classes(self) -> set[type]:
        if self.tagged():
            return {wt.Variant}
        result: set[type] = set()
        for _, conv in self.cases:
            result |= {object} if conv is None else conv.classes()
        return result

    def lower_case(self, store: Any, val: Any) -> tuple[str, Any]:
        """The case `val` belongs to and its payload as a new boxed C value (or None)."""
        if isinstance(val, Case):
            return val.tag, self._boxed(store, self.cases[self.index[val.tag]][1], val.payload)
        tagged = self.tagged()
        if tagged and not isinstance(val, wt.Variant):
            raise TypeError("expected Variant type")
        classes = None if tagged else self.case_classes()
        for position, (name, conv) in enumerate(self.cases):
            if tagged:
                if name != val.tag:
                    continue
            elif conv is None:
                if val is not None:
                    continue
            elif not isinstance(val, classes[position]):  # type: ignore[index]
                continue
            return name, self._boxed(store, conv, val.payload if tagged else val)
        raise ValueError("value not valid for this variant")

    @staticmethod
    def _boxed(store: Any, conv: _Conv | None, payload: Any) -> Any:
        if conv is None:
            return None
        raw = Val()
        conv.lower(store, payload, raw)
        return _val_new(ctypes.byref(raw))

    def lift_case(self, tag: str, boxed: Any) -> Any:
        tagged = self.tagged()
        position = self.index.get(tag)
        if position is None:
            raise ValueError(f"tag {tag} not found in variant cases")
        conv = self.cases[position][1]
        if conv is None:
            return wt.Variant(tag) if tagged else None
        payload = conv.lift(boxed.contents)
        _clear(boxed.contents)
        _val_delete(boxed)
        return wt.Variant(tag, payload) if tagged else payload


class _Variant(_VariantLike):
    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        name, boxed = self.lower_case(store, val)
        cell.kind = VARIANT
        _put_name(ctypes.addressof(cell) + PAYLOAD, name)
        cell.of.variant.val = boxed

    def lift(self, cell: Any) -> Any:
        assert cell.kind == VARIANT
        tag = _take_name(cell.of.variant.discriminant)
        return self.lift_case(tag, cell.of.variant.val)


class _Option(_VariantLike):
    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        _, boxed = self.lower_case(store, val)
        cell.kind = OPTION
        cell.of.option = boxed

    def lift(self, cell: Any) -> Any:
        assert cell.kind == OPTION
        boxed = cell.of.option
        return self.lift_case("some" if boxed else "none", boxed)


class _Result(_VariantLike):
    __slots__ = ()

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        name, boxed = self.lower_case(store, val)
        cell.kind = RESULT
        cell.of.result.is_ok = name == "ok"
        cell.of.result.val = boxed

    def lift(self, cell: Any) -> Any:
        assert cell.kind == RESULT
        result = cell.of.result
        return self.lift_case("ok" if result.is_ok else "err", result.val)


class _Binding(_Conv):
    """A type this module has no plan for (future, stream, error-context): the binding's own."""

    __slots__ = ("ty",)

    def __init__(self, ty: wt.ValType) -> None:
        self.ty = ty

    def lower(self, store: Any, val: Any, cell: Any) -> None:
        self.ty.convert_to_c(store, val, ctypes.pointer(cell))

    def lift(self, cell: Any) -> Any:
        return self.ty.convert_from_c(cell)

    def classes(self) -> set[type]:
        found: set[type] = set()
        self.ty.add_classes(found)
        return found


_NUMBERS = {
    wt.S8: ("S8", "s8", int),
    wt.S16: ("S16", "s16", int),
    wt.S32: ("S32", "s32", int),
    wt.S64: ("S64", "s64", int),
    wt.U8: ("U8", "u8", int),
    wt.U16: ("U16", "u16", int),
    wt.U32: ("U32", "u32", int),
    wt.U64: ("U64", "u64", int),
    wt.F32: ("F32", "f32", float),
    wt.F64: ("F64", "f64", float),
}


def converter(ty: wt.ValType) -> _Conv:
    """Build the converter for one of the binding's type objects (walked once, here)."""
    number = _NUMBERS.get(type(ty))
    if number is not None:
        name, field, python = number
        return _Number(getattr(ffi, f"WASMTIME_COMPONENT_{name}").value, field, python, name)
    simple = {wt.Bool: _Bool, wt.Char: _Char, wt.String: _string}.get(type(ty))
    if simple is not None:
        return simple()
    if isinstance(ty, wt.ListType):
        element = ty.element
        return _Bytes() if isinstance(element, wt.U8) else _List(converter(element))
    if isinstance(ty, wt.RecordType):
        return _Record([(name, converter(field)) for name, field in ty.fields])
    if isinstance(ty, wt.TupleType):
        return _Tuple([converter(element) for element in ty.elements])
    if isinstance(ty, wt.VariantType):
        return _Variant([(name, _maybe(case)) for name, case in ty.cases])
    if isinstance(ty, wt.OptionType):
        return _Option([("none", None), ("some", converter(ty.payload))])
    if isinstance(ty, wt.ResultType):
        return _Result([("ok", _maybe(ty.ok)), ("err", _maybe(ty.err))])
    if isinstance(ty, wt.EnumType):
        return _enum()
    if isinstance(ty, wt.FlagsType):
        return _Flags()
    if isinstance(ty, (wt.OwnType, wt.BorrowType)):
        return _Handle(isinstance(ty, wt.BorrowType))
    return _Binding(ty)


def _maybe(ty: wt.ValType | None) -> _Conv | None:
    return None if ty is None else converter(ty)


# -- plans: a function signature's converters, found again by comparing signatures ----------


# Where param_nth writes each parameter's name: never read, so threads may share it.
_NAME = ctypes.byref(ctypes.POINTER(ctypes.c_char)())
_NAME_SIZE = ctypes.byref(ctypes.c_size_t())


class _Signature:
    """A function type as read from C: kinds, and the structured types to compare or keep.

    Reading it costs one ctypes call per parameter and one for the result; comparing it with a
    plan's, one `valtype_equal` per structured type; freeing it, one call per type not plain.
    """

    __slots__ = ("kinds", "owned", "structured")

    def __init__(self, fty: Any) -> None:
        kinds: list[int] = []
        self.structured: list[Any] = []
        self.owned: list[Any] = []  # every type read that holds something to free
        for index in range(_param_count(fty)):
            ty = CType()
            _param_nth(fty, index, _NAME, _NAME_SIZE, ctypes.byref(ty))
            kinds.append(self._keep(ty))
        ty = CType()
        kinds.append(self._keep(ty) if _result_type(fty, ctypes.byref(ty)) else NO_RESULT)
        self.kinds = tuple(kinds)

    def _keep(self, ty: Any) -> int:
        kind = ty.kind
        if kind not in PLAIN_KINDS:
            self.owned.append(ty)
            if kind in STRUCTURED_KINDS:
                self.structured.append(ty)
        return kind

    def plannable(self) -> bool:
        return PLANNED_KINDS.issuperset(self.kinds)

    def keep_structured(self) -> list[Any]:
        """Hand the structured types over (to a new plan): they are no longer freed here."""
        kept, self.structured = self.structured, []
        self.owned = [ty for ty in self.owned if not any(ty is k for k in kept)]
        return kept

    def free(self) -> None:
        for ty in self.owned:
            _valtype_delete(ctypes.byref(ty))
        self.owned = []


class Plan:
    """Converters for one signature. `params`/`result` are None when the binding converts."""

    __slots__ = ("checks", "kinds", "params", "result", "stock")

    def __init__(self, signature: _Signature) -> None:
        self.kinds = signature.kinds
        self.checks = signature.keep_structured()  # freed with the plan; compared with
        self.params: list[_Conv] = []
        self.result: _Conv | None = None
        self.stock = False
        try:
            kinds = iter(self.kinds)
            structured = iter(self.checks)
            convs = [
                self._converter(kind, structured) if kind != NO_RESULT else None for kind in kinds
            ]
        except Exception:  # a type the binding itself cannot walk: let it fail its own way
            self.stock = True
            return
        self.params = convs[:-1]  # type: ignore[assignment]
        self.result = convs[-1]

    @staticmethod
    def _converter(kind: int, structured: Iterator[Any]) -> _Conv:
        if kind in STRUCTURED_KINDS:
            copy = CType()
            _valtype_clone(ctypes.byref(next(structured)), ctypes.byref(copy))
            return converter(wt.valtype_from_ptr(copy))
        if kind in KIND_ONLY:
            return _KIND_ONLY_CONVERTERS[kind]()
        return converter(wt.valtype_from_ptr(_plain(kind)))

    @classmethod
    def for_type(cls, ty: wt.FuncType) -> Plan:
        """The plan of a function whose type is known beforehand (see `add_func`)."""
        plan = cls.__new__(cls)
        plan.kinds = ()
        plan.checks = []
        plan.params = [converter(param) for _, param in ty.params]
        result = ty.result
        plan.result = converter(result) if result is not None else None
        plan.stock = False
        return plan

    def matches(self, signature: _Signature) -> bool:
        if self.kinds != signature.kinds:
            return False
        for mine, theirs in zip(self.checks, signature.structured, strict=True):
            if not _valtype_equal(ctypes.byref(mine), ctypes.byref(theirs)):
                return False
        return True

    def __del__(self, delete: Any = _valtype_delete, byref: Any = ctypes.byref) -> None:
        # The functions are bound here: at interpreter exit, module globals may be None already.
        for ty in self.checks:
            delete(byref(ty))


_KIND_ONLY_CONVERTERS: dict[int, Callable[[], _Conv]] = {
    ffi.WASMTIME_COMPONENT_VALTYPE_ENUM.value: _enum,
    ffi.WASMTIME_COMPONENT_VALTYPE_FLAGS.value: _Flags,
    ffi.WASMTIME_COMPONENT_VALTYPE_OWN.value: lambda: _Handle(borrow=False),
    BORROW_KIND: lambda: _Handle(borrow=True),
}


def _plain(kind: int) -> Any:
    ty = CType()
    ty.kind = kind
    return ty


#: Plans by the kinds of their signature; a bounded cache (it keeps component types alive).
_plans: dict[tuple[int, ...], list[Plan]] = {}
#: The last plan each host function used (by its slot in the binding's FUNCTIONS slab).
_host_plans: dict[int, Plan] = {}
_lock = threading.Lock()
MAX_PLANS = 4096


def plan_for(fty: Any, host_index: int | None = None) -> Plan | None:
    """The plan for the function type at `fty`, or None if the binding should convert."""
    signature = _Signature(fty)
    try:
        if not signature.plannable():
            return None
        hint = _host_plans.get(host_index) if host_index is not None else None
        if hint is not None and hint.matches(signature):
            return hint
        for plan in _plans.get(signature.kinds, ()):
            if plan.matches(signature):
                break
        else:
            plan = Plan(signature)
            with _lock:
                if sum(len(plans) for plans in _plans.values()) >= MAX_PLANS:
                    _plans.clear()
                    _host_plans.clear()
                _plans.setdefault(plan.kinds, []).append(plan)
        if host_index is not None:
            _host_plans[host_index] = plan
        return plan
    finally:
        signature.free()


#: The plans of host functions added with their type (`add_func`), by FUNCTIONS slot.
_typed_plans: dict[int, Plan] = {}


def add_func(instance: Any, name: str, func: Callable[..., Any], ty: wt.FuncType) -> None:
    """`instance.add_func(name, func)`, for a linker that only instantiates components importing
    `name` with the type `ty`: the plan is built here, and calls read no signature.

    Reading and matching the signature costs ~15 us per host call in a loop, 20-50 us in a
    spin-sdk request (one instance each, cold caches): ~1 ms of its ~9 ms for 28 host calls.
    A component importing the function with another type would be converted with the wrong
    plan (wasmtime still type-checks what comes back): link such a component with its own
    linker, as the runtime does (one linker per component).
    """
    if not is_installed():  # within `stock_binding()`: the binding's own conversions
        instance.add_func(name, func)
        return
    instance._assert_not_locked()
    data = name.encode("utf-8")
    idx = _linker.FUNCTIONS.allocate(func)
    _typed_plans[idx] = Plan.for_type(ty)
    err = ffi.wasmtime_component_linker_instance_add_func(
        instance.ptr(), ctypes.create_string_buffer(data), len(data), _func_impl, idx, _finalize
    )
    if err:
        _forget(idx)
        raise WasmtimeError._from_ptr(err)


def _forget(idx: int, functions: Any = _linker.FUNCTIONS, plans: Any = _typed_plans) -> None:
    # Bound as defaults: at interpreter exit, module globals may be None already.
    plans.pop(idx, None)
    functions.deallocate(idx)


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _finalize(idx):  # type: ignore[no-untyped-def]
    """The binding's `func_finalize`, also dropping the typed plan (slots are never reused)."""
    _forget(idx or 0)


# -- the two entry points --------------------------------------------------------------------

_stock_func_impl = _linker.func_impl
_stock_call = _func.Func.__call__


@ffi.wasmtime_component_func_callback_t
def _func_impl(idx, context, ty_raw, args, nargs, results, nresults):  # type: ignore[no-untyped-def]
    """Calls a host function like the binding's `func_impl`, with a cached plan."""
    plan = _typed_plans.get(idx or 0)
    if plan is None:
        try:
            plan = plan_for(ty_raw, idx or 0)
        except Exception:
            plan = None
    if plan is None or plan.stock:
        return _stock_func_impl(idx, context, ty_raw, args, nargs, results, nresults)

    def run(store: Any) -> None:
        func = _linker.FUNCTIONS.get(idx or 0)
        params, result_conv = plan.params, plan.result
        assert len(params) == nargs
        assert nresults == (0 if result_conv is None else 1)
        pyargs = [conv.lift(args[index]) for index, conv in enumerate(params)]
        result = func(store, *pyargs)
        if result_conv is None:
            assert result is None
        else:
            result_conv.lower(store, result, results[0])

    return catch_exceptions(context, run)


def _call(self: Any, store: Any, *params: Any) -> Any:
    """`Func.__call__` as the binding's, with a cached plan.

    A `Func` is one function of one instance: its type never changes, so its plan is kept on it.
    """
    try:
        plan = self._spin_plan
    except AttributeError:
        fty = _func_type(ctypes.byref(self._func), store._context())
        try:
            plan = plan_for(fty)
        finally:
            _func_type_delete(fty)
        self._spin_plan = plan
    if plan is None or plan.stock:
        return _stock_call(self, store, *params)
    convs, result_conv = plan.params, plan.result
    if len(params) != len(convs):
        raise TypeError(
            f"wrong number of parameters provided: given {len(params)}, expected {len(convs)}"
        )
    values = (Val * len(params))()
    lowered = 0
    try:
        for conv, param in zip(convs, params, strict=True):
            conv.lower(store, param, values[lowered])
            lowered += 1
        result = Val() if result_conv is not None else None
        result_ref = ctypes.byref(result) if result is not None else None
        enter_wasm(
            lambda: _func_call(
                ctypes.byref(self._func),
                store._context(),
                values,
                lowered,
                result_ref,
                1 if result is not None else 0,
            )
        )
        return None if result_conv is None else result_conv.lift(result)
    finally:
        for index in range(lowered):
            _val_delete(ctypes.byref(values[index]))


def install() -> None:
    """Use the cached conversions (done at import; host functions added later get them)."""
    _linker.func_impl = _func_impl
    _func.Func.__call__ = _call  # type: ignore[method-assign]


def uninstall() -> None:
    """Back to the binding's own conversions (for comparisons in tests and benchmarks)."""
    _linker.func_impl = _stock_func_impl
    _func.Func.__call__ = _stock_call  # type: ignore[method-assign]


def is_installed() -> bool:
    return _linker.func_impl is _func_impl


@contextmanager
def stock_binding() -> Iterator[None]:
    """Within the block, linkers built and calls made use the binding's own conversions.

    Host functions keep the conversion they were added with.
    """
    was_installed = is_installed()
    uninstall()
    try:
        yield
    finally:
        if was_installed:
            install()


install()
