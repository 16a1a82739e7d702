"""Central differences: the independent check of every analytic gradient.

relative error = |analytic - numeric| / max(|analytic|, |numeric|)  (CS231n).
A point on a kink (relu/abs at 0, a max/min tie) makes the numeric value
unreliable there: such a check is marked "kink", not "fail"."""
from __future__ import annotations

import math
import random

from ..errors import BptutorError
from .engine import forward
from .graph import Graph

REL_TOL = 1e-5          # beyond this the analytic gradient is called wrong
ABS_TOL = 1e-8          # below this both are zero for practical purposes
WORK_BUDGET = 2_000_000 # node evaluations the check may spend on a huge graph

OK, FAIL, KINK, SKIPPED = "ok", "fail", "kink", "skipped"


def rel_error(analytic: float, numeric: float) -> float:
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0 else abs(analytic - numeric) / scale


def central(g: Graph, values: dict, vals: list, name: str, eps: float, xp) -> float | None:
    """(f(x+h) - f(x-h)) / 2h, recomputing only the nodes after the input;
    None when f is undefined at x±h (a domain edge such as sqrt at 0)."""
    start = g.inputs[name]
    x = values[name]
    out = g.output
    try:
        plus = forward(g, {**values, name: x + eps}, xp, start, vals)[out]
        minus = forward(g, {**values, name: x - eps}, xp, start, vals)[out]
    except BptutorError:
        return None
    numeric = (plus - minus) / (2 * eps)
    try:
        return numeric if math.isfinite(numeric) else None     # f(x±h) near the float limit
    except TypeError:                                           # an array: the tensor check decides
        return numeric


def verdict(analytic: float, numeric: float | None, on_kink: bool) -> tuple[float | None, str]:
    if numeric is None:
        return None, SKIPPED
    err = rel_error(analytic, numeric)
    if err <= REL_TOL or abs(analytic - numeric) <= ABS_TOL:
        return err, OK
    return err, KINK if on_kink else FAIL


def choose(names: list[str], n_nodes: int, seed: int = 0) -> tuple[list[str], bool]:
    """Which inputs to check: all of them, unless that would cost more than the
    work budget; then a seeded random sample (CS231n's sparse gradient check)."""
    limit = max(1, WORK_BUDGET // max(2 * n_nodes, 1))
    if len(names) <= limit:
        return names, False
    picked = set(random.Random(seed).sample(range(len(names)), limit))
    return [n for i, n in enumerate(names) if i in picked], True


def kink_inputs(g: Graph, kink_nodes: set[int]) -> set[str]:
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
