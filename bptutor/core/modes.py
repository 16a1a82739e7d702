"""Both modes of automatic differentiation on one graph, as passes a student can
read, the Jacobian they build, and what each mode cost.

Forward mode seeds one input and carries tangents left to right (MML eq.
5.121): one engine run per entry of the input gives a column of the Jacobian
for every output at once. Reverse mode seeds one output and carries gradients
right to left (eq. 5.120): one run per entry of the output gives a row for every
input at once. So forward mode costs a run per input entry, reverse mode a run
per output entry: with many inputs and one loss, reverse wins (seed 002).

With arrays a pass stacks its runs: the tangent of node n for input x has the
shape n + x, the reverse gradient of n for output y the shape y + n (numerator
layout, as a Jacobian). The engine runs the chain rule (engine.tangents and
engine.pullback); this module only seeds, stacks and counts."""
from __future__ import annotations

from ..errors import BptutorValueError
from .engine import local_jacobian, pullback, tangents
from .graph import Graph
from .records import Cost, Jacobian, Pass, Tape
from .steps import build_forward_steps, build_steps
from .xp import ScalarNS

MAX_RUNS = 4096             # engine runs one pass may stack (entries of its seed)
MAX_STACKED = 20_000_000    # floats the stacked values of one pass may hold
MAX_LOCAL = 4096            # entries of a local Jacobian built for the narration


def outputs_of(g: Graph, names=None, every_sink: bool = False) -> tuple:
    """The output nodes: those `names` (a list, or a comma-separated string of
    statement names or labels), else, with `every_sink`, every statement the
    program computes and nothing reads (the last statements of `y1 = …; y2 = …`),
    else the program's output."""
    if names:
        if isinstance(names, str):
            names = names.split(",")
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise BptutorValueError("modes.unknown_output", None, names=repr(names), known=_known(g))
        wanted = [n.strip() for n in names if n.strip()]
        by_name = {}
        for i, node in enumerate(g.nodes):
            if node.args:
                by_name.setdefault(node.label, i)
                if node.name:
                    by_name[node.name] = i          # a reassigned name: its last binding
        unknown = [n for n in wanted if n not in by_name]
        if unknown:
            raise BptutorValueError("modes.unknown_output", None, names=", ".join(unknown), known=_known(g))
        return tuple(dict.fromkeys(by_name[n] for n in wanted))
    if not every_sink:
        return (g.output,)
    read = [False] * len(g.nodes)
    for node in g.nodes:
        for j in node.args:
            read[j] = True
    sinks = [i for i, node in enumerate(g.nodes) if node.name and node.args and not read[i]]
    return tuple(sorted(set(sinks) | {g.output}))


def _known(g: Graph) -> str:
    return ", ".join(node.label for node in g.nodes if node.name and node.args) or g.nodes[g.output].label


def forward_pass(g: Graph, vals: list, xp, name: str, outputs: tuple) -> Pass:
    """Forward mode for input `name`: ẋ = 1 (the identity for an array x, one
    engine run per entry), then every node's tangent towards `outputs`."""
    source = g.inputs[name]
    if xp is ScalarNS:
        dots, edges = tangents(g, vals, xp, {source: 1.0}, outputs)
        steps = build_forward_steps(source, edges, _kinks(g, vals, xp, edges))
        return Pass("forward", source, _reached(dots, edges, source), steps, _kinks(g, vals, xp, edges), 1,
                    multiply_adds(g, vals, xp, edges))
    import numpy as np
    shape = np.shape(vals[source])
    runs = [tangents(g, vals, xp, {source: seed}, outputs) for seed in _one_hots(vals, shape, name)]
    edges = runs[0][1]
    values = _stack([dots for dots, _edges in runs], vals, shape, after=True)
    stacked = _stack_edges(g, vals, xp, [run_edges for _dots, run_edges in runs], shape, after=True)
    kinks = _kinks(g, vals, xp, edges)
    steps = build_forward_steps(source, stacked, kinks, seed=_identity(shape))
    return Pass("forward", source, _reached(values, edges, source), steps, kinks, len(runs),
                len(runs) * multiply_adds(g, vals, xp, edges), matrix=True)


