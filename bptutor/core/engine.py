"""Forward and backward: the only place the chain rule runs.

Backward visits nodes in reverse topological order from ∂f/∂f = 1 and records
every edge as a tuple (see records.Edge for the fields), so a renderer can
narrate local gradient × upstream gradient = gradient without redoing math.
Plain loops over lists, no closures per node and no recursion.

With arrays both passes run under the array namespace's strict() rules
(numpy's floating-point problems raised at the op that met them), so callers
never set them up."""
from __future__ import annotations

import math
import operator
import weakref
from itertools import islice

from ..errors import BptutorError, BptutorMathError, BptutorValueError, Numbers
from .graph import Graph, needed_for
from .ops import OPS, failure_key
from .records import Tape
from .xp import ScalarNS

INPUT = OPS["input"]
# What a user's numbers can cause: 1/0, overflow, a math domain error (ValueError,
# also numpy's "invalid" under strict()). Anything else (TypeError, IndexError,
# AttributeError...) is a bug in bptutor and propagates as one.
_MATH_ERRORS = (ArithmeticError, ValueError)


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
    if xp is ScalarNS:
        return _forward_scalar(g, values, start, vals)
    with xp.strict():
        return _forward(g, values, xp, start, vals)


# ---- the scalar hot path ---------------------------------------------------------------
# For Python floats the common rows run as the C functions (or the one
# expression) their table entries call on floats: operator.add is `a + b`,
# math.exp is ScalarNS.exp. The op table stays the definition: a row missing
# here runs through its own functions, and tests/test_engine.py checks every
# entry below against its row. Keyed by the row object, so a replaced row is
# never mistaken for the original.
BINARY, UNARY, RIGHT, LEFT, INPUT_LEAF, CONST_LEAF = range(6)     # how forward runs a node
_FORWARD = {
    "add": (BINARY, operator.add), "sub": (BINARY, operator.sub), "mul": (BINARY, operator.mul),
    "div": (BINARY, operator.truediv), "pow": (BINARY, ScalarNS.power),
    "max": (BINARY, ScalarNS.maximum), "min": (BINARY, ScalarNS.minimum),
    "add_const": (RIGHT, operator.add), "mul_const": (RIGHT, operator.mul),
    "div_const": (RIGHT, operator.truediv), "pow_const": (RIGHT, ScalarNS.power),
    "rsub_const": (LEFT, operator.sub), "rdiv_const": (LEFT, operator.truediv),
    "rpow_const": (LEFT, ScalarNS.power),
    "neg": (UNARY, operator.neg), "exp": (UNARY, ScalarNS.exp), "log": (UNARY, ScalarNS.log),
    "sqrt": (UNARY, ScalarNS.sqrt), "sin": (UNARY, ScalarNS.sin), "cos": (UNARY, ScalarNS.cos),
    "tan": (UNARY, ScalarNS.tan), "tanh": (UNARY, ScalarNS.tanh), "sigmoid": (UNARY, ScalarNS.sigmoid),
    "abs": (UNARY, ScalarNS.abs),
}
# The local gradients backward computes inline, by the rows' own expressions
# (out is the node's value, a and b its inputs', c its constant).
(ONE_ONE, ONE_MINUS_ONE, OTHER, QUOTIENT,                             # two inputs
 ONE, MINUS_ONE, C, INV_C, MINUS_C_OVER_A2, OUT, ONE_MINUS_OUT2,       # one input
 SIGMOID, INV_A, HALF_INV_OUT, COS_A, MINUS_SIN_A, ONE_PLUS_OUT2) = range(17)
_LOCAL = {
    "add": ONE_ONE, "sub": ONE_MINUS_ONE, "mul": OTHER, "div": QUOTIENT,                   # 1, 1 | 1, -1 | b, a | 1/b, -(a/b)/b
    "add_const": ONE, "neg": MINUS_ONE, "rsub_const": MINUS_ONE, "mul_const": C, "div_const": INV_C,
    "rdiv_const": MINUS_C_OVER_A2, "exp": OUT, "tanh": ONE_MINUS_OUT2, "sigmoid": SIGMOID,    # -(c/a)/a, e^a, 1-out²,
    "log": INV_A, "sqrt": HALF_INV_OUT, "sin": COS_A, "cos": MINUS_SIN_A, "tan": ONE_PLUS_OUT2,  # (1-out)·out, ...
}


def _by_row(table: dict) -> dict:
    """Keyed by the row object's id (rows are never freed: OPS holds them)."""
    return {id(OPS[name]): entry for name, entry in table.items() if name in OPS}


