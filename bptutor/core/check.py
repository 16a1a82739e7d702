"""The numeric check of every analytic gradient, for scalars and arrays alike.

core/difference.py decides the step and how far the difference can be
trusted (a step relative to the input and to the output's float resolution,
Richardson's error estimate, CS231n's bands, a kink crossed retried with a
smaller step, "not checkable here" with the reason). This module runs the
graph for it: f with one input (one entry of an array) moved, recomputed from
that input on; which node the step took across a kink or a pole (op rows
with a `branch`) or across waves (rows with a `period`); and how far a
computed f may be off, from the values and gradients the derivation already
has (see noise()).

On a big graph the scalar inputs are checked together (_check_together):
each round, the points of the step every input's difference() asks for next
go through one forward pass over vectors (core/points.py) instead of one pass
per point.

An array input is checked entry by entry, on a seeded random sample of its
entries when it is large or the graph costly (CS231n's sparse gradient
check). numpy is imported only for arrays and big graphs."""
from __future__ import annotations

import math

from ..errors import BptutorError
from .difference import FAIL, KINK, OK, SKIPPED, Difference, Sample, difference
from .engine import forward
from .graph import Graph
from .records import Check, EntryCheck
from .xp import ScalarNS

EPS = 2.0 ** -52
TINY = 2.0 ** -1074     # the spacing of the subnormal floats: the resolution of a value near 0
EVALS = 4               # forward passes one difference usually costs (x ± h, x ± h/2)
WORK_BUDGET = 40_000_000  # node evaluations the check may spend on a huge graph
TOGETHER = 200_000      # nodes × inputs above which scalar inputs are checked together
CHUNK = 512             # points per vector pass: bounds the vectors' memory
SEED = 0                # samples are seeded: the same problem checks the same entries
# arrays
FULL_CHECK = 300        # entries checked one by one; a bigger input is sampled
SAMPLE = 60             # entries checked in a sampled input
ARRAY_WORK_BUDGET = 2e9 # multiply-adds the check of one derivation may spend (about a second)
MIN_SAMPLE = 5          # entries checked per input however costly the graph
# an array input's verdict is its worst entry's: wrong, then a kink, then not checkable
_WORST_FIRST = {FAIL: 0, KINK: 1, SKIPPED: 2, OK: 3}


def check_gradients(graph: Graph, values: dict, node_values: list, grads: list, wrt, eps: float | None,
                    kinks, xp) -> tuple[tuple, tuple]:
    """(a Check per input of `wrt` checked, the warnings the check gives):
    every input, or a seeded sample when checking all would exceed the work
    budget; then what the derivation assumed at the kinks it met. `eps`
    forces the step (--eps); None lets each check choose its own."""
    picked, sampled = choose(list(wrt), len(graph.rows))
    warnings = []
    if sampled:
        warnings.append(("check.sampled", {"checked": len(picked), "total": len(wrt)}))
    checks = []
    together = {}
    if xp is ScalarNS and len(graph.rows) * len(picked) >= TOGETHER:
        together = _check_together(graph, values, node_values, grads, picked, eps)
    for name in picked:
        grad = grads[graph.inputs[name]]
        analytic = 0.0 if grad is None else grad
        if xp is ScalarNS:
            checks.append(together.get(name) or _check_scalar(graph, values, node_values, grads, name, analytic,
                                                              eps))
        else:
            check = _check_array(graph, values, node_values, grads, name, analytic, eps, len(wrt))
            checks.append(check)
            checked, total = check.entries
            if checked < total:
                warnings.append(("tensor.sampled_entries", {"name": name, "checked": checked, "total": total}))
    if kinks:
        warnings += [(key, {}) for key in sorted({graph.nodes[i].op.convention for i in kinks})]
    return tuple(checks), tuple(warnings)


