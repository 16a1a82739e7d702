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
what check.noise() already allows for.

Two shortcuts keep a graph of 10^5 nodes to a few hundred numpy calls, each
giving bit for bit what the node by node pass gives (tests/test_points.py
runs both): a node computing what an earlier one computes (the same op and
constant on the same inputs: sin(x3) written 600 times) takes its vector,
and a long sum a + b + c + ... (each + reading the one before, which nothing
else reads) is added up in blocks, one numpy reduction per block: the same
additions in the same order."""
from __future__ import annotations

import weakref
from bisect import bisect_left
from itertools import chain
from operator import attrgetter, itemgetter

import numpy as np

from .arrays import ArrayNS
from .graph import Graph
from .ops import OPS
from .xp import ScalarNS

_any, _largest, _smallest = np.logical_or.reduce, np.maximum.reduce, np.minimum.reduce     # without .any()'s wrapper
BLOCK = 512             # terms of a long sum added per reduction: bounds the block's memory
LONG_SUM = 16           # a sum of fewer terms runs node by node
SAME_PASSES = 8         # rounds finding nodes that compute the same (each reaches one level deeper)
SHARE_REACH = 2048      # nodes apart at most, a node and the last one computing the same: a shared vector
                        # lives longer than its nodes' own would, by this much at most (bounded memory)


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
    recomputes it); the others become vectors, freed after their last reader.
    Only the nodes of the plan's `visit` run (see _plan)."""
    n = len(points)
    vals = list(node_values)
    for p, (name, x) in enumerate(points):
        i = g.inputs[name]
        if type(vals[i]) is not np.ndarray:
            vals[i] = np.full(n, values[name], dtype=np.float64)
        vals[i][p] = x
    starts = np.array([g.inputs[name] for name, _x in points])
    plan = _plan(g)
    last_use = plan.last_use
    crossed = np.full(n, plan.size)     # the first node crossed per point; `size` (no node) where none
    far: dict = {}                  # (node, period) -> the points that moved it a 16th of that, or None
    bad = np.zeros(n, dtype=bool) if track else None
    vector = np.ndarray
    xp = ArrayNS
    for i, op, forward, c, args, watching in plan.steps[bisect_left(plan.visit, int(starts.min())):]:
        if forward is None:         # the last term of a block of a long sum: c is the block
            value = c.total(vals, node_values, n)
            if value is None:
                continue
        elif len(args) == 2:
            a, b = args
            x, y = vals[a], vals[b]
            if type(x) is not vector and type(y) is not vector:
                continue
            value = forward(xp, c, x, y)
        elif len(args) == 1:
            x = vals[args[0]]
            if type(x) is not vector:
                continue
            value = forward(xp, c, x)
        else:
            given = [vals[j] for j in args]
            if not any(type(v) is vector for v in given):
                continue
            value = forward(xp, c, *given)
        vals[i] = value
        if watching is not None:
            _mark_crossed(op, args, c, vals, node_values, watching, starts, crossed, far)
        if track and type(value) is vector:
            bad |= ~np.isfinite(value)
        for j in args:
            if last_use[j] == i:
                vals[j] = None
    out = np.broadcast_to(np.asarray(vals[plan.output], dtype=np.float64), (n,))
    if not track and not np.isfinite(out).all():
        bad = ~np.isfinite(out)
    return out, np.where(crossed < plan.size, crossed, -1), bad


# ---- the plan: once per graph ------------------------------------------------------------
_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_op_of, _args_of, _constant_of, _forward_of = itemgetter(0), itemgetter(1), itemgetter(2), attrgetter("forward")


class _Plan:
    """How a pass runs graph g (of `size` rows).
    steps: the nodes that run, in order, each as (node, op, forward, c,
        inputs, watchers); the inputs are the nodes holding their values (see
        _same_values). No node another one's value stands for runs, and of a
        long sum only the last node of each block, with forward None and its
        _Sum as c (the inputs: those the block reads).
    visit: the steps' nodes (where to begin).
    watchers: None where nothing is crossed; else where a step may cross
        something at the node (a kink or a pole: rows with a `branch`; waves:
        rows with a `period`): the node, or every node (a sorted array) its value stands for.
    last_use: per node, the last step reading it: its vector can go then
        (10^5 vectors would not fit); never the output's.
    output: the node holding the output's value.
    inner: per node, whether it has inputs (a bool array)."""
    __slots__ = ("size", "steps", "visit", "last_use", "output", "inner")


def inner(g: Graph):
    """Per node of g, whether it has inputs (not an input or a constant): a
    bool array, from the plan of g's passes (made now if not yet)."""
    return _plan(g).inner