_PLANS = _by_row({**{name: (mode, fn, _LOCAL.get(name)) for name, (mode, fn) in _FORWARD.items()},
                  "input": (INPUT_LEAF, None, None), "const": (CONST_LEAF, None, None)})
_AS_PLANNED = {id(op): (op, op.forward, op.local) for op in OPS.values()}
_ROW = (None, None, None)               # a row not above: its own functions run
_op_of = operator.itemgetter(0)        # a row's op
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plan(g: Graph) -> list:
    """How the scalar passes run each node: (forward mode, its C function, the
    local code of backward), or _ROW. Built once per graph in C loops (map) and
    kept while the graph lives. A row whose functions are no longer those the
    table above mirrors (a test injecting a bug) runs its own."""
    cached = _plans.get(g)
    if cached is None or len(cached) != len(g.rows):
        cached = _plans[g] = list(map(_Planned().__getitem__, map(_op_of, g.rows)))
    return cached


class _Planned(dict):
    """op row -> its plan, looked up the first time a plan meets the row."""

    def __missing__(self, op):
        row = id(op)
        as_planned = row in _PLANS and op.forward is _AS_PLANNED[row][1] and op.local is _AS_PLANNED[row][2]
        entry = self[op] = _PLANS[row] if as_planned else _ROW
        return entry


def _forward_scalar(g: Graph, values: dict, start: int, vals: list | None) -> list:
    out = [] if vals is None else vals[:start]
    keep = out.append
    xp = ScalarNS
    todo = zip(plan(g), g.rows)
    if start:
        todo = islice(todo, start, None)
    try:
        for (mode, fn, _code), (op, args, c, name, _start, _end, _op_start, _op_end) in todo:
            if mode == UNARY:
                keep(fn(out[args[0]]))
            elif mode == BINARY:
                keep(fn(out[args[0]], out[args[1]]))
            elif mode == RIGHT:
                keep(fn(out[args[0]], c))
            elif mode == LEFT:
                keep(fn(c, out[args[0]]))
            elif mode == INPUT_LEAF:
                keep(values[name])
            elif mode == CONST_LEAF:
                keep(c)
            elif args:
                keep(op.forward(xp, c, *[out[j] for j in args]))
            else:                           # a leaf row of its own
                keep(values[name] if op is INPUT else c)
    except BptutorError as exc:             # a tensor row given numbers
        raise locate(exc, g, len(out)) from None
    except _MATH_ERRORS as exc:
        raise _domain_error(g, len(out), out, exc) from None
    try:
        finite = math.isfinite(sum(out if not start else islice(out, start, None)))
    except OverflowError:
        finite = False
    if not finite:
        _check_finite_values(g, out, start, xp)
    return out


def _forward(g: Graph, values: dict, xp, start: int, vals: list | None) -> list:
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
    node = g.nodes[i]
    args = Numbers(vals[j] for j in node.args)
    key = failure_key(node.op, exc, node.c, [vals[j] for j in node.args])
    return BptutorMathError(key, (node.start, node.end), node=_node_name(g, i), args=args)


def backward(g: Graph, vals: list, xp=ScalarNS, wanted=None) -> Tape:
    """Gradients of the output with respect to every node (None where no path
    leads to the output), the edges in the order backward visited them, and
    the nodes evaluated at a kink. The tape keeps only each edge's local
    gradient (and, with arrays, its contribution): Tape.edges rebuilds the
    Edge-shaped tuples when first read, and steps.build_steps the narrated
    steps (running totals, sums of paths) only when someone reads them: this
    loop is the hot path (benchmarked in bench/engine.py).
    With arrays, only the edges that lead to an input named in `wanted` (every
    input when None) are followed, as PyTorch skips tensors without
    requires_grad: no edges into constants or into inputs left out by --wrt.
    Scalars keep every edge: the narration shows them all."""
    if xp is ScalarNS:
        return _backward_scalar(g, vals)
    needed = needed_for(g, g.inputs if wanted is None else wanted)
    with xp.strict():
        return _backward(g, vals, xp, needed)


