"""Number formatting shared by every renderer: one place decides how a value
looks at --digits N, when to write ≈, and how constants print in gate labels."""
from __future__ import annotations

import math
import re

from ..core.ops import const_text


SMALL = 36          # entries of a matrix shown in full
SMALL_VECTOR = 10   # entries of a vector (columns of a matrix) shown in full


def short(c) -> str:
    """A constant as the user would write it: 1, -1, 0.5, 2.5e-07 (an index: 0, 1);
    all of its digits when six do not give it back (1.0000001 is not 1)."""
    if isinstance(c, float):
        text = const_text(c)
        return text if float(text) == c else repr(c)
    if isinstance(c, (tuple, int)):
        return const_text(c)
    return array_text(c, 6, entry=short)


def num(x, digits: int = 4, among=(), extra: int = 0) -> str:
    """A computed value at `digits` decimals; integers stay integers; a value
    too small for the decimals keeps `digits` significant digits (0.0002950,
    never 0.0003 for 0.000295: 1/0.0003 is not 3389.34), huge and tinier ones
    switch to scientific notation. An array: one format for all its entries;
    a number shown `among` others (a table's column): one format for them all.
    `extra` decimals more: an equation's operand that needs them (true_decimals)."""
    if isinstance(x, (int, float)) or getattr(x, "shape", None) == ():       # a 0-d array is a number too
        x = float(x)
        if not math.isfinite(x):
            return _written(x, ("f", 0))
        style = common_style([float(v) for v in among], digits) if among else _style(x, digits)
        return _written(x, _widened(style, extra))
    return array_text(x, digits)


HUGE = 1e9              # from here on a value is written in scientific notation
TINY_DECIMALS = 3       # a tiny value takes at most this many decimals more than asked, then scientific


def _style(x: float, digits: int) -> tuple[str, int]:
    """How a finite value is written at `digits`: ("int", 0), ("f", decimals)
    or ("e", decimals of the mantissa)."""
    if x == int(x) and abs(x) < 1e15:
        return "int", 0
    ax = abs(x)
    sig = max(digits, 1)
    if ax >= HUGE:
        return "e", max(sig - 1, 1)
    if ax >= 10.0 ** (1 - sig):
        return "f", digits
    decimals = sig - 1 - math.floor(math.log10(ax))     # `sig` significant digits
    if decimals > digits + TINY_DECIMALS:
        return "e", max(sig - 1, 1)
    return "f", decimals


def _written(x: float, style: tuple[str, int]) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    kind, decimals = style
    if kind == "int":
        return str(int(x))
    return format(x, f".{decimals}{kind}")