def _plan(g: Graph) -> _Plan:
    plan = _plans.get(g)
    if plan is None or plan.size != len(g.rows):
        plan = _plans[g] = _make_plan(g)
    return plan


class _Kinds(dict):
    """op row -> a small number, the first time it is met."""

    def __missing__(self, op):
        kind = self[op] = len(self)
        return kind


def _make_plan(g: Graph) -> _Plan:
    rows = g.rows
    size = len(rows)
    kinds = _Kinds()
    kind = np.append(np.fromiter(map(kinds.__getitem__, map(_op_of, rows)), np.intp, size), -1)
    arity = np.fromiter(map(len, map(_args_of, rows)), np.intp, size)
    flat = np.fromiter(chain.from_iterable(map(_args_of, rows)), np.intp, int(arity.sum()))
    # a0, a1: each node's first and second input; `size` (the sentinel) where it has none
    a0, a1 = np.full(size + 1, size), np.full(size + 1, size)
    offset = np.cumsum(arity) - arity
    a0[:size][arity >= 1] = flat[offset[arity >= 1]]
    a1[:size][arity >= 2] = flat[offset[arity >= 2] + 1]
    same = _same_values(rows, kinds, kind, arity, flat, a0, a1)
    runs = (same[:size] == np.arange(size)) & (arity > 0)
    b0, b1 = same[a0], same[a1]                     # the nodes holding the inputs' values
    readers = np.bincount(b0[:size][runs], minlength=size + 1) + np.bincount(b1[:size][runs], minlength=size + 1)
    wide = np.flatnonzero(runs & (arity > 2)).tolist()      # (no scalar op has more than two inputs)
    for i in wide:
        for j in rows[i][1][2:]:
            readers[same[j]] += 1
    output = int(same[g.output])
    readers[output] += 1
    sums, in_block = _long_sums(kinds, kind, runs, readers, b0, b1, size)
    ends = np.zeros(size, dtype=bool)
    ends[list(sums)] = True
    visit = np.flatnonzero(runs & ~in_block | ends)
    visit_list = visit.tolist()
    # the steps, built in C loops (map): a plan of 10^5 nodes costs little
    visited = list(map(rows.__getitem__, visit_list))
    ops = list(map(_op_of, visited))
    watchers = _watchers(kinds, kind, same, visit, size)
    steps = list(zip(visit_list, ops, map(_forward_of, ops), map(_constant_of, visited), map(_args_of, visited),
                     map(watchers.get, visit_list)))
    remapped = (b0[visit] != a0[visit]) | (b1[visit] != a1[visit]) | (arity[visit] > 2)
    for k in np.flatnonzero(remapped).tolist():     # inputs read through another node's value
        i, op, forward, c, args, watching = steps[k]
        steps[k] = (i, op, forward, c, tuple(same[list(args)].tolist()), watching)
    reads, at = [b0[visit], b1[visit]], [visit, visit]
    for k, i in enumerate(visit_list):
        if i in sums:
            block = sums[i]
            steps[k] = (i, None, None, block, block.reads, None)
            reads.append(np.asarray(block.reads))
            at.append(np.full(len(block.reads), i))
        elif arity[i] > 2:
            reads.append(np.asarray(steps[k][4]))
            at.append(np.full(arity[i], i))
    last = np.full(size + 1, -1)
    np.maximum.at(last, np.concatenate(reads), np.concatenate(at))
    last[output] = size
    plan = _Plan()
    plan.size, plan.steps, plan.visit, plan.last_use, plan.output = size, steps, visit_list, last.tolist(), output
    plan.inner = arity > 0
    return plan