def choose(names: list[str], n_nodes: int, seed: int = SEED) -> tuple[list[str], bool]:
    """Which inputs to check: all of them, unless that would cost more than the
    work budget; then a seeded random sample (CS231n's sparse gradient check)."""
    limit = max(1, WORK_BUDGET // max(EVALS * n_nodes, 1))
    if len(names) <= limit:
        return names, False
    import random
    picked = set(random.Random(seed).sample(range(len(names)), limit))
    return [n for i, n in enumerate(names) if i in picked], True


def noise(g: Graph, node_values: list, grads: list, start: int, xp=ScalarNS, out: int | None = None) -> float:
    """How far a computed f may be off when the input at node `start` moves
    (first-order rounding analysis): every node recomputed rounds its value
    by up to ε·|value|, or by the spacing of the smallest floats (TINY) where
    it underflows, and f feels that times ∂f/∂node; plus f's own rounding.
    x*x + 1e9 is known to ±2e-7, whatever x*x is; a fixed h = 1e-5 sees mostly that.
    For arrays one entry moves: each node counts with its largest entry, not
    the sum over entries the other entries' paths would add. `out` names
    another output node than the graph's (a Jacobian's), `grads` its gradients."""
    out = node_values[g.output if out is None else out]
    nodes = g.nodes
    if xp is ScalarNS:
        scaled, tiny = abs(out), 1.0
        for i in range(start, len(nodes)):
            grad = grads[i]
            if grad is not None and nodes[i].args:
                scaled += abs(node_values[i] * grad)
                tiny += abs(grad)
        return EPS * scaled + TINY * tiny
    import numpy as np
    with np.errstate(over="ignore", invalid="ignore"):
        scaled, tiny = float(np.max(np.abs(out))), 1.0
        for i in range(start, len(nodes)):
            grad = grads[i]
            if grad is not None and nodes[i].args:
                scaled += float(np.max(np.abs(node_values[i]) * np.abs(grad)))
                tiny += float(np.max(np.abs(grad)))
    return EPS * scaled + TINY * tiny


def _watched(g: Graph, start: int) -> list[int]:
    """The nodes recomputed when the input at `start` moves that a step may
    cross something at: a kink or a pole (rows with a `branch`), or waves
    (rows with a `period`)."""
    nodes = g.nodes
    return [i for i in range(start, len(nodes)) if nodes[i].op.branch is not None or nodes[i].op.period]


def _branch(g: Graph, i: int, vals: list, xp):
    node = g.nodes[i]
    return node.op.branch(xp, node.c, *[vals[j] for j in node.args]) if node.op.branch else None


def _same(a, b) -> bool:
    if a is None or type(a) in (float, int, bool):
        return a == b
    import numpy as np
    return bool(np.array_equal(a, b))


def _moved(a, b) -> float:
    """How far a node's input moved: the largest change of any entry."""
    if type(a) is float:
        return abs(a - b)
    import numpy as np
    return float(np.max(np.abs(np.subtract(a, b))))


def _crossed(g: Graph, watched: list[int], base: list, vals: list, xp) -> int | None:
    """The first watched node the step took across something: onto another
    branch (a kink, a pole), or its input further than a 16th of its period."""
    nodes = g.nodes
    for i, (branch, u) in zip(watched, base):
        node = nodes[i]
        if not _same(_branch(g, i, vals, xp), branch):
            return i
        if node.op.period and _moved(vals[node.args[0]], u) > node.op.period / 16:
            return i
    return None


def _sampler(g: Graph, moved: dict, node_values: list, name: str, xp, set_x, read=None):
    """f(x) as difference() samples it: the graph run from input `name` on with
    `set_x(x)` applied to `moved`; its value (None where the graph fails) and
    the first node the step crossed a kink, a pole or a wave of (see _crossed).
    `read(vals)` picks another number than the output (an entry of a Jacobian's output)."""
    start, out = g.inputs[name], g.output
    watched = _watched(g, start)
    base = [(_branch(g, i, node_values, xp), node_values[g.nodes[i].args[0]]) for i in watched]

    def f(x: float) -> Sample:
        set_x(x)
        try:
            vals = forward(g, moved, xp, start, node_values)
        except BptutorError:            # undefined there (log of a negative, overflow...)
            return Sample(None)
        value = float(vals[out]) if read is None else read(vals)    # float(): it may be a view of the moved array
        crossed = _crossed(g, watched, base, vals, xp) if watched else None
        return Sample(value if math.isfinite(value) else None, crossed)
    return f


def _check_scalar(g: Graph, values: dict, node_values: list, grads: list, name: str, analytic: float,
                  eps: float | None) -> Check:
    moved = dict(values)

    def set_x(x):
        moved[name] = x
    f = _sampler(g, moved, node_values, name, ScalarNS, set_x)
    x = values[name]
    result = difference(f, x, analytic, noise(g, node_values, grads, g.inputs[name]), eps)
    return _record(name, x, analytic, result.numeric, result, None, (1, 1))


class _Need(Exception):
    """difference() asked for points not taken yet."""

    def __init__(self, points):
        super().__init__()
        self.points = points


class _Taken:
    """f for difference() from the samples taken so far (point -> Sample);
    a point not among them raises _Need, with every point of its step."""

    def __init__(self, taken: dict):
        self.taken = taken

    def __call__(self, x: float) -> Sample:
        return self.points((x,))[0]

    def points(self, points) -> list[Sample]:
        taken = self.taken
        if all(p in taken for p in points):
            return [taken[p] for p in points]
        raise _Need([p for p in points if p not in taken])


def _check_together(g: Graph, values: dict, node_values: list, grads: list, names: list[str],
                    eps: float | None) -> dict:
    """_check_scalar for every input of `names`, the same judgement: each
    input's difference() runs from the start every round on the samples taken
    so far, and the points of the steps they ask for next are taken together,
    in vector passes (core/points.py). Most inputs settle in one round. The
    noise of every input comes from one sweep (noises)."""
    from .points import inner, samples
    noise_at = dict(zip(names, noises(g, node_values, grads, inner(g), [g.inputs[name] for name in names])))
    taken = {name: {} for name in names}
    results, todo = {}, list(names)
    while todo:
        wanted, waiting = [], []
        for name in todo:
            grad = grads[g.inputs[name]]
            try:
                results[name] = (0.0 if grad is None else grad,
                                 difference(_Taken(taken[name]), values[name], 0.0 if grad is None else grad,
                                            noise_at[name], eps))
            except _Need as need:
                wanted += [(name, p) for p in need.points]
                waiting.append(name)
        for first in range(0, len(wanted), CHUNK):
            chunk = wanted[first:first + CHUNK]
            for (name, p), (value, crossed) in zip(chunk, samples(g, values, node_values, chunk)):
                taken[name][p] = Sample(value, crossed)
        todo = waiting
    return {name: _record(name, values[name], analytic, r.numeric, r, None, (1, 1))
            for name, (analytic, r) in results.items()}


def noises(g: Graph, node_values: list, grads: list, inner, nodes: list[int]) -> list[float]:
    """noise() of the scalar inputs at `nodes` at once: sums from the output
    down, one sweep (noise() sums each input's from its node up: the same
    terms, added in another order). The sweep's running sums are numpy's
    accumulate over the terms from the last node down, the same additions
    in the same order as a loop. `inner`: per node, whether it has inputs
    (points.inner)."""
    import numpy as np
    grad = np.array(grads, dtype=np.float64)
    unknown = np.isnan(grad)                        # None, or a gradient that is nan (summed)
    if unknown.any():
        at = np.flatnonzero(unknown)
        unknown[at] = [grads[i] is None for i in at.tolist()]
    summed = np.flatnonzero(inner & ~unknown)
    down = summed[::-1]                             # the nodes summed, from the last one down
    grad = grad[down]
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.add.accumulate(np.r_[abs(node_values[g.output]),
                                         np.abs(np.fromiter(node_values, np.float64, len(grads))[down] * grad)])
        tiny = np.add.accumulate(np.r_[1.0, np.abs(grad)])
        count = len(summed) - np.searchsorted(summed, nodes)     # at node i: the terms of the nodes from i on
        return (EPS * scaled[count] + TINY * tiny[count]).tolist()


def _record(name, value, analytic, numeric, r: Difference, entry, entries) -> Check:
    return Check(name, value, analytic, numeric, r.rel_error, r.verdict, h=r.h, error=r.error, band=r.band,
                 kink=r.kink, reason=r.reason, entry=entry, entries=entries)


# ---- arrays -------------------------------------------------------------------------
def _entries(total: int, affordable: int):
    """Which of `total` entries to check: all up to FULL_CHECK, else a fixed
    sample (the same every run), never more than `affordable`."""
    count = min(total if total <= FULL_CHECK else SAMPLE, affordable)
    if count >= total:
        return range(total)
    import random          # (only here: a plain run does not load it)
    return sorted(random.Random(SEED).sample(range(total), count))


def _entry_mover(values: dict, name: str, work):
    """The values with input `name` replaced by the array `work`, its flat view,
    and set_x(x), which moves the entry whose flat index is in at[0]."""
    flat = work.reshape(-1)
    moved = dict(values)
    moved[name] = work
    at = [0]

    def set_x(x):
        flat[at[0]] = x
    return moved, flat, at, set_x


def _check_array(g: Graph, values: dict, node_values: list, grads: list, name: str, analytic,
                 eps: float | None, n_checked: int) -> Check:
    """Every entry of one array input checked as a scalar (a seeded random
    sample of entries when it has more than FULL_CHECK, or when the graph is so
    costly that all would exceed the work budget of the `n_checked` inputs).
    The input's verdict is its worst entry's, and so are h, the error estimate
    and the band reported; `entry` says which entry that was."""
    import numpy as np
    from .arrays import ArrayNS

    start = g.inputs[name]
    value = values[name]
    work = np.array(value, dtype=float)
    expected = np.broadcast_to(np.asarray(analytic, dtype=float), work.shape).reshape(-1)
    cost = EVALS * _cost(g, node_values, start)
    entries = _entries(work.size, max(MIN_SAMPLE, int(ARRAY_WORK_BUDGET / max(n_checked, 1) / cost)))
    numeric = np.full(work.shape, np.nan)
    flat_numeric = numeric.reshape(-1)
    moved, flat_work, at, set_x = _entry_mover(values, name, work)
    f = _sampler(g, moved, node_values, name, ArrayNS, set_x)
    rounding = noise(g, node_values, grads, start, ArrayNS)
    worst = None
    for p in entries:
        at[0] = p
        x = float(flat_work[p])
        try:
            r = difference(f, x, float(expected[p]), rounding, eps)
        finally:
            flat_work[p] = x
        if r.numeric is not None:
            flat_numeric[p] = r.numeric
        rank = (_WORST_FIRST[r.verdict], -(r.rel_error or 0.0))
        if worst is None or rank < worst[0]:
            worst = (rank, p, r)
    _, p, r = worst
    shown = numeric if numeric.ndim else float(numeric)
    entry = tuple(int(i) for i in np.unravel_index(p, work.shape)) if work.ndim else None
    return _record(name, value, analytic, None if np.isnan(numeric).all() else shown, r, entry,
                   (len(entries), work.size))


# ---- forward mode and Jacobians ---------------------------------------------------------
def check_tangents(graph: Graph, values: dict, node_values: list, grads: list, tangents: dict, names,
                   eps: float | None, xp) -> tuple:
    """Forward mode's final tangents (input name -> ∂f/∂input) judged by central
    differences as check_gradients judges backward's gradients: the same
    inputs (`names`), the same rules; both must come out right."""
    checks = []
    for name in names:
        if xp is ScalarNS:
            checks.append(_check_scalar(graph, values, node_values, grads, name, tangents[name], eps))
        else:
            checks.append(_check_array(graph, values, node_values, grads, name, tangents[name], eps, len(names)))
    return tuple(checks)


def check_jacobian(g: Graph, values: dict, node_values: list, blocks: dict, rows: dict, names,
                   eps: float | None, xp) -> tuple[tuple, bool]:
    """(an EntryCheck per block ∂output/∂input of a Jacobian, whether a block
    was checked on a sample): each entry judged as a gradient is (core/
    difference.py), f being that entry of the output with that entry of the
    input moved; a seeded sample of the entries of a large block. `rows` maps
    each output node to ∂output/∂node per node (output shape + node shape):
    how far each output entry's computed value may be off (noise())."""
    checks = []
    for o, per_node in rows.items():
        for name in names:
            checks.append(_check_block(g, values, node_values, o, per_node, name, blocks[o, name], eps, xp,
                                       len(rows) * len(names)))
    return tuple(checks), any(c.checked < c.entries for c in checks)


def _check_block(g: Graph, values: dict, node_values: list, o: int, per_node: list, name: str, block,
                 eps: float | None, xp, n_blocks: int) -> EntryCheck:
    start = g.inputs[name]
    if xp is ScalarNS:
        moved = dict(values)

        def set_value(x):
            moved[name] = x
        f = _sampler(g, moved, node_values, name, xp, set_value, read=lambda vals: vals[o])
        r = difference(f, values[name], block, noise(g, node_values, per_node, start, xp, o), eps)
        return EntryCheck(o, name, r.numeric, r.rel_error, r.verdict, 1, 1, None, r.reason)
    import numpy as np
    from .arrays import ArrayNS

    work = np.array(values[name], dtype=float)
    out_shape = np.shape(node_values[o])
    columns = work.size
    total = int(np.prod(out_shape, dtype=int)) * columns
    affordable = max(MIN_SAMPLE, int(ARRAY_WORK_BUDGET / max(n_blocks, 1) / (EVALS * _cost(g, node_values, start))))
    entries = _entries(total, affordable)
    expected = np.broadcast_to(np.asarray(block, dtype=float), out_shape + work.shape).reshape(-1)
    numeric = np.full(out_shape + work.shape, np.nan)
    flat_numeric = numeric.reshape(-1)
    moved, flat_work, at, set_x = _entry_mover(values, name, work)
    worst = None
    for n in entries:
        q, at[0] = divmod(n, columns)
        row = np.unravel_index(q, out_shape)
        grads = [None if v is None else v[row] for v in per_node] if out_shape else per_node
        f = _sampler(g, moved, node_values, name, ArrayNS, set_x,
                     read=lambda vals, q=q: float(np.reshape(vals[o], -1)[q]))
        x = float(flat_work[at[0]])
        try:
            r = difference(f, x, float(expected[n]), noise(g, node_values, grads, start, ArrayNS, o), eps)
        finally:
            flat_work[at[0]] = x
        if r.numeric is not None:
            flat_numeric[n] = r.numeric
        rank = (_WORST_FIRST[r.verdict], -(r.rel_error or 0.0))
        if worst is None or rank < worst[0]:
            worst = (rank, n, r)
    _, n, r = worst
    entry = tuple(int(i) for i in np.unravel_index(n, numeric.shape))
    return EntryCheck(o, name, numeric, r.rel_error, r.verdict, len(entries), total, entry, r.reason)


def _cost(g: Graph, vals: list, start: int) -> float:
    """Multiply-adds of one forward pass from node `start` on: an entry of a
    matrix product costs its inner size, any other entry one."""
    import numpy as np
    total = 0.0
    for i in range(start, len(vals)):
        node = g.nodes[i]
        size = np.size(vals[i])
        if node.op.name == "matmul":
            size *= np.shape(vals[node.args[0]])[-1]
        total += size
    return max(total, 1.0)
