"""Number formatting shared by every renderer: one place decides how a value
looks at --digits N, when to write ≈, and how constants print in gate labels."""
from __future__ import annotations

import math
import re

from ..core.ops import const_text


SMALL = 36          # entries of a matrix shown in full
SMALL_VECTOR = 10   # entries of a vector (columns of a matrix) shown in full


def short(c) -> str:
    """A constant as the user would write it: 1, -1, 0.5, 2.5e-07 (an index: 0, 1)."""
    if isinstance(c, (tuple, int, float)):
        return const_text(c)
    return array_text(c, 6, entry=short)


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
    # Compared as numbers: -1 × 1 shown as "-1" and -0.9993 shown as "-1.00" agree.
    return float(_scalar(shown, digits)) != float(_scalar(product, digits))


def rel_error(e: float | None) -> str:
    """A relative error, a step or an error bound in the check table: one
    significant digit (4e-11), 0 when exact, blank when unknown."""
    if e is None:
        return ""
    return "0" if e == 0 else f"{e:.0e}"


def shape_tuple(shape) -> str:
    """(2, 2), (3,), (): a shape as numpy and Python write it (in sentences and errors)."""
    return str(tuple(int(n) for n in shape))


def is_small(x) -> bool:
    """Small enough to print in full: a vector of at most SMALL_VECTOR entries, a
    matrix of at most SMALL entries and SMALL_VECTOR columns."""
    shape = getattr(x, "shape", ())
    if len(shape) > 2:
        return False
    return len(shape) < 2 and (not shape or shape[0] <= SMALL_VECTOR) or \
        (len(shape) == 2 and shape[0] * shape[1] <= SMALL and shape[1] <= SMALL_VECTOR)


def array_text(x, digits: int = 4, full: bool = False, entry=None) -> str:
    """An array on one line: in full, [[0.088, 0.176], [0.104, 0.208]], when it is
    small (or `full`); else summarised as its shape, its first entries and its norm."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return _scalar(float(a), digits)
    if full or is_small(a):
        rows = matrix_rows(a, digits, align=False, entry=entry)
        return rows[0] if a.ndim == 1 else "[" + ", ".join(rows) + "]"
    head = ", ".join(_scalar(float(v), digits) for v in a.flat[:3])
    with np.errstate(all="ignore"):
        norm = float(np.linalg.norm(a))
    return f"{shape_tuple(a.shape)} [{head}, …] ‖·‖ = {_scalar(norm, digits)}"


def matrix_rows(x, digits: int = 4, align: bool = True, entry=None) -> list[str]:
    """The rows of a vector or matrix as bracketed text, entries right-aligned in
    columns when `align` (to print a matrix one row per line). More than two
    dimensions: the leading ones are flattened into rows."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    grid = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])
    entry = entry or (lambda v: _scalar(v, digits))
    cells = [[entry(float(v)) for v in row] for row in grid]
    if align:
        width = max(len(c) for row in cells for c in row)
        cells = [[c.rjust(width) for c in row] for row in cells]
    return ["[" + ", ".join(row) + "]" for row in cells]


# ---- pictures and typeset notes ---------------------------------------------------
SMALL_ARRAY = 4          # a picture writes an array on an edge only up to this many numbers


def shape_of(x) -> tuple | None:
    """The shape of a tensor value, None for a scalar."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None and len(shape) else None


def shape_text(shape) -> str:
    """(2, 2), (3,), (): as numpy writes a shape (pictures label tensor boxes with it)."""
    return str(tuple(int(n) for n in shape))


def picture_value(x, digits: int = 4) -> str | None:
    """A value for an edge label: scalars and small arrays on one line, None when too big."""
    shape = shape_of(x)
    if shape is None:
        return num(x, digits)
    size = 1
    for n in shape:
        size *= n
    if size > SMALL_ARRAY:
        return None
    return re.sub(r"\[\s+", "[", " ".join(array_text(x, digits).split()))


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}


def tex_name(name: str) -> str:
    """A user's name in LaTeX math: w0 and w_0 -> w_{0}, theta -> \\theta, loss -> \\mathrm{loss}."""
    head, sep, tail = name.partition("_")
    if not sep:
        stripped = name.rstrip("0123456789")
        if stripped and stripped != name:
            head, tail = stripped, name[len(stripped):]
    if head in _GREEK:
        head = "\\" + head
    elif len(head) > 1:
        head = "\\mathrm{" + tex_escape(head) + "}"
    else:
        head = tex_escape(head)
    if len(tail) > 1 and not tail.isdigit():
        tail = "\\mathrm{" + tex_escape(tail) + "}"          # y_hat -> y_{\mathrm{hat}}
    else:
        tail = tex_escape(tail)
    return f"{head}_{{{tail}}}" if tail else head


def tex_num(x, digits: int = 4) -> str:
    """A value in LaTeX math: 2.5e-07 -> 2.5\\times10^{-7}; small arrays as a bmatrix."""
    if shape_of(x) is not None:
        return _tex_array(x, digits)
    return tex_sci(num(x, digits))


def tex_sci(text: str) -> str:
    """2.5e-07 -> 2.5\\times10^{-7}; other numbers unchanged."""
    mantissa, e, exponent = text.partition("e")
    if not e or not exponent.lstrip("+-").isdigit():
        return text
    return f"{mantissa}\\times10^{{{int(exponent)}}}"


def _tex_array(x, digits: int) -> str:
    shape = shape_of(x)
    if len(shape) > 2 or x.size > 36:          # too big to typeset: its shape
        return r"\text{" + shape_text(shape) + "}"
    rows = x.tolist() if len(shape) == 2 else [[v] for v in x.tolist()]
    body = r" \\ ".join(" & ".join(tex_num(float(v), digits) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}


def tex_escape(text: str) -> str:
    """Text for LaTeX text mode (names, source code inside \\texttt)."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def tex_function(op) -> str:
    """The TeX name of a function op (exp -> \\exp, sigmoid -> \\sigma): the
    name lives with the op row; an op without one is typeset by its call name."""
    return op.tex or tex_name(op.call or op.name)