def _backward_scalar(g: Graph, vals: list) -> Tape:
    """backward for floats: the common rows' locals inline (see _LOCAL)."""
    steps = plan(g)
    rows = g.rows
    out = g.output
    grads: list = [None] * len(rows)
    grads[out] = 1.0
    locals_: list = []
    keep = locals_.append
    kinks: list = []
    xp = ScalarNS
    i = out
    try:
        for i in range(out, -1, -1):
            upstream = grads[i]
            if upstream is None:
                continue
            code = steps[i][2]
            row = rows[i]
            args = row[1]
            if code is None:                    # the row's own functions (relu, max, pow, ...)
                if not args:
                    continue
                op, c, out_val = row[0], row[2], vals[i]
                arg_vals = [vals[j] for j in args]
                if op.kink is not None and op.kink(c, *arg_vals):
                    kinks.append(i)
                for k, j in enumerate(args):
                    local = op.local[k](xp, c, out_val, *arg_vals)
                    contribution = local * upstream
                    old = grads[j]
                    grads[j] = contribution if old is None else old + contribution
                    keep(local)
                continue
            if code <= QUOTIENT:                # two inputs
                x, y = args
                if code == ONE_ONE:
                    local = other = 1.0
                elif code == OTHER:
                    local, other = vals[y], vals[x]
                elif code == ONE_MINUS_ONE:
                    local, other = 1.0, -1.0
                else:                           # QUOTIENT
                    b = vals[y]
                    local, other = 1.0 / b, -(vals[x] / b) / b
                contribution = local * upstream
                old = grads[x]
                grads[x] = contribution if old is None else old + contribution
                contribution = other * upstream
                old = grads[y]
                grads[y] = contribution if old is None else old + contribution
                keep(local)
                keep(other)
                continue
            x = args[0]
            if code == ONE:                     # the most common first
                local = 1.0
            elif code == OUT:
                local = vals[i]
            elif code == MINUS_ONE:
                local = -1.0
            elif code == C:
                local = row[2]
            elif code == ONE_MINUS_OUT2:
                o = vals[i]
                local = 1.0 - o * o
            elif code == SIGMOID:
                o = vals[i]
                local = (1.0 - o) * o
            elif code == MINUS_C_OVER_A2:
                a = vals[x]
                local = -(row[2] / a) / a
            elif code == INV_C:
                local = 1.0 / row[2]
            elif code == INV_A:
                local = 1.0 / vals[x]
            elif code == HALF_INV_OUT:
                local = 0.5 / vals[i]
            elif code == COS_A:
                local = xp.cos(vals[x])
            elif code == MINUS_SIN_A:
                local = -xp.sin(vals[x])
            else:                               # ONE_PLUS_OUT2
                o = vals[i]
                local = 1.0 + o * o
            contribution = local * upstream
            old = grads[x]
            grads[x] = contribution if old is None else old + contribution
            keep(local)
    except _MATH_ERRORS as exc:
        raise _gradient_error(g, i, vals, None, grads[i], key=getattr(exc, "key", None)) from None
    tape = Tape(grads, None, kinks, graph=g, locals=locals_)
    try:
        finite = math.isfinite(sum(filter(None, grads)))       # None and 0.0 add nothing
    except OverflowError:
        finite = False
    if not finite:
        _check_finite_gradients(g, vals, grads, tape.edges, xp)
    return tape


def _backward(g: Graph, vals: list, xp, needed: list) -> Tape:
    """backward for arrays: every row through its own functions (vjp for tensor rows)."""
    nodes = g.nodes
    out = g.output
    grads: list = [None] * len(nodes)
    grads[out] = 1.0
    locals_: list = []
    contributions: list = []
    kinks: list = []
    vjp = xp.vjp
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
            arg_vals = [vals[j] for j in args]
            if op.kink is not None and _any(op.kink(c, *arg_vals)):
                kinks.append(i)
            for k, j in enumerate(args):
                if not needed[j]:
                    continue                    # leads to no input asked for (--wrt)
                local, contribution = vjp(op, k, c, upstream, out_val, arg_vals)
                old = grads[j]
                grads[j] = contribution if old is None else old + contribution
                locals_.append(local)
                contributions.append(contribution)
    except _MATH_ERRORS as exc:
        raise _gradient_error(g, i, vals, None, grads[i], key=getattr(exc, "key", None)) from None
    tape = Tape(grads, None, kinks, graph=g, locals=locals_, contributions=contributions, needed=needed)
    _check_finite_gradients(g, vals, grads, tape.edges, xp)
    return tape


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


def _gradient_error(g: Graph, i: int, vals, local, upstream, summed: bool = False,
                    key: str | None = None) -> BptutorMathError:
    """A gradient that is not finite, at the node where it began: a local
    gradient undefined at this point (sqrt at 0; `key` when the op said why,
    see ops.LocalUndefined), local × upstream beyond the float range, or the
    paths meeting at a node adding up past it."""
    node = g.nodes[i]
    span = (node.start, node.end)
    if summed:
        return BptutorMathError("math.gradient_overflow_sum", span, node=_node_name(g, i))
    if local is None or not _finite_value(local):
        args = Numbers(vals[j] for j in node.args)
        return BptutorMathError(key or "math.gradient_undefined", span, node=_node_name(g, i), args=args)
    return BptutorMathError("math.gradient_overflow", span, node=_node_name(g, i), local=Numbers((local,)),
                            upstream=Numbers((upstream,)))


