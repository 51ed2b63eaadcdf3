"""Passing values to and from component functions, with `list<u8>` converted in bulk.

wasmtime's Python binding converts a `list<u8>` one element at a time through Python (a 100 KB
body costs about 140 ms each way) and looks every type up again on each call. Here a converter
tree is built once per function signature; byte lists are written into and read out of the C
value array in bulk (`binding.write_u8_cells` / `read_u8_cells`). Types without a
fast path fall back to the binding's own conversion.

Lifted records are dicts, tuples are tuples, options are None or the value, results are
`(is_ok, payload)`.
"""

from __future__ import annotations

import ctypes
from abc import ABC, abstractmethod
from typing import Any

import wasmtime
import wasmtime.component as wc
from wasmtime import _ffi as ffi
from wasmtime.component._enter import enter_wasm

from spin.runtime.component.binding import read_u8_cells, write_u8_cells

Val = ffi.wasmtime_component_val_t
ValPtr = Any  # ctypes pointer to a wasmtime_component_val_t


class Converter(ABC):
    @abstractmethod
    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        """Write `value` into the C value at `out` (which then owns what it points to)."""

    @abstractmethod
    def lift(self, val: Any) -> Any:
        """Read a C value. Leaves the value to be freed by whoever owns it."""


def converter_for(ty: wc.ValType) -> Converter:
    if isinstance(ty, wc.ListType):
        element = ty.element
        return (
            BytesConverter()
            if isinstance(element, wc.U8)
            else ListConverter(converter_for(element))
        )
    if isinstance(ty, wc.RecordType):
        return RecordConverter([(name, converter_for(field)) for name, field in ty.fields])
    if isinstance(ty, wc.TupleType):
        return TupleConverter([converter_for(element) for element in ty.elements])
    if isinstance(ty, wc.OptionType):
        return OptionConverter(converter_for(ty.payload))
    if isinstance(ty, wc.ResultType):
        ok, err = ty.ok, ty.err
        return ResultConverter(
            converter_for(ok) if ok is not None else None,
            converter_for(err) if err is not None else None,
        )
    return BindingConverter(ty)


class BytesConverter(Converter):
    """`list<u8>` <-> `bytes`, the C values written and read in bulk (as `binding` does)."""

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        data = bytes(value)
        raw = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(raw, len(data))
        if data:
            write_u8_cells(ctypes.addressof(raw.data.contents), data)
        out.contents.kind = ffi.WASMTIME_COMPONENT_LIST
        out.contents.of.list = raw

    def lift(self, val: Any) -> bytes:
        size = val.of.list.size
        if not size:
            return b""
        return read_u8_cells(ctypes.addressof(val.of.list.data.contents), size)


class ListConverter(Converter):
    def __init__(self, element: Converter) -> None:
        self.element = element

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        items = list(value)
        raw = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(raw, len(items))
        _fill(
            store,
            raw.data,
            [(self.element, item) for item in items],
            ffi.wasmtime_component_vallist_delete,
            raw,
        )
        out.contents.kind = ffi.WASMTIME_COMPONENT_LIST
        out.contents.of.list = raw

    def lift(self, val: Any) -> list[Any]:
        data = val.of.list.data
        return [self.element.lift(data[i]) for i in range(val.of.list.size)]


class TupleConverter(Converter):
    def __init__(self, elements: list[Converter]) -> None:
        self.elements = elements

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        raw = ffi.wasmtime_component_valtuple_t()
        ffi.wasmtime_component_valtuple_new_uninit(raw, len(self.elements))
        _fill(
            store,
            raw.data,
            list(zip(self.elements, value, strict=True)),
            ffi.wasmtime_component_valtuple_delete,
            raw,
        )
        out.contents.kind = ffi.WASMTIME_COMPONENT_TUPLE
        out.contents.of.tuple = raw

    def lift(self, val: Any) -> tuple[Any, ...]:
        data = val.of.tuple.data
        return tuple(element.lift(data[i]) for i, element in enumerate(self.elements))


def _fill(
    store: wasmtime.Store, data: Any, items: list[tuple[Converter, Any]], delete: Any, raw: Any
) -> None:
    """Lower items into an uninitialised C array; on failure, free what was built."""
    done = 0
    try:
        for index, (converter, item) in enumerate(items):
            converter.lower(store, item, ctypes.pointer(data[index]))
            done += 1
    except BaseException:
        for index in range(done, len(items)):
            data[index].kind = ffi.WASMTIME_COMPONENT_BOOL
            data[index].of.boolean = False
        delete(ctypes.byref(raw))
        raise


