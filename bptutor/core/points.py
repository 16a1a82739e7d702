"""The scalar graph at many points in one forward pass: each value a float64
vector, one entry per point, through the array namespace. The numeric check
takes the points of every input's step this way (check.py): one pass over
the graph instead of one per point.

A point is one input moved to a value, the others at theirs. Per point the
pass gives what check.py's sampler gives for it: f there (None where f is
undefined: where the scalar forward would have raised, some value is inf or
nan), and the first node the move took across a kink, a pole or a wave
(see check._crossed).

numpy's exp, log, tanh and power may differ from math's in the last bit, so
f here may differ from the point-by-point f by about a rounding of each node:
what check.noise() already allows for."""
from __future__ import annotations

import weakref

import numpy as np

from .arrays import ArrayNS
from .graph import Graph
from .ops import OPS
from .xp import ScalarNS

INPUT = OPS["input"]
_any, _largest, _smallest = np.logical_or.reduce, np.maximum.reduce, np.minimum.reduce     # without .any()'s wrapper


def samples(g: Graph, values: dict, node_values: list, points: list[tuple[str, float]],
            watched: list[int]) -> list[tuple[float | None, int | None]]:
    """(f, the node crossed) at every point; `watched`: the nodes with a branch
    or a period, in order."""
    flagged = []
    with np.errstate(call=lambda kind, flag: flagged.append(kind), all="call", under="ignore"):
        out, crossed, bad = _run(g, values, node_values, points, watched, track=False)
        if flagged:             # some point met inf or nan: which ones
            out, crossed, bad = _run(g, values, node_values, points, watched, track=True)
    return [(None, None) if bad is not None and bad[p] else (float(out[p]), None if k < 0 else int(k))
            for p, k in enumerate(crossed)]


def _run(g: Graph, values: dict, node_values: list, points: list, watched: list[int], track: bool):
    n = len(points)
    moved: dict = {}
    for p, (name, x) in enumerate(points):
        if name not in moved:
            moved[name] = np.full(n, values[name], dtype=np.float64)
        moved[name][p] = x
    starts = np.array([g.inputs[name] for name, _x in points])
    nodes = g.nodes
    dead = _dead_after(g)
    is_watched = [False] * len(nodes)
    for i in watched:
        is_watched[i] = True
    crossed = np.full(n, -1)
    far: dict = {}                  # (node, period) -> the points that moved it a 16th of that, or None
    bad = np.zeros(n, dtype=bool) if track else None
    vals: list = [None] * len(nodes)
    xp = ArrayNS
    for i, node in enumerate(nodes):
        args = node.args
        if len(args) == 2:
            value = node.op.forward(xp, node.c, vals[args[0]], vals[args[1]])
        elif len(args) == 1:
            value = node.op.forward(xp, node.c, vals[args[0]])
        elif args:
            value = node.op.forward(xp, node.c, *[vals[j] for j in args])
        elif node.op is INPUT:
            value = moved.get(node.name, values[node.name])
        else:
            value = node.c
        vals[i] = value
        if is_watched[i]:
            _mark_crossed(node, [vals[j] for j in args], [node_values[j] for j in args], i, starts, crossed, far)
        if track and type(value) is np.ndarray:
            bad |= ~np.isfinite(value)
        for j in dead[i]:
            vals[j] = None
    out = np.broadcast_to(np.asarray(vals[g.output], dtype=np.float64), (n,))
    if not track and not np.isfinite(out).all():
        bad = ~np.isfinite(out)
    return out, crossed, bad


_dead: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _dead_after(g: Graph) -> list:
    """Per node, the nodes whose last reader it is: their vectors can go (10^5
    vectors would not fit). Once per graph."""
    cached = _dead.get(g)
    if cached is None or len(cached) != len(g.nodes):
        last_use = list(range(len(g.nodes)))
        for i, node in enumerate(g.nodes):
            for j in node.args:
                last_use[j] = i
        cached = [()] * len(g.nodes)
        for j, i in enumerate(last_use):
            if j != g.output and i != j:
                cached[i] += (j,)
        _dead[g] = cached
    return cached


def _mark_crossed(node, args: list, base: list, i: int, starts, crossed, far: dict) -> None:
    """Points whose move took node i onto another branch (or its input more
    than a 16th of its period away) and no earlier node: they crossed at i.
    Only points moving an input at or before i count (the scalar sampler
    recomputes from the input on). Whole-vector tests first: at most points
    nothing crosses, and one reduction says so; `far` keeps, per node read
    and reach, which points moved it that far (10^4 sin nodes may read a few inputs)."""
    op = node.op
    changed = None
    if op.branch is not None:
        branch = op.branch(ArrayNS, node.c, *args)
        if type(branch) is np.ndarray:
            differs = branch != op.branch(ScalarNS, node.c, *base)
            if _any(differs):
                changed = differs
    if op.period and type(args[0]) is np.ndarray:
        key = (node.args[0], op.period)
        moved = far.get(key, False)
        if moved is False:
            moved = far[key] = _moved_beyond(args[0], base[0], op.period / 16)
        if moved is not None:
            changed = moved if changed is None else changed | moved
    if changed is not None:
        crossed[changed & (crossed < 0) & (starts <= i)] = i


def _moved_beyond(x, x0: float, reach: float):
    """The points where vector x is more than `reach` from x0; None if none."""
    if _largest(x) - x0 > reach or x0 - _smallest(x) > reach:
        return np.abs(x - x0) > reach
    return None