# ---- forward mode, reverse mode from any output, the notes' hand rounding, kinks ------
def leads_to_output(g: Graph, outputs=None) -> list[bool]:
    """For each node, whether a path leads from it up to the output (or to one
    of the node indices `outputs`): the nodes backward visits (a value the
    program computes but never uses is not one)."""
    rows = g.rows                           # the rows: no Node object is needed
    live = [False] * len(rows)
    outputs = (g.output,) if outputs is None else outputs
    for out in outputs:
        live[out] = True
    for i in range(max(outputs), -1, -1):
        if live[i]:
            for j in rows[i][1]:            # the row's args
                live[j] = True
    return live


def tangents(g: Graph, vals: list, xp, seed: dict, outputs=None) -> tuple[list, list]:
    """Forward mode: the tangent ∂node/∂(seed direction) of every node, left to
    right (MML eq. 5.121). `seed` maps a node index or an input name to its
    tangent (1.0 for a scalar, an array shaped like the node otherwise); a
    seeded node counts as independent, its own inputs do not change it.
    Returns (tangents, edges): 0.0 where no path leads from the seed, and, as
    in backward, at nodes with no path to the output (or to any of the node
    indices `outputs`); edges as tuples (node, k, source, local, incoming,
    contribution) in the order visited, `source` being the node's k-th input
    and `incoming` its tangent (local is None for a tensor row, whose jvp gives
    the contribution). A tangent has its node's shape."""
    if xp is ScalarNS:
        return _tangents(g, vals, xp, seed, outputs)
    with xp.strict():
        return _tangents(g, vals, xp, seed, outputs)


def _tangents(g: Graph, vals: list, xp, seed: dict, outputs) -> tuple[list, list]:
    nodes = g.nodes
    dots: list = [None] * len(nodes)
    seeded = {g.inputs[key] if isinstance(key, str) else key: tangent for key, tangent in seed.items()}
    for j, tangent in seeded.items():
        dots[j] = tangent
    live = leads_to_output(g, outputs)
    edges: list = []
    record = edges.append
    jvp = None if xp is ScalarNS else xp.jvp
    i = start = min(seeded, default=len(nodes))
    try:
        for i in range(start, len(nodes)):
            node = nodes[i]
            args = node.args
            if not args or not live[i] or i in seeded:
                continue
            op = node.op
            local_of = op.local
            if len(args) == 1 and local_of:            # the common case, kept lean
                j = args[0]
                incoming = dots[j]
                if incoming is not None:
                    local = local_of[0](xp, node.c, vals[i], vals[j])
                    dots[i] = contribution = local * incoming
                    record((i, 0, j, local, incoming, contribution))
                continue
            if len(args) == 2:
                if dots[args[0]] is None and dots[args[1]] is None:
                    continue
            elif all(dots[j] is None for j in args):
                continue
            c, out = node.c, vals[i]
            arg_vals = [vals[j] for j in args]
            total = None
            for k, j in enumerate(args):
                incoming = dots[j]
                if incoming is None:
                    continue
                if jvp is None:
                    local = local_of[k](xp, c, out, *arg_vals)
                    contribution = local * incoming
                else:
                    local, contribution = jvp(op, k, c, incoming, out, arg_vals)
                total = contribution if total is None else total + contribution
                record((i, k, j, local, incoming, contribution))
            dots[i] = total
    except _MATH_ERRORS:
        raise _gradient_error(g, i, vals, None, None) from None
    ok, finite = _all_finite([t for t in dots if t is not None], xp)
    if not ok:
        for i, _k, _j, local, incoming, contribution in edges:
            if not finite(contribution):
                raise _gradient_error(g, i, vals, local, incoming)
    return [0.0 if t is None else t for t in dots], edges


def pullback(g: Graph, vals: list, xp, seeds: dict, wanted=None) -> Tape:
    """Reverse mode from any nodes: `seeds` maps a node index to the gradient
    it starts with (1.0, or a one-hot array picking one entry of a vector
    output: one row of a Jacobian). Records what backward records, the same
    way (with arrays only the edges leading to the inputs `wanted`); backward
    is pullback from {output: 1.0}, kept apart as the benchmarked hot path."""
    if xp is ScalarNS:
        return _pullback(g, vals, xp, seeds, None)
    with xp.strict():
        return _pullback(g, vals, xp, seeds, needed_for(g, g.inputs if wanted is None else wanted))


