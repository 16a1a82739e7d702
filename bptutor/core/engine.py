"""Forward and backward: the only place the chain rule runs.

Backward visits nodes in reverse topological order from ∂f/∂f = 1 and records
every edge as a tuple (see records.Step for the fields), so a renderer can
narrate local gradient × upstream gradient = gradient without redoing math.
Plain loops over lists, no closures per node and no recursion."""
from __future__ import annotations

import math

from ..errors import BptutorError, BptutorMathError, BptutorValueError
from .graph import Graph
from .ops import OPS, failure_key
from .xp import ScalarNS

INPUT = OPS["input"]
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, ArithmeticError, IndexError, TypeError)



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
    i = start
    try:
        for i in range(start, len(nodes)):
            node = nodes[i]
            args = node.args
            n_args = len(args)
            if n_args == 1:
                vals[i] = node.op.forward(xp, node.c, vals[args[0]])
            elif n_args == 2:
                vals[i] = node.op.forward(xp, node.c, vals[args[0]], vals[args[1]])
            elif args:
                vals[i] = node.op.forward(xp, node.c, *[vals[j] for j in args])
            elif node.op is INPUT:
                vals[i] = values[node.name]
            else:
                vals[i] = node.c
    except BptutorError as exc:             # shapes that do not fit (array namespace)
        raise locate(exc, g, i) from None
    except _MATH_ERRORS as exc:
        problem = xp.explain(g, i, vals) if xp is not ScalarNS else None
        raise (locate(problem, g, i) if problem else _domain_error(g, i, vals, exc)) from None
    _check_finite_values(g, vals, start, xp)
    return vals


def locate(exc: BptutorError, g: Graph, i: int) -> BptutorError:
    """Point an error found while evaluating node i at its operator, naming its text."""
    node = g.nodes[i]
    exc.span = (node.op_start, node.op_end)
    exc.params.setdefault("expr", " ".join(g.source[node.start:node.end].split()))
    return exc


def _check_finite_values(g: Graph, vals: list, start: int, xp) -> None:
    """Only when some value is inf or nan, find the node where it began."""
    ok, finite = _all_finite(vals[start:], xp)
    if not ok:
        for i in range(start, len(vals)):
            if not finite(vals[i]):
                raise _domain_error(g, i, vals, None if _has_inf(vals[i]) else ValueError())


def _all_finite(values, xp):
    """(are all values finite?, the test for one value). For floats one sum
    answers for all: inf and nan propagate through it."""
    if xp is ScalarNS:
        try:
            return math.isfinite(sum(values)), math.isfinite
        except OverflowError:
            return False, math.isfinite
    return all(xp.all_finite(v) for v in values), xp.all_finite


def _has_inf(v) -> bool:
    """An inf (overflow) rather than only nans (outside the domain)."""
    try:
        return math.isinf(v)
    except TypeError:                   # an array
        import numpy as np
        return bool(np.isinf(v).any())


def _finite_value(v) -> bool:
    try:
        return math.isfinite(v)
    except TypeError:
        import numpy as np
        return bool(np.isfinite(v).all())


def _node_name(g: Graph, i: int) -> str:
    node = g.nodes[i]
    return node.label or " ".join(g.source[node.start:node.end].split())[:40]


def _domain_error(g: Graph, i: int, vals: list, exc) -> BptutorMathError:
    """Name the node (the first one that failed: where an overflow began) and
    its inputs' values: log of 0, 1/0, overflow..."""
    from ..render.numbers import num
    node = g.nodes[i]
    args = ", ".join(num(vals[j]) for j in node.args)
    key = failure_key(node.op, exc, node.c, [vals[j] for j in node.args])
    return BptutorMathError(key, (node.start, node.end), node=_node_name(g, i), args=args)


