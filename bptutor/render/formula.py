"""A node's expression typeset from the graph, not from the source text: the
forward pass and the header formula of the notes, operands inside formulas.
A precedence table decides the brackets (the idea of sympy's
printing/precedence.py); the walk is iterative, with an explicit stack,
because 100,000-deep nesting exists, and it gives up past a length budget."""
from __future__ import annotations

import math

from ..core.graph import Graph
from .numbers import short, tex_escape, tex_function, tex_name, tex_sci

# How tightly each form binds, loosest first. An operand binding more loosely
# than its place asks for gets brackets.
SUM, PRODUCT, UNARY, POWER, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6

# Two-input infix ops: precedence, plain operator, LaTeX operator.
INFIX = {"add": (SUM, "+", "+"), "sub": (SUM, "-", "-"), "mul": (PRODUCT, "*", r" \cdot "),
         "div": (PRODUCT, "/", "/"), "matmul": (PRODUCT, "@", r"\,"), "pow": (POWER, "^", "^")}
# One-input ops holding a constant: the infix op they stand for, and whether the
# constant is always the left operand (c - x) or sits where the user put it (2*x, x*2).
WITH_CONSTANT = {"add_const": ("add", None), "mul_const": ("mul", None), "div_const": ("div", False),
                 "pow_const": ("pow", False), "rsub_const": ("sub", True), "rdiv_const": ("div", True),
                 "rpow_const": ("pow", True)}

_CLOSE = (")", ")")


def typeset(graph: Graph, root: int, limit: int) -> tuple[str, str] | None:
    """(plain, LaTeX) of node `root`'s expression, operands named where the
    program named them; None when the plain form would pass `limit` characters.
    A span much longer than the limit is refused before walking (typesetting
    every node of a 100,000-deep chain must stay linear)."""
    nodes = graph.nodes
    node = nodes[root]
    if node.end - node.start > 4 * limit:
        return None
    plain, latex = [], []
    size = 0
    budget = 8 * limit + 16          # stack items, in case a short span hides a big subtree
    # Items: a node to write (index, the precedence its place needs, the LaTeX
    # wants brackets too, it is a right operand), or a (plain, LaTeX) pair of text.
    stack: list = [(root, 0, True, False)]
    while stack:
        item = stack.pop()
        if len(item) == 2:
            plain.append(item[0])
            latex.append(item[1])
            size += len(item[0])
            if size > limit:
                return None
            continue
        budget -= 1
        if budget < 0:
            return None
        i, need, tex_brackets, right = item
        prec, parts = _form(graph, i, i == root)
        if prec < need or (right and prec == UNARY):          # a right operand never starts with a minus
            parts = [(")", ")" if tex_brackets else "")] + parts + [("(", "(" if tex_brackets else "")]
        stack.extend(parts)
    return "".join(plain), "".join(latex)


def _form(graph: Graph, i: int, root: bool) -> tuple[int, list]:
    """Node i's precedence and its parts, last first (they go on a stack)."""
    node = graph.nodes[i]
    op = node.op
    if op.name == "input" or (node.name and not root):
        return ATOM, [(node.label, tex_name(node.label))]
    if op.name == "const":
        return _constant(node.c)
    name, args, c = op.name, node.args, node.c
    if name in INFIX:
        return _infix(graph, name, args[0], args[1])
    if name in WITH_CONSTANT:
        infix, left = WITH_CONSTANT[name]
        if left is None:        # commutative: the constant goes where the user wrote it
            left = _constant_first(graph, node)
        if name == "add_const" and not left and c < 0:
            return _infix(graph, "sub", args[0], -c)                  # x - 3 is stored as x + (-3)
        return _infix(graph, infix, c, args[0]) if left else _infix(graph, infix, args[0], c)
    if name == "neg":
        return UNARY, [(args[0], UNARY + 1, True, False), ("-", "-")]
    if name == "transpose":
        return POSTFIX, _superscript(graph, args[0], (".T", r"^\top"))
    if name == "index":
        at = ",".join(str(k) for k in c)
        return POSTFIX, [(f"[{at}]", f"[{at}]"), (args[0], POSTFIX, True, False)]
    if name == "sqrt":
        return ATOM, [(")", "}"), (args[0], 0, False, False), ("sqrt(", r"\sqrt{")]
    if name == "exp":           # e^{x} as the notes write it; POWER, so (e^{x})^{2} keeps its brackets
        return POWER, [(")", "}"), (args[0], 0, False, False), ("exp(", "e^{")]
    fname = tex_function(op)
    parts = [(f",{c})", f",{c})") if c is not None else _CLOSE]
    for k in range(len(args) - 1, -1, -1):
        parts.append((args[k], 0, True, False))
        if k:
            parts.append((",", ","))
    parts.append((op.call + "(", fname + (" (" if fname[-1].isalpha() else "(")))
    return ATOM, parts