def _pullback(g: Graph, vals: list, xp, seeds: dict, needed: list | None) -> Tape:
    nodes = g.nodes
    grads: list = [None] * len(nodes)
    for j, seed in seeds.items():
        grads[j] = seed
    vjp = None if xp is ScalarNS else xp.vjp
    edges: list = []
    kinks: list = []
    i = max(seeds)
    try:
        for i in range(max(seeds), -1, -1):
            upstream = grads[i]
            node = nodes[i]
            args = node.args
            if upstream is None or not args:
                continue
            op, c, out = node.op, node.c, vals[i]
            arg_vals = [vals[j] for j in args]
            if op.kink is not None and _any(op.kink(c, *arg_vals)):
                kinks.append(i)
            for k, j in enumerate(args):
                if vjp is None:
                    local = op.local[k](xp, c, out, *arg_vals)
                    contribution = local * upstream
                elif not needed[j]:
                    continue                # leads to no input asked for
                else:
                    local, contribution = vjp(op, k, c, upstream, out, arg_vals)
                old = grads[j]
                grads[j] = contribution if old is None else old + contribution
                edges.append((i, k, j, local, upstream, contribution))
    except _MATH_ERRORS:
        raise _gradient_error(g, i, vals, None, grads[i]) from None
    _check_finite_gradients(g, vals, grads, edges, xp)
    return Tape(grads, edges, kinks)


def local_jacobian(g: Graph, vals: list, xp, i: int, k: int):
    """∂node_i/∂(its k-th input) as a matrix (rows: the node's entries, columns:
    the input's), for the narration of matrix passes (ReLU's diagonal, W for
    W @ x): one JVP per entry of the input. A number for scalars."""
    node = g.nodes[i]
    op, c, out = node.op, node.c, vals[i]
    arg_vals = [vals[j] for j in node.args]
    if xp is ScalarNS:
        return op.local[k](xp, c, out, *arg_vals)
    import numpy as np
    source = arg_vals[k]
    columns = []
    with xp.strict():
        for p in range(np.size(source)):
            direction = np.zeros(np.size(source))
            direction[p] = 1.0
            _local, column = xp.jvp(op, k, c, direction.reshape(np.shape(source)), out, arg_vals)
            columns.append(np.reshape(column, -1))
    return np.stack(columns, axis=1)


def replay(g: Graph, vals: list, xp, *, rounded: int) -> tuple[list, list, list] | None:
    """Backward again the way the notes work by hand: every value, local
    gradient and product rounded to `rounded` decimals before it is used
    (seed 000: 2 × 0.20 = 0.40, where the exact gradient is 0.3932). The leaves
    keep their values. Returns (values, gradients, edges) like forward and
    backward, gradients 0.0 where no path leads to the output; None where the
    rounded numbers leave a function's domain, and for arrays (the notes round
    scalars)."""
    if xp is not ScalarNS:
        return None
    nodes = g.nodes
    vals = list(vals)
    grads = [0.0] * len(nodes)
    grads[g.output] = 1.0
    edges: list = []
    record = edges.append
    try:
        for i, node in enumerate(nodes):
            if node.args:
                vals[i] = round(node.op.forward(xp, node.c, *[vals[j] for j in node.args]), rounded)
        live = leads_to_output(g)
        for i in range(g.output, -1, -1):
            node = nodes[i]
            args = node.args
            if not args or not live[i]:
                continue
            upstream = grads[i]
            local_of, c, out = node.op.local, node.c, vals[i]
            arg_vals = [vals[j] for j in args]
            for k, j in enumerate(args):
                local = round(local_of[k](xp, c, out, *arg_vals), rounded)
                contribution = round(local * upstream, rounded)
                grads[j] = round(grads[j] + contribution, rounded)
                record((i, k, j, local, upstream, contribution))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return vals, grads, edges


KINK_SIDE = 1e-9        # how far one_sided moves off a kink


def one_sided(g: Graph, vals: list, i: int, xp=ScalarNS) -> tuple[tuple, tuple]:
    """The local gradients of node i on each side of its kink (relu or abs at 0,
    max or min at a tie): its first input moved by -1e-9, then by +1e-9; one
    local gradient per input on each side. relu at 0: ((0.0,), (1.0,))."""
    node = g.nodes[i]
    op, c = node.op, node.c
    args = [vals[j] for j in node.args]
    sides = []
    for step in (-KINK_SIDE, KINK_SIDE):
        moved = [args[0] + step] + args[1:]
        out = op.forward(xp, c, *moved)
        sides.append(tuple(local(xp, c, out, *moved) for local in op.local))
    return sides[0], sides[1]
