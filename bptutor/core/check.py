"""Central differences: the independent check of every analytic gradient, for
scalars and arrays alike.

relative error = |analytic - numeric| / max(|analytic|, |numeric|)  (CS231n).
A point on a kink (relu/abs at 0, a max/min tie) makes the numeric value
unreliable there: such a check is marked "kink", not "fail".

An array input is checked entry by entry (each entry moved by ±h, the graph
recomputed from that input on), on a seeded random sample of its entries when
it is large or the graph costly (CS231n's sparse gradient check). numpy is
imported only for arrays."""
from __future__ import annotations

import math
import random

from ..errors import BptutorError
from .engine import forward
from .graph import Graph
from .records import Check
from .xp import ScalarNS

REL_TOL = 1e-5          # beyond this the analytic gradient is called wrong
ABS_TOL = 1e-8          # below this both are zero for practical purposes
WORK_BUDGET = 2_000_000 # node evaluations the check may spend on a huge graph
SEED = 0                # samples are seeded: the same problem checks the same entries
# arrays
FULL_CHECK = 300        # entries checked one by one; a bigger input is sampled
SAMPLE = 60             # entries checked in a sampled input
ARRAY_WORK_BUDGET = 2e9 # multiply-adds the check of one derivation may spend (about a second)
MIN_SAMPLE = 5          # entries checked per input however costly the graph

OK, FAIL, KINK, SKIPPED = "ok", "fail", "kink", "skipped"


def check_gradients(graph: Graph, values: dict, node_values: list, grads: list, wrt, eps: float,
                    kinks, xp) -> tuple[tuple, tuple]:
    """(a Check per input of `wrt` checked, the warnings the check gives):
    every input, or a seeded sample when checking all would exceed the work
    budget; then what the derivation assumed at the kinks it met."""
    on_kink = kink_inputs(graph, kinks)
    picked, sampled = choose(list(wrt), len(graph.nodes))
    warnings = []
    if sampled:
        warnings.append(("check.sampled", {"checked": len(picked), "total": len(wrt)}))
    checks = []
    for name in picked:
        grad = grads[graph.inputs[name]]
        analytic = 0.0 if grad is None else grad
        if xp is ScalarNS:
            numeric = central(graph, values, node_values, name, eps, xp)
            err, v = verdict(analytic, numeric, name in on_kink)
            checks.append(Check(name, values[name], analytic, numeric, err, v))
        else:
            check, entries = _check_array(graph, values, node_values, name, analytic, eps, len(wrt),
                                          name in on_kink)
            checks.append(check)
            if entries is not None:
                warnings.append(("tensor.sampled_entries", {"name": name, **entries}))
    if kinks:
        warnings += [(key, {}) for key in sorted({graph.nodes[i].op.convention for i in kinks})]
    return tuple(checks), tuple(warnings)


def rel_error(analytic: float, numeric: float) -> float:
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0 else abs(analytic - numeric) / scale


def central(g: Graph, values: dict, vals: list, name: str, eps: float, xp=ScalarNS) -> float | None:
    """(f(x+h) - f(x-h)) / 2h for a scalar input, recomputing only the nodes
    after it; None when f is undefined at x±h (a domain edge such as sqrt at 0)."""
    start = g.inputs[name]
    x = values[name]
    out = g.output
    try:
        plus = forward(g, {**values, name: x + eps}, xp, start, vals)[out]
        minus = forward(g, {**values, name: x - eps}, xp, start, vals)[out]
    except BptutorError:
        return None
    numeric = (plus - minus) / (2 * eps)
    return numeric if math.isfinite(numeric) else None     # f(x±h) near the float limit


def verdict(analytic: float, numeric: float | None, on_kink: bool) -> tuple[float | None, str]:
    if numeric is None:
        return None, SKIPPED
    err = rel_error(analytic, numeric)
    if err <= REL_TOL or abs(analytic - numeric) <= ABS_TOL:
        return err, OK
    return err, KINK if on_kink else FAIL


def choose(names: list[str], n_nodes: int, seed: int = SEED) -> tuple[list[str], bool]:
    """Which inputs to check: all of them, unless that would cost more than the
    work budget; then a seeded random sample (CS231n's sparse gradient check)."""
    limit = max(1, WORK_BUDGET // max(2 * n_nodes, 1))
    if len(names) <= limit:
        return names, False
    picked = set(random.Random(seed).sample(range(len(names)), limit))
    return [n for i, n in enumerate(names) if i in picked], True


def kink_inputs(g: Graph, kink_nodes) -> set[str]:
    """Inputs upstream of a node evaluated at its kink."""
    if not kink_nodes:
        return set()
    upstream = [False] * len(g.nodes)
    for i in kink_nodes:
        upstream[i] = True
    for i in range(len(g.nodes) - 1, -1, -1):
        if upstream[i]:
            for j in g.nodes[i].args:
                upstream[j] = True
    return {name for name, i in g.inputs.items() if upstream[i]}


# ---- arrays -------------------------------------------------------------------------
def _check_array(g: Graph, values: dict, node_values: list, name: str, analytic, eps: float,
                 n_checked: int, on_kink: bool) -> tuple[Check, dict | None]:
    """Central differences for every entry of one array input (a seeded random
    sample of entries when it has more than FULL_CHECK, or when the graph is so
    costly that all would exceed the work budget of the `n_checked` inputs);
    the maximum relative error over the entries checked. Also, when sampled,
    how many entries were checked of how many."""
    import numpy as np
    from .arrays import ArrayNS

    start, out = g.inputs[name], g.output
    value = values[name]
    work = np.array(value, dtype=float)
    expected = np.broadcast_to(np.asarray(analytic, dtype=float), work.shape)
    entries = range(work.size)
    affordable = max(MIN_SAMPLE, int(ARRAY_WORK_BUDGET / max(n_checked, 1) / (2 * _cost(g, node_values, start))))
    count = min(work.size if work.size <= FULL_CHECK else SAMPLE, affordable)
    sampled = None
    if count < work.size:
        entries = sorted(random.Random(SEED).sample(entries, count))
        sampled = {"checked": count, "total": work.size}
    numeric = np.full(work.shape, np.nan)
    flat_work, flat_numeric = work.reshape(-1), numeric.reshape(-1)
    moved = dict(values)
    moved[name] = work
    for p in entries:
        x = flat_work[p]
        try:
            flat_work[p] = x + eps          # float(): the output may be a view of `work`
            plus = float(forward(g, moved, ArrayNS, start, node_values)[out])
            flat_work[p] = x - eps
            minus = float(forward(g, moved, ArrayNS, start, node_values)[out])
        except BptutorError:
            continue
        finally:
            flat_work[p] = x
        flat_numeric[p] = (plus - minus) / (2 * eps)
    checked = ~np.isnan(numeric)
    if not checked.any():
        return Check(name, value, analytic, None, None, SKIPPED), sampled
    a, n = expected[checked], numeric[checked]
    with np.errstate(over="ignore", invalid="ignore"):     # finite numbers near the float limit
        diff = np.abs(a - n)
        scale = np.maximum(np.abs(a), np.abs(n))
        err = diff / np.where(scale == 0, 1.0, scale)
    bad = (err > REL_TOL) & (diff > ABS_TOL)
    counted = bad | (scale > 10 * ABS_TOL)      # near-zero entries: a relative error means nothing
    worst = float(err[counted].max()) if counted.any() else 0.0
    result = (KINK if on_kink else FAIL) if bad.any() else OK
    shown = numeric if numeric.ndim else float(numeric)
    return Check(name, value, analytic, shown, worst, result), sampled


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
