"""Edges -> Steps: the narration's lines, built from the edges the engine
recorded, in either direction.

Only reads the numbers the engine produced (no multiplication happens here).
Reverse mode (build_steps): the seed ∂f/∂f = 1, then every edge in backward
order with its target's running total, and a "sum" step where several paths
meet. Forward mode (build_forward_steps): the seed ẋ = 1, then every edge left
to right with its node's running tangent, and a "sum" step after a node whose
tangent gathers several inputs' (ċ = ȧ + ḃ)."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator


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
    out = graph.output if out is None else out
    steps = [Step("seed", out, out, total=seed)]
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


def told(graph, tape, wanted: list | None = None) -> Iterator[tuple]:
    """Backward's steps after the seed, in the order they are told, numbered
    from 1, as (edge, total, None): each edge of `tape` as the tape holds it,
    with the running total of its target; and where several paths meet at a
    node j, (j, total, paths), `paths` its (step number, node, contribution)
    per edge into it, placed where backward reaches j (see reverse_order).
    build_steps makes Steps of them, the JSON of 10^5 steps dicts (see
    Derivation.step_dicts)."""
    fan_in, order = reverse_order(graph, tape, wanted)
    incoming: dict[int, list] = {}              # where paths meet only
    running: list = [None] * len(fan_in)
    number = 0
    for edge in order:
        number += 1
        if type(edge) is int:                   # several paths met here
            yield edge, running[edge], incoming[edge]
            continue
        j = edge[2]
        if fan_in[j] > 1:
            so_far = running[j]
            contribution = edge[5]
            total = running[j] = contribution if so_far is None else so_far + contribution
            incoming.setdefault(j, []).append((number, edge[0], contribution))
            yield edge, total, None
        else:
            yield edge, edge[5], None           # the only path into j


def reverse_order(graph, tape, wanted: list | None = None) -> tuple[list, Iterator]:
    """(per node, how many of the edges lead into it; the order backward's
    steps are told in): every edge of `tape` (with `wanted`, only those into
    wanted nodes) as the tape holds it, in backward order, and the index of a
    node several of them lead into where its "sum" step goes: where backward
    reaches it (before its own edges), or for a leaf, which has none, where
    backward passes below it."""
    nodes = graph.nodes
    edges = tape.edges
    if wanted is not None:
        edges = [edge for edge in edges if wanted[edge[2]]]
    fan_in = [0] * len(nodes)
    for edge in edges:
        fan_in[edge[2]] += 1
    leaves = [j for j in range(len(nodes) - 1, -1, -1) if fan_in[j] > 1 and not nodes[j].args]
    return fan_in, _in_order(edges, fan_in, leaves + [-1])     # -1: below every node, ends the leaves


def _in_order(edges: list, fan_in: list, leaves: list) -> Iterator:
    current = None
    next_leaf = 0                               # leaves[next_leaf:] are still to be summed
    for edge in edges:
        i = edge[0]
        if i != current:
            current = i
            while leaves[next_leaf] > i:
                yield leaves[next_leaf]
                next_leaf += 1
            if fan_in[i] > 1:
                yield i
        yield edge
    yield from leaves[next_leaf:-1]


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
