"""Number formatting shared by every renderer: one place decides how a value
looks at --digits N, when to write ≈, and how constants print in gate labels."""
from __future__ import annotations

import math


def short(c: float) -> str:
    """A constant as the user would write it: 1, -1, 0.5, 2.5e-07."""
    if c == int(c) and abs(c) < 1e15:
        return str(int(c))
    return format(c, ".6g")


def num(x, digits: int = 4) -> str:
    """A computed value at `digits` decimals; integers stay integers, values too
    small for the decimals switch to scientific notation (never a bare 0.00)."""
    if isinstance(x, (int, float)):
        return _scalar(float(x), digits)
    return array_text(x, digits)


def _scalar(x: float, digits: int) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    ax = abs(x)
    if ax < 0.5 * 10.0 ** -digits or ax >= 1e9:
        return format(x, f".{max(digits - 1, 1)}e")
    return format(x, f".{digits}f")


def paren(text: str) -> str:
    """Wrap a negative number written after an operator: 2 × (-0.53)."""
    return f"({text})" if text.startswith("-") else text


def shown_product_differs(a: float, b: float, product: float, digits: int) -> bool:
    """True when the factors as shown do not multiply to the product as shown,
    so the text should say ≈ (the notes' 2 × 0.20 = 0.39 case)."""
    try:
        shown = float(_scalar(a, digits)) * float(_scalar(b, digits))
    except ValueError:
        return False
    return _scalar(shown, digits) != _scalar(product, digits)


def array_text(x, digits: int = 4) -> str:
    """Small arrays in full, as nested brackets; the tensor renderer decides
    when an array is too big for this."""
    import numpy as np
    return np.array2string(np.asarray(x, dtype=float), precision=digits, separator=", ",
                           suppress_small=True, floatmode="fixed")