def _same_values(rows: list, kinds: dict, kind, arity, flat, a0, a1):
    """Per node (and the sentinel), the first node computing the same: the
    same op and constant (bit for bit: -0.0 is not 0.0) on inputs whose
    values are the same. Its value (vector or float) is the node's, bit for
    bit. Each pass finds them one level further up (sin(x3) in the first,
    y*sin(x3) in the second); SAME_PASSES at most (nodes left over are only
    computed twice). A node more than SHARE_REACH nodes after the last one
    computing the same starts a group of its own: at most that many shared
    vectors are kept alive beyond their nodes' last reader."""
    size = len(rows)
    same = np.arange(size + 1)
    if (len(kinds) + 1) * (size + 1) ** 3 >= 2 ** 63:
        return same                 # the keys below would not fit in an int64
    sharing = (arity == 1) | (arity == 2)
    constant = np.zeros(size, dtype=np.int64)   # the constant's rank among those of the nodes with one
    with_constant = np.flatnonzero(_among(kind[:size], [k for op, k in kinds.items() if op.constant], len(kinds)))
    if len(with_constant):
        given = [rows[i][2] for i in with_constant.tolist()]
        floats = np.fromiter(map(_is_float, given), bool, len(given))
        sharing[with_constant[~floats]] = False
        bits = np.array([c if type(c) is float else 0.0 for c in given]).view(np.int64)
        constant[with_constant] = np.unique(bits, return_inverse=True)[1] + 1
    nodes = np.flatnonzero(sharing)
    if not len(nodes):
        return same
    group = (kind[nodes] * (size + 1) + constant[nodes]) * (size + 1)
    first0, first1 = a0[nodes], a1[nodes]
    todo = np.ones(len(nodes), dtype=bool)
    for _ in range(SAME_PASSES):
        # A node can only equal another if each of its inputs' values is read
        # by some other node too (a term of a long sum read once never is).
        # Of those, the nodes whose inputs changed last pass, with every node of their kinds.
        read = np.bincount(same[flat], minlength=size + 1)
        read[size] = 2              # (no input)
        open_ = (read[same[first0]] > 1) & (read[same[first1]] > 1)
        look = np.flatnonzero(open_ & _among(kind[nodes], kind[nodes[todo & open_]], len(kinds)))
        if not len(look):
            break
        key = (group[look] + same[first0[look]]) * (size + 1) + same[first1[look]]
        order = np.argsort(key, kind="stable")     # equal keys in node order
        sorted_key = key[order]
        members = nodes[look[order]]
        # a group starts at a new key, or SHARE_REACH nodes after the last node of its key
        starts = np.empty(len(order), dtype=bool)
        starts[0] = True
        starts[1:] = (sorted_key[1:] != sorted_key[:-1]) | (members[1:] - members[:-1] > SHARE_REACH)
        found = np.empty_like(members)
        found[order] = members[starts][np.cumsum(starts) - 1]      # the first node of each group
        moved = found != same[nodes[look]]
        if not moved.any():
            break
        same[nodes[look]] = found
        changed = np.zeros(size + 1, dtype=bool)
        changed[nodes[look[moved]]] = True
        todo = changed[first0] | changed[first1]
    return same


def _among(kind, kinds, count: int):
    """Per entry of `kind`, whether it is one of `kinds` (numbers below `count`)."""
    table = np.zeros(count + 1, dtype=bool)
    table[kinds] = True
    return table[kind]


def _is_float(c) -> bool:
    return type(c) is float


class _Sum:
    """A block of a long sum (or difference): start ± t1 ± t2 ... in order,
    with one op throughout. `members`: the nodes of the block (the last holds
    its value); their second inputs, the terms, are the nodes `unique` (each
    once) at `picks` (1 for the first: row 0 of the block is the sum before)."""
    __slots__ = ("ufunc", "start", "members", "unique", "picks", "reads")

    def __init__(self, ufunc, start: int, members, unique: list, picks):
        self.ufunc, self.start, self.members, self.unique, self.picks = ufunc, start, members, unique, picks
        self.reads = sorted({start, *unique})

    def total(self, vals: list, base: list, n: int):
        """The block's last member as the node by node pass computes it: a
        float where no term (and not the start) moved; else from its first
        moved member on, each addition in order, on a (terms × n) stack."""
        vector = np.ndarray
        rows = np.empty((len(self.unique) + 1, n))
        moved = []
        for k, j in enumerate(self.unique, 1):
            value = vals[j]
            rows[k] = value
            moved.append(type(value) is vector)
        start = vals[self.start]
        if type(start) is vector:
            first = 0
        else:
            flags = np.array(moved)[self.picks - 1]
            if not _any(flags):
                return None
            first = int(flags.argmax())
            start = base[int(self.members[first - 1])] if first else start     # the sum so far, unmoved: a float
        rows[0] = start
        stack = rows.take(np.concatenate(([0], self.picks[first:])), axis=0)
        if n < 16:                  # numpy's add.reduce sums a short row pairwise: accumulate is strictly in order
            return self.ufunc.accumulate(stack, axis=0)[-1].copy()
        if self.ufunc is np.add:    # add.reduce starts from 0.0, which would turn a -0.0 start into 0.0
            return np.add.reduce(stack, axis=0, initial=-0.0)
        return self.ufunc.reduce(stack, axis=0)


