"""Values from outside the program: `--vals` text, and the numbers and arrays a
caller passes to derive(), each checked to be a finite real number or array.
numpy is imported only when an array shows up."""
from __future__ import annotations

import math

from ..errors import BptutorValueError
from .parse import MAX_DIMS, Const, parse_assignments


def parse_values(text: str) -> dict:
    """--vals: every value must be a constant (a number or an expression of numbers)."""
    g, pairs = parse_assignments(text)
    values: dict[str, float] = {}
    for name, value, start, end in pairs:
        if not isinstance(value, Const):
            raise BptutorValueError("value.not_a_number", (start, end), name=name,
                                    value=text[start:end].split("=", 1)[-1].strip()).with_source(text)
        if name in values:
            raise BptutorValueError("value.duplicate", (start, end), name=name).with_source(text)
        values[name] = value.value
    return values


def number(name: str, v):
    """A value from the caller: a finite real number (int, float, Fraction,
    Decimal, numpy scalar) -> float, or an array (a list or a numpy array)."""
    if isinstance(v, (str, bytes, bytearray, memoryview, bool, complex)) or v is None:
        raise BptutorValueError("value.not_a_number", None, name=name, value=shown(v))
    if hasattr(v, "__len__") or getattr(v, "shape", ()) != ():
        return as_array(name, v)
    try:
        f = float(v)
    except OverflowError:                   # an int beyond the float range
        raise BptutorValueError("value.not_finite", None, value=f"{name}={shown(v)}") from None
    except (TypeError, ValueError):
        raise BptutorValueError("value.not_a_number", None, name=name, value=shown(v)) from None
    if not math.isfinite(f):
        raise BptutorValueError("value.not_finite", None, value=f"{name}={shown(v)}")
    return f


def as_array(name: str, value):
    """A value given through the API (nested lists, a numpy array) -> float64
    array. Its entries must be what a scalar value may be -- real numbers --
    so strings, booleans and complex numbers are refused, not converted."""
    import numpy as np
    try:
        arr = np.asarray(value)
        if arr.dtype.kind == "O" and all(_real(x) for x in arr.flat):     # Fraction, Decimal, mixed numbers
            arr = arr.astype(float)
    except (ValueError, TypeError):
        raise BptutorValueError("tensor.bad_value", None, name=name) from None
    if arr.dtype.kind not in "iuf":     # b(ool), c(omplex), U/S (text), O(bject): not real numbers
        raise BptutorValueError("value.not_a_number", None, name=name, value=shown(value))
    arr = arr.astype(float)
    if arr.size == 0:
        raise BptutorValueError("tensor.empty_value", None, name=name)
    if arr.ndim > MAX_DIMS:
        raise BptutorValueError("tensor.too_many_dims", None, limit=MAX_DIMS)
    if not np.isfinite(arr).all():
        raise BptutorValueError("value.not_finite", None, value=name)
    return arr


def _real(x) -> bool:
    """A real number, as a scalar value may be one (not a bool, not text)."""
    import numbers
    from decimal import Decimal
    return isinstance(x, (numbers.Real, Decimal)) and not isinstance(x, bool)


def shown(v, limit: int = 40) -> str:
    """A caller's value as a message quotes it (the message adds the quotes)."""
    text = v if isinstance(v, str) else repr(v)
    return text if len(text) <= limit else text[:limit - 1] + "…"
