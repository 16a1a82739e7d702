"""Frozen result records: data only, JSON-able. Renderers read these and the
graph; they never run the engine."""
from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

from .graph import Graph


def plain(x):
    """A value as JSON: floats stay floats, arrays become nested lists."""
    if type(x) is float:                # the common case first: this runs per step
        return x
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)):
        return float(x)
    if hasattr(x, "tolist"):
        if x.dtype.kind == "f" and x.size and x.ndim and (x != x).any():    # NaN: an entry not checked
            import numpy as np
            return np.where(x != x, None, x.astype(object)).tolist()
        return x.tolist()
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


class Step(NamedTuple):
    """One line of the backward narration.
    kind "seed": the output, ∂f/∂f = 1.
    kind "edge": node -> target (its k-th input): local × upstream = contribution;
        total is the target's gradient so far (it grows where paths meet).
    kind "sum": several paths met at `target`; `terms` are the indices (in
        Derivation.steps) of the edges summed, `total` their sum."""
    kind: str
    node: int
    target: int = -1
    k: int = 0
    local: object = None
    upstream: object = None
    contribution: object = None
    total: object = None
    kink: bool = False
    terms: tuple = ()


class Check(NamedTuple):
    """Central-difference check of one input's gradient."""
    name: str
    value: object
    analytic: object
    numeric: object          # None when f is undefined at x±h
    rel_error: float | None
    verdict: str             # ok | fail | kink | skipped


