"""Edges -> Steps: the narration's lines, built from the edges the engine
recorded, in either direction.

Only reads the numbers the engine produced (no multiplication happens here).
Reverse mode (build_steps): the seed ∂f/∂f = 1, then every edge in backward
order with its target's running total, and a "sum" step where several paths
meet. Forward mode (build_forward_steps): the seed ẋ = 1, then every edge left
to right with its node's running tangent, and a "sum" step after a node whose
tangent gathers several inputs' (ċ = ȧ + ḃ)."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, namedtuple
from collections.abc import Iterator
from itertools import compress, count, islice
from operator import neg


class Step(namedtuple("Step", "kind node target k local upstream contribution total kink terms",
                      defaults=(-1, 0, None, None, None, None, False, ()))):
    """One line of the narration of a pass.
    Reverse mode:
    kind "seed": the output, ∂f/∂f = 1.
    kind "edge": node -> target (its k-th input): local × upstream = contribution;
        total is the target's gradient so far (it grows where paths meet).
    kind "sum": several paths met at `target`; `terms` are the indices (in
        the pass's steps) of the edges summed, `total` their sum.
    Forward mode (the same fields, read left to right):
    kind "seed": the input whose tangent is 1 (node = target = it).
    kind "edge": target (node's k-th input) -> node: local × upstream = contribution,
        upstream being the target's tangent; total is the node's tangent so far.
    kind "sum": node's tangent is the sum of the edges `terms`.
    (Re-exported by records, where renderers read it: defined here so that
    records -> steps is the only import between the two.)"""
    __slots__ = ()


def build_steps(graph, tape, out: int | None = None, seed=1.0, wanted: list | None = None) -> list[Step]:
    """The seed (`seed` at node `out`, the graph's output unless given), then
    backward's steps as told() tells them. With `wanted` (per node: does a path
    lead from it to an input asked for, see graph.needed_for), only the edges
    into such nodes: --wrt w0 narrates the paths to w0."""
    steps = [seed_step(graph, out, seed)]
    append = steps.append
    new = tuple.__new__                         # Step(...) without its Python-level __new__: 10^5 edges
    kinks = set(tape.kinks)
    for edge, total, paths in told(graph, tape, wanted):
        if paths is None:
            i, k, j, local, upstream, contribution = edge
            append(new(Step, ("edge", i, j, k, local, upstream, contribution, total, i in kinks, ())))
        else:                                   # several paths met at node `edge`
            append(Step("sum", edge, edge, total=total, terms=tuple(n for n, _i, _c in paths)))
    return steps


def seed_step(graph, out: int | None = None, seed=1.0) -> Step:
    """Backward's first step: ∂out/∂out = `seed` (1) at `out`, the graph's output unless given."""
    out = graph.output if out is None else out
    return Step("seed", out, out, total=seed)


def told(graph, tape, wanted: list | None = None) -> Iterator[tuple]:
    """Backward's steps after the seed, in the order they are told, numbered
    from 1, as (edge, total, None): each edge of `tape` as the tape holds it,
    with the running total of its target; and where several paths meet at a
    node j, (j, total, paths), `paths` its (step number, node, contribution)
    per edge into it. tell() gives the same in columns."""
    t = tell(graph, tape, wanted)
    edges = zip(zip(t.nodes, t.inputs, t.targets, t.locals, t.upstreams, t.contributions), t.totals)
    places = [place for place, *_ in t.sums]
    told_edges = 0
    for place, j, total, into in t.sums:
        for edge, edge_total in islice(edges, place - told_edges):
            yield edge, edge_total, None
        told_edges = place
        # an edge's step number: its place, + 1 for the seed, + the sums told before it
        yield j, total, [(p + 1 + bisect_right(places, p), t.nodes[p], t.contributions[p]) for p in into]
    for edge, edge_total in edges:
        yield edge, edge_total, None


class Told(namedtuple("Told", "nodes inputs targets locals upstreams contributions totals sums")):
    """Backward's steps after the seed in columns, what told() tells one by
    one (a writer of 10^5 of them reads the columns at C speed).
    nodes ... contributions   the edges of the tape (see Tape.columns), only
                              those into wanted nodes, in backward order
    totals          per edge, its target's running total (its contribution
                    where it is the only path into the target)
    sums            per node j where several paths meet, in the order told:
                    (place, j, total, into): told before the edge at `place`
                    (after the last edge: place = the number of edges), the
                    sum `total` of the edges `into` it (their places)"""
    __slots__ = ()


def tell(graph, tape, wanted: list | None = None) -> Told:
    """Backward's steps after the seed (see Told): every edge of `tape` (with
    `wanted`, only those into wanted nodes) in backward order, and the "sum"
    of a node several of them lead into where backward reaches it (before its
    own edges), or for a leaf, which has none, where backward passes below it.
    The running totals add the contributions in the order told."""
    columns = tape.columns()
    if wanted is not None:
        keep = list(map(wanted.__getitem__, columns[2]))
        columns = [list(compress(column, keep)) for column in columns]
    nodes, _ks, targets, _locals, _upstreams, contributions = columns
    fan_in = Counter(targets)
    into: dict[int, list] = {j: [] for j in compress(fan_in, map((1).__lt__, fan_in.values()))}
    running = dict.fromkeys(into)
    totals = list(contributions) if into else contributions
    for j, p, contribution in compress(zip(targets, count(), contributions), map(into.__contains__, targets)):
        so_far = running[j]
        totals[p] = running[j] = contribution if so_far is None else so_far + contribution
        into[j].append(p)
    # a node's sum before its first edge, a leaf's before the first edge from a node below it (nodes
    # descend); at one place, the leaves backward passed (from the top down), then the node it reaches
    rows = graph.rows
    places = sorted((bisect_left(nodes, -j, key=neg) if rows[j][1] else bisect_right(nodes, -j, key=neg), -j)
                    for j in into)
    return Told(*columns, totals, [(place, -j, running[-j], into[-j]) for place, j in places])


def build_forward_steps(source: int, edges: list, kinks=(), seed=1.0) -> list[Step]:
    """Forward mode: the seed (`seed` at input node `source`), then every edge
    in the order tangents visited them with the node's running tangent, and a
    "sum" step after the edges of a node that gathered several."""
    steps = [Step("seed", source, source, total=seed)]
    kinks = set(kinks)
    append = steps.append
    first = 0                                   # the current node's first edge step
    for n, (i, k, j, local, incoming, contribution) in enumerate(edges):
        if n and edges[n - 1][0] == i:
            total = steps[-1].total + contribution
        else:
            first, total = len(steps), contribution
        append(Step("edge", i, j, k, local, incoming, contribution, total, i in kinks))
        if (n + 1 == len(edges) or edges[n + 1][0] != i) and len(steps) - first > 1:
            append(Step("sum", i, i, total=total, terms=tuple(range(first, len(steps)))))
    return steps
