"""The namespaces the op table runs on: ScalarNS (Python floats, math-backed)
here; ArrayNS (numpy float64 arrays) in core/arrays.py, imported only when an
array shows up, so a plain scalar run never imports numpy."""
from __future__ import annotations

import math


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


class ScalarNS:
    """The subset of numpy's API the op table uses, for Python floats."""
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tan = staticmethod(math.tan)
    tanh = staticmethod(math.tanh)
    power = staticmethod(math.pow)
    abs = staticmethod(abs)
    sign = staticmethod(_sign)
    floor = staticmethod(math.floor)
    sigmoid = staticmethod(_sigmoid)
    maximum = staticmethod(max)
    minimum = staticmethod(min)

    @staticmethod
    def where(cond, a, b):
        return a if cond else b



def namespace(values, tensor: bool = False) -> object:
    """math-backed functions for Python floats, numpy's for arrays (or when the
    program uses a tensor operation such as @ or sum)."""
    if tensor:
        from .arrays import ArrayNS
        return ArrayNS
    for v in values:
        if not isinstance(v, (int, float)):
            from .arrays import ArrayNS     # numpy only when an array shows up
            return ArrayNS
    return ScalarNS
