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
from .xp import ScalarNS

_any, _largest, _smallest = np.logical_or.reduce, np.maximum.reduce, np.minimum.reduce     # without .any()'s wrapper


def samples(g: Graph, values: dict, node_values: list,
            points: list[tuple[str, float]]) -> list[tuple[float | None, int | None]]:
    """(f, the node crossed) at every point."""
    flagged = []
    with np.errstate(call=lambda kind, flag: flagged.append(kind), all="call", under="ignore"):
        out, crossed, bad = _run(g, values, node_values, points, track=False)
        if flagged:             # some point met inf or nan: which ones
            out, crossed, bad = _run(g, values, node_values, points, track=True)
    return [(None, None) if bad is not None and bad[p] else (float(out[p]), None if k < 0 else int(k))
            for p, k in enumerate(crossed)]


def _run(g: Graph, values: dict, node_values: list, points: list, track: bool):
    """One pass over the nodes from the first input moved on. A node none of
    whose inputs moved keeps its value at x (a float, as the scalar sampler
    recomputes it); the others become vectors, freed after their last reader."""
    n = len(points)
    vals = list(node_values)
    for p, (name, x) in enumerate(points):
        i = g.inputs[name]
        if type(vals[i]) is not np.ndarray:
            vals[i] = np.full(n, values[name], dtype=np.float64)
        vals[i][p] = x
    starts = np.array([g.inputs[name] for name, _x in points])
    forwards, constants, arguments, last_use, watched = _plan(g)
    rows = g.rows
    crossed = np.full(n, -1)
    far: dict = {}                  # (node, period) -> the points that moved it a 16th of that, or None
    bad = np.zeros(n, dtype=bool) if track else None
    vector = np.ndarray
    xp = ArrayNS
    for i in range(int(starts.min()), len(arguments)):
        args = arguments[i]
        if len(args) == 2:
            a, b = args
            x, y = vals[a], vals[b]
            if type(x) is not vector and type(y) is not vector:
                continue
            value = forwards[i](xp, constants[i], x, y)
        elif len(args) == 1:
            x = vals[args[0]]
            if type(x) is not vector:
                continue
            value = forwards[i](xp, constants[i], x)
        elif args:
            given = [vals[j] for j in args]
            if not any(type(v) is vector for v in given):
                continue
            value = forwards[i](xp, constants[i], *given)
        else:
            continue                # an input (moved above, or at x) or a constant
        vals[i] = value
        if watched[i]:
            _mark_crossed(rows[i], vals, node_values, i, starts, crossed, far)
        if track and type(value) is vector:
            bad |= ~np.isfinite(value)
        for j in args:
            if last_use[j] == i:
                vals[j] = None
    out = np.broadcast_to(np.asarray(vals[g.output], dtype=np.float64), (n,))
    if not track and not np.isfinite(out).all():
        bad = ~np.isfinite(out)
    return out, crossed, bad


_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plan(g: Graph) -> tuple:
    """Per node, as parallel lists: its op's forward, its constant, its inputs,
    the last node reading it (its vector can go then: 10^5 vectors would not
    fit; never the output's), and whether a step may cross something there (a
    kink or a pole: rows with a `branch`; waves: rows with a `period`). Once per graph."""
    plan = _plans.get(g)
    if plan is None or len(plan[2]) != len(g.rows):
        rows = g.rows
        ops = [row[0] for row in rows]
        arguments = [row[1] for row in rows]
        last_use = list(range(len(rows)))
        for i, args in enumerate(arguments):
            for j in args:
                last_use[j] = i
        last_use[g.output] = len(rows)
        plan = _plans[g] = ([op.forward for op in ops], [row[2] for row in rows], arguments, last_use,
                            [op.branch is not None or bool(op.period) for op in ops])
    return plan


def _mark_crossed(row: tuple, vals: list, base: list, i: int, starts, crossed, far: dict) -> None:
    """Points whose move took node i onto another branch (or its input more
    than a 16th of its period away) and no earlier node: they crossed at i.
    Only points moving an input at or before i count (the scalar sampler
    recomputes from the input on). Whole-vector tests first: at most points
    nothing crosses, and one reduction says so; `far` keeps, per node read
    and reach, which points moved it that far (10^4 sin nodes may read a few
    inputs). `row`: node i's (see Graph.rows); `vals`, `base`: every node's
    value in this pass, and at x."""
    op, args, c = row[:3]
    changed = None
    if op.branch is not None:
        branch = op.branch(ArrayNS, c, *[vals[j] for j in args])
        if type(branch) is np.ndarray:
            differs = branch != op.branch(ScalarNS, c, *[base[j] for j in args])
            if _any(differs):
                changed = differs
    if op.period and type(vals[args[0]]) is np.ndarray:
        key = (args[0], op.period)
        moved = far.get(key, False)
        if moved is False:
            moved = far[key] = _moved_beyond(vals[args[0]], base[args[0]], op.period / 16)
        if moved is not None:
            changed = moved if changed is None else changed | moved
    if changed is not None:
        crossed[changed & (crossed < 0) & (starts <= i)] = i


def _moved_beyond(x, x0: float, reach: float):
    """The points where vector x is more than `reach` from x0; None if none."""
    if _largest(x) - x0 > reach or x0 - _smallest(x) > reach:
        return np.abs(x - x0) > reach
    return None