def reverse_pass(g: Graph, vals: list, xp, out: int, wanted) -> Pass:
    """Reverse mode from output node `out`: ∂y/∂y = 1 (the identity for a
    vector y, one engine run per entry), then ∂y/∂node right to left."""
    if xp is ScalarNS:
        tape = pullback(g, vals, xp, {out: 1.0}, wanted)
        return Pass("reverse", out, tape.grads, build_steps(g, tape, out), tuple(tape.kinks), 1,
                    multiply_adds(g, vals, xp, tape.edges))
    import numpy as np
    shape = np.shape(vals[out])
    label = g.nodes[out].label
    tapes = [pullback(g, vals, xp, {out: seed}, wanted) for seed in _one_hots(vals, shape, label)]
    first = tapes[0]
    grads = _stack([tape.grads for tape in tapes], vals, shape, after=False)
    edges = _stack_edges(g, vals, xp, [tape.edges for tape in tapes], shape, after=False)
    steps = build_steps(g, Tape(grads, edges, first.kinks), out, seed=_identity(shape))
    return Pass("reverse", out, grads, steps, tuple(first.kinks), len(tapes),
                len(tapes) * multiply_adds(g, vals, xp, first.edges), matrix=True)


def jacobian(g: Graph, vals: list, outputs: tuple, names, forward: dict, reverse: dict) -> Jacobian:
    """The blocks ∂output/∂input from the forward passes (`forward`: name ->
    Pass) and from the reverse side (`reverse`: output node -> its gradients
    per node, a Pass's values or backward's grads), and how far they differ."""
    blocks, by_reverse, agree = {}, {}, 0.0
    for o in outputs:
        for name in names:
            x = g.inputs[name]
            shape = _shape(vals[o]) + _shape(vals[x])
            blocks[o, name] = a = _filled(forward[name].values[o], shape)
            by_reverse[o, name] = b = _filled(reverse[o][x], shape)
            agree = max(agree, _max_abs_difference(a, b))
    return Jacobian(tuple(outputs), tuple(names), blocks, by_reverse, agree)


def cost_of(passes, tape=None, g=None, vals=None, xp=ScalarNS) -> Cost:
    """A mode's cost: its passes' runs and multiply-adds, or backward's one run
    (for numbers, one multiply-add per edge: counted without building the edges)."""
    if tape is not None:
        return Cost(1, tape.edge_count if xp is ScalarNS else multiply_adds(g, vals, xp, tape.edges))
    return Cost(sum(p.runs for p in passes), sum(p.multiply_adds for p in passes))


def multiply_adds(g: Graph, vals: list, xp, edges) -> int:
    """One multiply-add per entry of every local gradient × incoming gradient an
    edge formed; a matrix product's edge, one per term of its sums."""
    if xp is ScalarNS:
        return len(edges)
    import numpy as np
    total = 0
    nodes = g.nodes
    for i, k, j, _local, _incoming, _contribution in edges:
        op = nodes[i].op
        size = int(np.size(vals[i]))
        if op.matmul:
            size *= int(np.shape(vals[nodes[i].args[0]])[-1])
        elif op.tensor:
            size = max(size, int(np.size(vals[j])))
        total += size
    return total


# ---- stacking runs ---------------------------------------------------------------------
def _one_hots(vals: list, shape: tuple, name: str):
    """The seeds of the runs of one pass: each entry of an array of `shape` in
    turn (just 1.0 for a scalar), refused when the stacked pass would be too big."""
    import numpy as np
    size = int(np.prod(shape)) if shape else 1
    stacked = size * sum(int(np.size(v)) for v in vals)
    if size > MAX_RUNS or stacked > MAX_STACKED:
        raise BptutorValueError("modes.too_big", None, name=name, entries=f"{size:,}", limit=f"{MAX_RUNS:,}")
    if not shape:
        return [1.0]
    seeds = []
    for p in range(size):
        seed = np.zeros(size)
        seed[p] = 1.0
        seeds.append(seed.reshape(shape))
    return seeds