def _scalar(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return _written(x, ("f", 0))
    return _written(x, _style(x, digits))


def common_style(values, digits: int) -> tuple[str, int]:
    """One style for numbers shown together (a vector, a table's column): all
    integers stay integers; else the decimals the largest needs, for all of
    them ([-0.6667, -1.3333, -2.0000], never [-0.6667, -1.3333, -2]); all
    scientific when one needs it, or, as numpy prints arrays, when they are
    too far apart in size for one count of decimals to show the smallest."""
    finite = [v for v in values if math.isfinite(v)]
    styles = [_style(v, digits) for v in finite]
    if not styles or all(kind == "int" for kind, _ in styles):
        return "int", 0
    sci = "e", max(max(digits, 1) - 1, 1)
    if any(kind == "e" for kind, _ in styles):
        return sci
    largest = max(finite, key=abs)
    kind, decimals = _style(largest, digits)
    if kind == "int":
        decimals = digits
    sizes = [abs(v) for v in finite if v]
    smallest = min(sizes)
    if max(sizes) > 1e3 * smallest and _style(smallest, digits)[1] > decimals:
        return sci
    return "f", decimals


def column(values, digits: int) -> list[str]:
    """Numbers shown together, in one style (see common_style)."""
    values = [float(v) for v in values]
    style = common_style(values, digits)
    return [_written(v, style) for v in values]


def true_decimals(compute, operands: tuple, result, digits: int, limit: int = 15) -> int | None:
    """The fewest digits d (at least `digits`) to show the operands of an
    equation `operands … = result` at, each with d - digits decimals more than
    `digits` gives it (num's `extra`), the result at `digits`, for it to be true
    as shown: compute(*operands as shown) gives the result as shown, to half a
    unit of its last digit (entry by entry for arrays). None when no precision
    up to `limit` makes it so (then the text says ≈). At 2 digits 2 × 0.20 is
    not 0.39, 2 × 0.197 is (the sigmoid's 0.1966): 3; at 4, 2 × 7.3891 is not
    14.7781, 2 × 7.38906 is: 5."""
    for d in range(digits, max(digits, limit) + 1):
        try:
            value = compute(*[_as_shown(x, digits, d - digits) for x in operands])
        except (ArithmeticError, ValueError):
            return None
        if _agrees(value, result, digits):
            return d
    return None


def _as_shown(x, digits: int, extra: int):
    """x as a reader takes it from the page at `digits`, `extra` decimals more."""
    if isinstance(x, (int, float)):
        return float(num(x, digits, extra=extra))
    import numpy as np
    a = np.asarray(x, dtype=float)
    style = _widened(common_style(a.ravel().tolist(), digits), extra)
    return np.array([float(_written(v, style)) for v in a.ravel().tolist()]).reshape(a.shape)


def _widened(style: tuple[str, int], extra: int) -> tuple[str, int]:
    """A style with `extra` decimals more (an integer stays one: it is exact)."""
    kind, decimals = style
    return style if kind == "int" else (kind, decimals + extra)


def _agrees(value, result, digits: int) -> bool:
    """value, computed from the numbers shown, rounds to result as shown."""
    if isinstance(value, (int, float)) and isinstance(result, (int, float)):
        values, results = [float(value)], [float(result)]          # a plain scalar run imports no numpy
    else:
        import numpy as np
        results = np.ravel(np.asarray(result, dtype=float))
        values = np.broadcast_to(np.ravel(np.asarray(value, dtype=float)), results.shape).tolist()
        results = results.tolist()
    style = common_style(results, digits)
    for v, r in zip(values, results):
        text = _written(r, style)
        if not math.isfinite(r):            # inf shown: true only of inf
            if v != r:
                return False
            continue
        kind, decimals = style
        if kind == "e":
            unit = 10.0 ** (int(text.partition("e")[2]) - decimals)
        else:           # an integer shown is exact: as true as `digits` decimals can tell
            unit = 10.0 ** -(decimals if kind == "f" else digits)
        if not abs(v - float(text)) <= 0.5 * unit * (1 + 1e-9):       # nan worked out: not true either
            return False
    return True


def paren(text: str) -> str:
    """Wrap a negative number written after an operator: 2 × (-0.53)."""
    return f"({text})" if text.startswith("-") else text


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


def array_text(x, digits: int = 4, full: bool = False, entry=None, extra: int = 0) -> str:
    """An array on one line: in full, [[0.088, 0.176], [0.104, 0.208]], when it is
    small (or `full`); else summarised as its shape, its first entries and its norm.
    `extra` decimals more in full: an equation's operand that needs them (true_decimals)."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return _scalar(float(a), digits)
    if full or is_small(a):
        rows = matrix_rows(a, digits, align=False, entry=entry, extra=extra)
        return rows[0] if a.ndim == 1 else "[" + ", ".join(rows) + "]"
    head = ", ".join(column(a.flat[:3], digits))
    with np.errstate(all="ignore"):
        norm = float(np.linalg.norm(a))
    return f"{shape_tuple(a.shape)} [{head}, …] ‖·‖ = {_scalar(norm, digits)}"


def matrix_rows(x, digits: int = 4, align: bool = True, entry=None, extra: int = 0) -> list[str]:
    """The rows of a vector or matrix as bracketed text, entries right-aligned in
    columns when `align` (to print a matrix one row per line). More than two
    dimensions: the leading ones are flattened into rows."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    grid = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])
    if entry is None:                   # one format for the whole array
        style = _widened(common_style(a.ravel().tolist(), digits), extra)
        cells = [[_written(float(v), style) for v in row] for row in grid]
    else:
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


_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


def tex_name(name: str) -> str:
    """A user's name in LaTeX math: w0 and w_0 -> w_{0}, theta -> \\theta, loss -> \\mathrm{loss};
    a reassigned name's version c₁ -> c_{1} (w0₁ -> {w_{0}}_{1}); α -> \\alpha; `_`, `x_` and other
    letters (é, х, 变量) as text, which tex_unicode_setup lets pdflatex compile."""
    base = name.rstrip(_SUBSCRIPTS)
    if base and base != name:
        version = "".join(str(_SUBSCRIPTS.index(ch)) for ch in name[len(base):])
        inner = tex_name(base)
        return f"{{{inner}}}_{{{version}}}" if "_" in inner else f"{inner}_{{{version}}}"
    head, sep, tail = name.partition("_")
    if not sep:
        stripped = name.rstrip("0123456789")
        if stripped and stripped != name:
            head, tail = stripped, name[len(stripped):]
    if not head or (sep and not tail) or not tail.isascii() or not head.isascii() and head not in _GREEK_LETTERS:
        return "\\text{" + tex_escape(name) + "}"
    if head in _GREEK:
        head = "\\" + head
    elif head in _GREEK_LETTERS:
        head = _GREEK_LETTERS[head]
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
    style = common_style(x.ravel().tolist(), digits)          # one format for the whole matrix
    body = r" \\ ".join(" & ".join(tex_sci(_written(float(v), style)) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


# Greek letters typed as such: their math commands (capitals that look Latin are Latin).
_GREEK_LETTERS = {ch: "\\" + name for ch, name in zip(
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ",
    ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
     "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta",
     "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"])}


def tex_unicode_setup(text: str) -> str:
    """Lines that let pdflatex typeset every character of `text` above Latin-1
    it has no glyph for: Greek letters as their symbols, sub- and superscript
    digits (the labels' +₂) and a few symbols (≠) as such, any other letter
    (х, 变) as its code point, U+0445. XeLaTeX and LuaLaTeX skip them and use
    their own fonts. (What \\DeclareUnicodeCharacter does, which only a
    preamble may use.)"""
    found = sorted({ch for ch in text if ord(ch) > 0xFF and (ch.isalpha() or ch in _SCRIPTS)})
    if not found:
        return ""
    lines = ["\\ifx\\XeTeXversion\\undefined\\ifx\\directlua\\undefined   % pdflatex: what it has no glyphs for"]
    for ch in found:
        shown = _GREEK_LETTERS.get(ch) or _SCRIPTS.get(ch) or "\\text{\\ttfamily U+%04X}" % ord(ch)
        lines.append("  \\expandafter\\def\\csname u8:\\detokenize{%s}\\endcsname{\\ensuremath{%s}}" % (ch, shown))
    lines.append("\\fi\\fi")
    return "\n".join(lines) + "\n"


_SCRIPTS = {ch: "_{%d}" % k for k, ch in enumerate("₀₁₂₃₄₅₆₇₈₉")} | \
    {ch: "^{%d}" % k for k, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹") if ord(ch) > 0xFF} | \
    {"≠": r"\neq", "≤": r"\leq", "≥": r"\geq", "→": r"\to", "∞": r"\infty"}


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
_TEX_SPECIAL.update({ch: rf"\textsubscript{{{k}}}" for k, ch in enumerate(_SUBSCRIPTS)})    # names: +₂, x*y₁


def tex_escape(text: str) -> str:
    """Text for LaTeX text mode (names, source code inside \\texttt)."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def tex_function(op) -> str:
    """The TeX name of a function op (exp -> \\exp, sigmoid -> \\sigma): the
    name lives with the op row; an op without one is typeset by its call name."""
    return op.tex or tex_name(op.call or op.name)