def backward(g: Graph, vals: list, xp=ScalarNS, wanted: list | None = None) -> tuple[list, list, list]:
    """Gradients of the output with respect to every node (None where no path
    leads to the output), the edges in the order backward visited them as
    tuples (node, k, target, local, upstream, contribution), and the nodes
    evaluated at a kink. records.Derivation turns the edges into the narrated
    steps (running totals, sums of paths) only when someone reads them: this
    loop is the hot path (benchmarked in bench/engine.py).
    With arrays, `wanted` (see needed_for) skips the edges that lead to no
    input asked for, as PyTorch skips tensors without requires_grad."""
    nodes = g.nodes
    out = g.output
    grads: list = [None] * len(nodes)
    grads[out] = 1.0
    edges: list = []
    record = edges.append
    kinks: list = []
    vjp = None if xp is ScalarNS else xp.vjp
    i = out
    try:
        for i in range(out, -1, -1):
            upstream = grads[i]
            if upstream is None:
                continue
            node = nodes[i]
            args = node.args
            if not args:
                continue
            op = node.op
            c = node.c
            out_val = vals[i]
            if vjp is None and len(args) == 1:          # the common case, kept lean
                j = args[0]
                a = vals[j]
                if op.kink is not None and op.kink(c, a):
                    kinks.append(i)
                local = op.local[0](xp, c, out_val, a)
                contribution = local * upstream
                old = grads[j]
                grads[j] = contribution if old is None else old + contribution
                record((i, 0, j, local, upstream, contribution))
                continue
            arg_vals = [vals[j] for j in args]
            if op.kink is not None and _any(op.kink(c, *arg_vals)):
                kinks.append(i)
            for k, j in enumerate(args):
                if vjp is None:
                    local = op.local[k](xp, c, out_val, *arg_vals)
                    contribution = local * upstream
                else:
                    if wanted is not None and not wanted[j]:
                        continue                # leads to no input asked for (--wrt)
                    local, contribution = vjp(op, k, c, upstream, out_val, arg_vals)
                old = grads[j]
                grads[j] = contribution if old is None else old + contribution
                record((i, k, j, local, upstream, contribution))
    except _MATH_ERRORS:
        raise _gradient_error(g, i, vals, None, grads[i]) from None
    _check_finite_gradients(g, vals, grads, edges, xp)
    return grads, edges, kinks


def needed_for(g: Graph, names) -> list[bool]:
    """For each node, whether a path leads from it down to one of the inputs `names`."""
    wanted = [False] * len(g.nodes)
    for name in names:
        wanted[g.inputs[name]] = True
    for i, node in enumerate(g.nodes):
        if node.args and not wanted[i]:
            wanted[i] = any(wanted[j] for j in node.args)
    return wanted


def _check_finite_gradients(g: Graph, vals: list, grads: list, edges: list, xp) -> None:
    """Only when some gradient is inf or nan, find the first edge (in the order
    backward ran, so where the trouble began) that is not finite, and name its node."""
    ok, finite = _all_finite([x for x in grads if x is not None], xp)
    if ok:
        return
    for i, _k, _j, local, upstream, contribution in edges:
        if not finite(upstream):            # the paths meeting at i added up past the float range
            raise _gradient_error(g, i, vals, None, None, summed=True)
        if not finite(contribution):
            raise _gradient_error(g, i, vals, local, upstream)
    for j, total in enumerate(grads):       # a leaf where the paths meet
        if total is not None and not finite(total):
            raise _gradient_error(g, j, vals, None, None, summed=True)


def _any(flag) -> bool:
    try:
        return bool(flag)
    except ValueError:                  # an array of flags
        return bool(flag.any())


def _gradient_error(g: Graph, i: int, vals, local, upstream, summed: bool = False) -> BptutorMathError:
    """A gradient that is not finite, at the node where it began: a local
    gradient undefined at this point (sqrt at 0), local × upstream beyond the
    float range, or the paths meeting at a node adding up past it."""
    from ..render.numbers import num
    node = g.nodes[i]
    span = (node.start, node.end)
    if summed:
        return BptutorMathError("math.gradient_overflow_sum", span, node=_node_name(g, i))
    if local is None or not _finite_value(local):
        args = ", ".join(num(vals[j]) for j in node.args)
        return BptutorMathError("math.gradient_undefined", span, node=_node_name(g, i), args=args)
    return BptutorMathError("math.gradient_overflow", span, node=_node_name(g, i), local=num(local),
                            upstream=num(upstream))