def _infix(graph: Graph, name: str, a, b) -> tuple[int, list]:
    """a (op) b where a and b are node indices or constants (floats)."""
    prec, plain_op, tex_op = INFIX[name]
    if name == "pow":           # the exponent is braced in LaTeX, bracketed in plain text only where needed
        exponent = [("", "}"), _operand(b, UNARY, False, False)]
        if isinstance(a, int):
            return POWER, _superscript(graph, a, ("^", "^{"), exponent)
        return POWER, exponent + [("^", "^{"), _operand(a, POSTFIX, True, False)]
    return prec, [_operand(b, prec + 1, True, True), (plain_op, tex_op), _operand(a, prec, True, False)]


def _operand(x, need: int, tex_brackets: bool, right: bool):
    if isinstance(x, int):
        return (x, need, tex_brackets, right)
    prec, parts = _constant(x)
    if prec < need or (right and prec == UNARY):
        plain, latex = parts[0]
        return (f"({plain})", f"({latex})" if tex_brackets else latex)
    return parts[0]


def _constant_first(graph: Graph, node) -> bool:
    """Did the user write the constant before the operand (2*x, 1+exp(u))? An
    operand built here spans its own text, so the wider gap is the constant's;
    a name spans where it was defined, so it is first if the text starts with it
    (after any opening brackets: (x)*2)."""
    a = graph.nodes[node.args[0]]
    if a.name:
        source, start = graph.source, node.start
        while start < node.end and source[start] in "( \t":
            start += 1
        return not source.startswith(a.name, start)
    return a.start - node.start > node.end - a.end


def _superscript(graph: Graph, base: int, mark: tuple[str, str], after: list = ()) -> list:
    """base, then a superscript (`mark` and what follows it): a base that
    carries a superscript already is braced in LaTeX ({W^\\top}^{2}, never W^\\top^{2})."""
    node = graph.nodes[base]
    if node.op.name == "transpose" and not node.name:
        return [*after, mark, ("", "}"), (base, POSTFIX, True, False), ("", "{")]
    return [*after, mark, (base, POSTFIX, True, False)]


def _constant(c) -> tuple[int, list]:
    """A constant: pi and e by name; a negative one binds as a unary minus."""
    if not isinstance(c, float):
        return ATOM, [(short(c), _tex_array(c))]
    if c == math.pi:
        return ATOM, [("pi", r"\pi")]
    if c == math.e:
        return ATOM, [("e", "e")]
    text = short(c)
    latex = tex_sci(text)
    prec = UNARY if c < 0 else PRODUCT if latex != text else ATOM      # 2.5\times10^{-7} is a product
    return prec, [(text, latex)]


def _tex_array(c) -> str:
    """A constant array as the user typed it: a bmatrix of its entries (a vector as a column)."""
    shape = getattr(c, "shape", ())
    if len(shape) not in (1, 2) or c.size > 36:
        return r"\text{" + short(c) + "}"
    rows = c.tolist() if len(shape) == 2 else [[v] for v in c.tolist()]
    body = r" \\ ".join(" & ".join(tex_sci(short(float(v))) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def gate_latex(node, label: str) -> str:
    """A node named by its gate (`exp`, `+1`, `+₂`) inside a formula: a function
    by its TeX name, another gate as text; a subscript number as a subscript."""
    gate = label.rstrip("₀₁₂₃₄₅₆₇₈₉")
    number = label[len(gate):].translate(_FROM_SUBSCRIPT)
    if node.op.call:
        tex = tex_function(node.op)
    elif node.op.name == "transpose":
        tex = r"{}^\top"
    else:
        tex = r"\text{" + tex_escape(gate) + "}"
    return f"{tex}_{{{number}}}" if number else tex


_FROM_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