class RecordConverter(Converter):
    def __init__(self, fields: list[tuple[str, Converter]]) -> None:
        self.fields = fields

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        raw = ffi.wasmtime_component_valrecord_t()
        ffi.wasmtime_component_valrecord_new_uninit(raw, len(self.fields))
        done = 0
        try:
            for index, (name, converter) in enumerate(self.fields):
                entry = raw.data[index]
                field = value[name] if isinstance(value, dict) else getattr(value, name)
                converter.lower(store, field, ctypes.pointer(entry.val))
                entry.name = ffi.str_to_capi(name)
                done += 1
        except BaseException:
            for index in range(done, len(self.fields)):
                raw.data[index].name = ffi.str_to_capi("")
                raw.data[index].val.kind = ffi.WASMTIME_COMPONENT_BOOL
                raw.data[index].val.of.boolean = False
            ffi.wasmtime_component_valrecord_delete(ctypes.byref(raw))
            raise
        out.contents.kind = ffi.WASMTIME_COMPONENT_RECORD
        out.contents.of.record = raw

    def lift(self, val: Any) -> dict[str, Any]:
        data = val.of.record.data
        return {
            name: converter.lift(data[index].val)
            for index, (name, converter) in enumerate(self.fields)
        }


class OptionConverter(Converter):
    def __init__(self, payload: Converter) -> None:
        self.payload = payload

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        out.contents.kind = ffi.WASMTIME_COMPONENT_OPTION
        out.contents.of.option = _boxed(store, self.payload, value) if value is not None else None

    def lift(self, val: Any) -> Any:
        return self.payload.lift(val.of.option.contents) if val.of.option else None


class ResultConverter(Converter):
    def __init__(self, ok: Converter | None, err: Converter | None) -> None:
        self.ok = ok
        self.err = err

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        is_ok, payload = value
        converter = self.ok if is_ok else self.err
        out.contents.kind = ffi.WASMTIME_COMPONENT_RESULT
        out.contents.of.result.is_ok = bool(is_ok)
        out.contents.of.result.val = (
            _boxed(store, converter, payload) if converter is not None else None
        )

    def lift(self, val: Any) -> tuple[bool, Any]:
        is_ok = bool(val.of.result.is_ok)
        converter = self.ok if is_ok else self.err
        if converter is None or not val.of.result.val:
            return is_ok, None
        return is_ok, converter.lift(val.of.result.val.contents)


def _boxed(store: wasmtime.Store, converter: Converter, value: Any) -> Any:
    raw = Val()
    converter.lower(store, value, ctypes.pointer(raw))
    return ffi.wasmtime_component_val_new(ctypes.byref(raw))


class BindingConverter(Converter):
    """Everything without a fast path (strings, enums, numbers, variants...): the binding's."""

    def __init__(self, ty: wc.ValType) -> None:
        self.ty = ty

    def lower(self, store: wasmtime.Store, value: Any, out: ValPtr) -> None:
        self.ty.convert_to_c(store, value, out)

    def lift(self, val: Any) -> Any:
        # The binding's lifting frees what it read: leave an empty value for the owner to free.
        value = self.ty.convert_from_c(val)
        val.kind = ffi.WASMTIME_COMPONENT_BOOL
        val.of.boolean = False
        return value


class FunctionCall:
    """A component function's signature, converted once; `__call__` runs it in a store."""

    def __init__(self, ty: wc.FuncType) -> None:
        self.param_names = [name for name, _ in ty.params]
        self.params = [converter_for(param) for _, param in ty.params]
        result = ty.result
        self.result = converter_for(result) if result is not None else None

    def __call__(self, store: wasmtime.Store, func: wc.Func, *args: Any) -> Any:
        params = (Val * len(self.params))()
        lowered = 0
        result = Val()
        try:
            for index, (converter, arg) in enumerate(zip(self.params, args, strict=True)):
                converter.lower(store, arg, ctypes.pointer(params[index]))
                lowered += 1
            has_result = self.result is not None
            enter_wasm(
                lambda: ffi.wasmtime_component_func_call(
                    ctypes.byref(func._func),
                    store._context(),
                    params,
                    lowered,
                    ctypes.byref(result) if has_result else None,
                    1 if has_result else 0,
                )
            )
            if self.result is None:
                return None
            try:
                return self.result.lift(result)
            finally:
                ffi.wasmtime_component_val_delete(ctypes.byref(result))
        finally:
            for index in range(lowered):
                ffi.wasmtime_component_val_delete(ctypes.byref(params[index]))