class Derivation:
    """Everything derive() found: the graph, every node's value and gradient,
    the backward steps, the numeric checks, warnings (and answers when given)."""

    def __init__(self, source: str, graph: Graph, values: dict, node_values: list, node_grads: list,
                 edges: list, kinks: list, warnings: list | None = None, eps: float = 1e-5,
                 wrt: list | None = None, arrays: bool = False):
        self.source = source
        self.graph = graph
        self.values = values             # the inputs' values as used
        self.node_values = node_values
        self.node_grads = node_grads
        self.edges = edges               # engine tuples (node, k, target, local, upstream, contribution)
        self.kinks = set(kinks)          # nodes evaluated at a non-differentiable point
        self.checks: list[Check] = []
        self.warnings = warnings or []   # (message key, params)
        self.eps = eps
        self.wrt = wrt or []             # inputs reported, in order
        self.sampled = False             # the numeric check covered a sample of the inputs
        self.answers: list = []          # filled by answers.check
        self.arrays = arrays             # evaluated with numpy arrays (vectors and matrices)

    @property
    def value(self):
        return self.node_values[self.graph.output]

    @property
    def gradients(self) -> dict:
        return {name: self.grad(self.graph.inputs[name]) for name in self.wrt}

    def grad(self, index: int):
        """∂f/∂node; 0 where no path leads from the node to the output."""
        g = self.node_grads[index]
        return 0.0 if g is None else g

    @property
    def numeric_gradients(self) -> dict:
        return {c.name: c.numeric for c in self.checks}

    @property
    def ok(self) -> bool:
        return all(c.verdict != "fail" for c in self.checks)

    def grad_of(self, name: str):
        """∂f/∂name for an input or a named intermediate node."""
        index = self.index_of(name)
        return None if index is None else self.grad(index)

    def index_of(self, name: str) -> int | None:
        if name in self.graph.inputs:
            return self.graph.inputs[name]
        for i, node in enumerate(self.graph.nodes):
            if node.name == name:
                return i
        for i, node in enumerate(self.graph.nodes):     # `f`, `w0*x0`: labels too
            if node.label == name:
                return i
        return None

    @cached_property
    def steps(self) -> list[Step]:
        """The narration's steps: the seed, then every edge in backward order with
        the target's running total, and a "sum" step where several paths met,
        placed where backward reaches that node (before its own edges)."""
        nodes = self.graph.nodes
        fan_in = [0] * len(nodes)
        for edge in self.edges:
            fan_in[edge[2]] += 1
        out = self.graph.output
        steps = [Step("seed", out, out, total=1.0)]
        incoming: dict[int, list] = {}              # step indices, where paths meet only
        running: list = [None] * len(nodes)
        kinks = self.kinks
        # leaves have no edges of their own: their sums go where backward passes them
        leaves = [j for j in range(len(nodes) - 1, -1, -1) if fan_in[j] > 1 and not nodes[j].args]

        def sum_step(j):
            steps.append(Step("sum", j, j, total=running[j], terms=tuple(incoming[j])))

        current = None
        append = steps.append
        for i, k, j, local, upstream, contribution in self.edges:
            if i != current:
                current = i
                while leaves and leaves[0] > i:
                    sum_step(leaves.pop(0))
                if fan_in[i] > 1:
                    sum_step(i)
            so_far = running[j]
            total = running[j] = contribution if so_far is None else so_far + contribution
            if fan_in[j] > 1:
                incoming.setdefault(j, []).append(len(steps))
            append(Step("edge", i, j, k, local, upstream, contribution, total, i in kinks))
        for j in leaves:
            sum_step(j)
        return steps

    def step_dict(self, step: Step) -> dict:
        nodes = self.graph.nodes
        node = nodes[step.node]
        value = self.node_values[step.node]
        kind = step.kind
        if kind == "edge":
            d = {"kind": kind, "node": node.label, "op": node.op.name, "value": plain(value),
                 "target": nodes[step.target].label, "input": step.k, "upstream": plain(step.upstream),
                 "local": plain(step.local), "contribution": plain(step.contribution),
                 "total": plain(step.total), "kink": step.kink}
        elif kind == "sum":
            terms = [self.steps[t] for t in step.terms]
            d = {"kind": kind, "node": node.label, "op": node.op.name, "value": plain(value),
                 "target": node.label, "terms": [nodes[e.node].label for e in terms],
                 "contributions": [plain(e.contribution) for e in terms], "total": plain(step.total)}
        else:
            d = {"kind": kind, "node": node.label, "op": node.op.name, "value": plain(value),
                 "upstream": 1.0}
        if type(value) is not float and hasattr(value, "shape"):
            d["shape"] = list(value.shape)
        target = self.node_values[step.target]
        if kind == "edge" and type(target) is not float and hasattr(target, "shape"):
            d["target_shape"] = list(target.shape)
        return d

    def to_dict(self) -> dict:
        from ..i18n import t
        d = {
            "value": plain(self.value),
            "gradients": plain(self.gradients),
            "numeric_gradients": plain(self.numeric_gradients),
            "checks": [{"name": c.name, "value": plain(c.value), "analytic": plain(c.analytic),
                        "numeric": plain(c.numeric), "rel_error": c.rel_error, "verdict": c.verdict}
                       for c in self.checks],
            "nodes": [{"label": n.label, "op": n.op.name, "inputs": list(n.args),
                       "value": plain(self.node_values[i]), "grad": plain(self.grad(i))}
                      for i, n in enumerate(self.graph.nodes)],
            "steps": [self.step_dict(s) for s in self.steps],
            "warnings": [{"key": key, "message": t(key, "en", **params)} for key, params in self.warnings],
        }
        if self.answers:
            d["answers"] = [a.to_dict() if hasattr(a, "to_dict") else a for a in self.answers]
        return d


class Verdict(NamedTuple):
    """A student's answer for ∂f/∂name, judged (see answers.check).
    diagnosis: the mistake the number matches (sign, missing_upstream,
    wrong_operand, fanout_partial, swapped_max, double_counted, transpose,
    rounding) or None; note_key: a message key qualifying the verdict
    ("answers.accepted_rounding", "answers.kink", ...). node is the graph node
    where the mistake happens, steps the steps (indices into Derivation.steps)
    that show the right rule, detail the numbers and node indices the
    explanation quotes (None when it quotes none)."""
    name: str
    given: str
    given_value: object
    expected: object
    correct: bool
    diagnosis: str | None = None
    note_key: str | None = None
    target: int = -1
    node: int | None = None
    steps: tuple = ()
    detail: dict | None = None
    formula: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "given": self.given, "expected": plain(self.expected),
                "correct": self.correct, "diagnosis": self.diagnosis}
