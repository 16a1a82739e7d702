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


def build_steps(graph, tape, out: int | None = None, seed=1.0, wanted: list | None = None,
                row: type = Step) -> list[Step]:
    """The seed (`seed` at node `out`, the graph's output unless given), then
    every edge of `tape` in backward order with the target's running total,
    and a "sum" step where several paths met, placed where backward reaches
    that node (before its own edges). With `wanted` (per node: does a path lead
    from it to an input asked for, see graph.needed_for), only the edges into
    such nodes: --wrt w0 narrates the paths to w0. `row=tuple` gives the steps
    as plain tuples in Step's order (half the cost of Steps: the JSON of 10^5
    steps reads them so)."""
    nodes = graph.nodes
    edges = tape.edges
    if wanted is not None:
        edges = [edge for edge in edges if wanted[edge[2]]]
    fan_in = [0] * len(nodes)
    for edge in edges:
        fan_in[edge[2]] += 1
    out = graph.output if out is None else out
    new = tuple.__new__                         # row(...) without Step's Python-level __new__
    steps = [new(row, ("seed", out, out, 0, None, None, None, seed, False, ()))]
    incoming: dict[int, list] = {}              # step indices, where paths meet only
    running: list = [None] * len(nodes)
    kinks = set(tape.kinks)
    # leaves have no edges of their own: their sums go where backward passes them
    leaves = [j for j in range(len(nodes) - 1, -1, -1) if fan_in[j] > 1 and not nodes[j].args]
    leaves.append(-1)                           # (below every node: ends the list)

    def sum_step(j):
        steps.append(new(row, ("sum", j, j, 0, None, None, None, running[j], False, tuple(incoming[j]))))

    current = None
    next_leaf = 0                               # leaves[next_leaf:] are still to be summed
    append = steps.append
    for i, k, j, local, upstream, contribution in edges:
        if i != current:
            current = i
            while leaves[next_leaf] > i:
                sum_step(leaves[next_leaf])
                next_leaf += 1
            if fan_in[i] > 1:
                sum_step(i)
        if fan_in[j] > 1:
            so_far = running[j]
            total = running[j] = contribution if so_far is None else so_far + contribution
            incoming.setdefault(j, []).append(len(steps))
        else:
            total = contribution                # the only path into j
        append(new(row, ("edge", i, j, k, local, upstream, contribution, total, i in kinks, ())))
    for j in leaves[next_leaf:-1]:
        sum_step(j)
    return steps


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