def _stack(per_run: list, vals: list, shape: tuple, after: bool) -> list:
    """Per node, the runs' values stacked: node + seed shape (`after`: forward)
    or seed + node shape (reverse). A scalar seed stacks nothing."""
    if not shape:
        return list(per_run[0])
    import numpy as np
    stacked = []
    for i, first in enumerate(per_run[0]):
        if first is None:
            stacked.append(None)
            continue
        node_shape = _shape(vals[i])
        entries = [np.broadcast_to(run[i], node_shape) for run in per_run]
        stacked.append(_join(entries, node_shape, shape, after))
    return stacked


def _join(entries: list, node_shape: tuple, shape: tuple, after: bool):
    import numpy as np
    # + 0.0: no -0 where a zero local gradient met a negative number (relu)
    if after:
        return np.stack(entries, axis=-1).reshape(node_shape + shape) + 0.0
    return np.stack(entries, axis=0).reshape(shape + node_shape) + 0.0


def _stack_edges(g: Graph, vals: list, xp, per_run: list, shape: tuple, after: bool) -> list:
    """The runs' edges stacked like their values: every run of a pass visits
    the same edges (which depends on the graph only), so edge n of each run
    is the same (node, input); its local gradient becomes the local Jacobian."""
    import numpy as np
    stacked = []
    for n, (i, k, j, _local, _incoming, _contribution) in enumerate(per_run[0]):
        incoming = [run[n][4] for run in per_run]
        contribution = [run[n][5] for run in per_run]
        into, out_of = (j, i) if after else (i, j)       # forward: j -> i; reverse: gradient of i -> j
        if shape:
            incoming = _join([np.broadcast_to(x, _shape(vals[into])) for x in incoming], _shape(vals[into]),
                             shape, after)
            contribution = _join([np.broadcast_to(x, _shape(vals[out_of])) for x in contribution],
                                 _shape(vals[out_of]), shape, after)
        else:
            incoming, contribution = incoming[0], contribution[0]
        local = None
        if np.size(vals[i]) * np.size(vals[j]) <= MAX_LOCAL:
            local = local_jacobian(g, vals, xp, i, k)
        stacked.append((i, k, j, local, incoming, contribution))
    return stacked


def _identity(shape: tuple):
    """∂x/∂x: 1, or the identity laid out as x + x."""
    if not shape:
        return 1.0
    import numpy as np
    size = int(np.prod(shape))
    return np.eye(size).reshape(shape + shape)


def _reached(values: list, edges: list, source: int) -> list:
    """A forward pass's values, None at the nodes it does not reach."""
    reached = [False] * len(values)
    reached[source] = True
    for i, _k, _j, *_rest in edges:
        reached[i] = True
    return [v if seen else None for v, seen in zip(values, reached)]


def _kinks(g: Graph, vals: list, xp, edges: list) -> tuple:
    """The nodes of a forward pass evaluated at a non-differentiable point."""
    found = []
    for i in dict.fromkeys(edge[0] for edge in edges):
        node = g.nodes[i]
        if node.op.kink is not None and _flag(node.op.kink(node.c, *[vals[j] for j in node.args])):
            found.append(i)
    return tuple(found)


def _flag(flag) -> bool:
    try:
        return bool(flag)
    except ValueError:                  # an array of flags
        return bool(flag.any())


def _shape(x) -> tuple:
    return tuple(getattr(x, "shape", ()))


def _filled(value, shape: tuple):
    """A block as computed, or zeros where no path joins the output and the input."""
    if not shape:
        return 0.0 if value is None else float(value) + 0.0
    import numpy as np
    return np.zeros(shape) if value is None else np.broadcast_to(value, shape) + 0.0


def _max_abs_difference(a, b) -> float:
    import numpy as np
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0))