def _long_sums(kinds: dict, kind, runs, readers, b0, b1, size: int) -> tuple[dict, np.ndarray]:
    """The long sums: chains of + (or of -) nodes each reading the one before
    as its first input, which nothing else reads; cut into blocks of BLOCK
    terms. (the end of each block -> its _Sum, the nodes inside blocks)"""
    sums: dict = {}
    in_block = np.zeros(size, dtype=bool)
    for op, ufunc in ((OPS["add"], np.add), (OPS["sub"], np.subtract)):
        code = kinds.get(op)
        if code is None:
            continue
        linked = np.flatnonzero(runs & (kind[:size] == code) & (kind[b0[:size]] == code) & (readers[b0[:size]] == 1))
        if not len(linked):
            continue
        member = np.zeros(size + 1, dtype=bool)
        member[linked] = member[b0[linked]] = True
        members = np.flatnonzero(member)
        position = np.cumsum(member) - 1        # of each member among them
        head = np.arange(len(members))          # per member (by position): the one before, then the chain's first
        head[position[linked]] = position[b0[linked]]
        if len(members) - len(linked) == 1:     # one chain (the common case): its members in order
            head[:] = 0
        while True:
            further = head[head]
            if np.array_equal(further, head):
                break
            head = further
        order = np.argsort(head, kind="stable")     # chain by chain, each in order
        members, head = members[order], head[order]
        begins = np.flatnonzero(np.r_[True, head[1:] != head[:-1]]).tolist()
        for lo, hi in zip(begins, [*begins[1:], len(members)]):
            if hi - lo < LONG_SUM:
                continue
            chain_nodes = members[lo:hi]
            in_block[chain_nodes] = True
            # each block's terms, each once: one sort of (block, term) for the whole chain
            block = np.arange(hi - lo) // BLOCK
            terms = b1[chain_nodes]
            order = np.argsort(block * (size + 1) + terms, kind="stable")
            new = np.r_[True, (block[order][1:] != block[order][:-1]) | (terms[order][1:] != terms[order][:-1])]
            picks = np.empty(hi - lo, dtype=np.intp)
            picks[order] = np.cumsum(new) - 1
            unique = terms[order][new]
            first_unique = np.searchsorted(block[order][new], np.arange(block[-1] + 2)).tolist()
            for b, first in enumerate(range(0, hi - lo, BLOCK)):
                last = min(first + BLOCK, hi - lo)
                u0, u1 = first_unique[b], first_unique[b + 1]
                sums[int(chain_nodes[last - 1])] = _Sum(ufunc, int(b0[chain_nodes[first]]), chain_nodes[first:last],
                                                        unique[u0:u1].tolist(), picks[first:last] - (u0 - 1))
    return sums, in_block


def _watchers(kinds: dict, kind, same, visit, size: int) -> dict:
    """watchers of _Plan's steps: node -> the node, or every node (sorted)
    its value stands for, where a step may cross something."""
    watched_kinds = [k for op, k in kinds.items() if op.branch is not None or op.period]
    if not watched_kinds:
        return {}
    watched = _among(kind[:size], watched_kinds, len(kinds))
    mine = visit[watched[visit]].tolist()
    watchers = dict(zip(mine, mine))
    shared = np.flatnonzero(watched & (same[:size] != np.arange(size)))
    if len(shared):
        order = np.argsort(same[shared], kind="stable")
        shared, leaders = shared[order], same[shared][order]
        begins = np.flatnonzero(np.r_[True, leaders[1:] != leaders[:-1]])
        for lo, hi in zip(begins.tolist(), [*begins[1:].tolist(), len(shared)]):
            leader = int(leaders[lo])
            watchers[leader] = np.r_[leader, shared[lo:hi]]
    return watchers


def _mark_crossed(op, args: tuple, c, vals: list, base: list, watchers, starts, crossed, far: dict) -> None:
    """Points whose move took the node onto another branch (or its input more
    than a 16th of its period away): each crossed at the first node of
    `watchers` (the node, or those sharing its value) that it moved, unless
    it crossed earlier. Only points moving an input at or before a node count
    there (the scalar sampler recomputes from the input on). Whole-vector
    tests first: at most points nothing crosses, and one reduction says so;
    `far` keeps, per node read and reach, which points moved it that far
    (10^4 sin nodes may read a few inputs). `vals`, `base`: every node's
    value in this pass, and at x."""
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
    if changed is None:
        return
    points = np.flatnonzero(changed)
    if type(watchers) is int:
        points = points[starts[points] <= watchers]
        crossed[points] = np.minimum(crossed[points], watchers)
        return
    at = np.searchsorted(watchers, starts[points])      # the first watcher at or after the moved input
    reached = at < len(watchers)
    points = points[reached]
    crossed[points] = np.minimum(crossed[points], watchers[at[reached]])


def _moved_beyond(x, x0: float, reach: float):
    """The points where vector x is more than `reach` from x0; None if none."""
    if _largest(x) - x0 > reach or x0 - _smallest(x) > reach:
        return np.abs(x - x0) > reach
    return None
