"""Forward and backward: the only place the chain rule runs.

Backward visits nodes in reverse topological order from ∂f/∂f = 1 and records
every edge as a tuple (see records.Step for the fields), so a renderer can
narrate local gradient × upstream gradient = gradient without redoing math.
Plain loops over lists, no closures per node and no recursion."""
from __future__ import annotations

import math

from .errors import BptutorMathError, BptutorValueError
from .graph import Graph
from .ops import OPS, ScalarNS

INPUT, CONST = OPS["input"], OPS["const"]
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, ArithmeticError)

# Step kinds, as recorded in the tuples below.
SEED, EDGE, SUM = "seed", "edge", "sum"


def namespace(values) -> object:
    """math-backed functions for Python floats, numpy's for arrays."""
    for v in values:
        if not isinstance(v, (int, float)):
            from .tensor import ArrayNS     # numpy only when an array shows up
            return ArrayNS
    return ScalarNS


def check_values(g: Graph, values: dict) -> list[str]:
    """Raise when an input has no value; return the names given but unused."""
    missing = [name for name in g.inputs if name not in values]
    if missing:
        raise BptutorValueError("value.missing", None, names=", ".join(missing),
                                example=",".join(f"{name}=1" for name in missing))
    return [name for name in values if name not in g.inputs]


def forward(g: Graph, values: dict, xp=ScalarNS, start: int = 0, vals: list | None = None) -> list:
    """Every node's value. With `start` and `vals`, recompute only from `start` on
    (the numeric check moves one input and reuses the rest)."""
    nodes = g.nodes
    if vals is None:
        vals = [None] * len(nodes)
    else:
        vals = vals.copy()
    finite = math.isfinite if xp is ScalarNS else xp.all_finite
    for i in range(start, len(nodes)):
        node = nodes[i]
        op = node.op
        if op is INPUT:
            vals[i] = values[node.name]
            continue
        if op is CONST:
            vals[i] = node.c
            continue
        args = node.args
        try:
            if len(args) == 1:
                v = op.forward(xp, node.c, vals[args[0]])
            else:
                v = op.forward(xp, node.c, *[vals[j] for j in args])
        except _MATH_ERRORS:
            raise _domain_error(g, i, vals) from None
        if not finite(v):
            raise _domain_error(g, i, vals)
        vals[i] = v
    return vals


def _domain_error(g: Graph, i: int, vals: list) -> BptutorMathError:
    """Name the node and its inputs' values: log of 0, 1/0, overflow..."""
    from .numfmt import num
    node = g.nodes[i]
    args = ", ".join(num(vals[j]) for j in node.args)
    overflow = all(_finite_scalar(vals[j]) for j in node.args) and node.op.domain == "math.domain"
    key = "math.overflow" if overflow else node.op.domain
    return BptutorMathError(key, (node.start, node.end), node=node.label or g.source[node.start:node.end],
                            args=args)


def _finite_scalar(v) -> bool:
    try:
        return math.isfinite(v)
    except TypeError:
        return True


def backward(g: Graph, vals: list, xp=ScalarNS) -> tuple[list, list]:
    """Gradients of the output with respect to every node, and the steps:
        (SEED, out)
        (EDGE, node, k, target, local, upstream, contribution, total, kink)
        (SUM, target, step indices of its incoming edges, total)
    A SUM precedes a node's own edges when several paths met at it."""
    nodes = g.nodes
    out = g.output
    grads: list = [0.0] * len(nodes)
    grads[out] = 1.0
    reached = [False] * len(nodes)
    reached[out] = True
    incoming: list = [None] * len(nodes)
    steps: list = [(SEED, out)]
    vjp_mode = xp is not ScalarNS
    finite = math.isfinite if xp is ScalarNS else xp.all_finite
    for i in range(out, -1, -1):
        if not reached[i]:
            continue
        node = nodes[i]
        into = incoming[i]
        if into is not None and len(into) > 1:
            steps.append((SUM, i, tuple(into), grads[i]))
        args = node.args
        if not args:
            continue
        op = node.op
        upstream = grads[i]
        out_val = vals[i]
        arg_vals = [vals[j] for j in args]
        kink = op.kink is not None and _any(op.kink(node.c, *arg_vals))
        for k, j in enumerate(args):
            try:
                if vjp_mode:
                    local, contribution = xp.vjp(op, k, node.c, upstream, out_val, arg_vals)
                else:
                    local = op.local[k](xp, node.c, out_val, *arg_vals)
                    contribution = local * upstream
            except _MATH_ERRORS:
                raise _gradient_error(g, i) from None
            if not finite(contribution):
                raise _gradient_error(g, i)
            total = grads[j] = grads[j] + contribution if reached[j] else contribution
            reached[j] = True
            if incoming[j] is None:
                incoming[j] = [len(steps)]
            else:
                incoming[j].append(len(steps))
            steps.append((EDGE, i, k, j, local, upstream, contribution, total, kink))
    return grads, steps


def _any(flag) -> bool:
    try:
        return bool(flag)
    except ValueError:                  # an array of flags
        return bool(flag.any())


def _gradient_error(g: Graph, i: int) -> BptutorMathError:
    node = g.nodes[i]
    return BptutorMathError("math.gradient_undefined", (node.start, node.end), node=node.label)
