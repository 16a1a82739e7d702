"""Frozen result records: data only, JSON-able. Renderers read these and the
graph; they never run the engine."""
from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

from .graph import Graph


def plain(x):
    """A value as JSON: floats stay floats, arrays become nested lists."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)):
        return float(x)
    if hasattr(x, "tolist"):
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
                 raw_steps: list, warnings: list | None = None, eps: float = 1e-5, wrt: list | None = None):
        self.source = source
        self.graph = graph
        self.values = values             # the inputs' values as used
        self.node_values = node_values
        self.node_grads = node_grads
        self.raw_steps = raw_steps       # engine tuples; .steps turns them into Step records
        self.checks: list[Check] = []
        self.warnings = warnings or []   # (message key, params)
        self.eps = eps
        self.wrt = wrt or []             # inputs reported, in order
        self.sampled = False             # the numeric check covered a sample of the inputs
        self.answers: list = []          # filled by answers.check

    @property
    def value(self):
        return self.node_values[self.graph.output]

    @property
    def gradients(self) -> dict:
        return {name: self.node_grads[self.graph.inputs[name]] for name in self.wrt}

    @property
    def numeric_gradients(self) -> dict:
        return {c.name: c.numeric for c in self.checks}

    @property
    def ok(self) -> bool:
        return all(c.verdict != "fail" for c in self.checks)

    def grad_of(self, name: str):
        """∂f/∂name for an input or a named intermediate node."""
        index = self.index_of(name)
        return None if index is None else self.node_grads[index]

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
        out = []
        for raw in self.raw_steps:
            kind = raw[0]
            if kind == "edge":
                _, node, k, target, local, up, contrib, total, kink = raw
                out.append(Step("edge", node, target, k, local, up, contrib, total, kink))
            elif kind == "sum":
                _, target, terms, total = raw
                out.append(Step("sum", target, target, total=total, terms=terms))
            else:
                out.append(Step("seed", raw[1], raw[1], total=1.0))
        return out

    def step_dict(self, step: Step) -> dict:
        nodes = self.graph.nodes
        node = nodes[step.node]
        d = {"kind": step.kind, "node": node.label, "op": node.op.name,
             "value": plain(self.node_values[step.node])}
        if step.kind == "edge":
            d.update(target=nodes[step.target].label, input=step.k, upstream=plain(step.upstream),
                     local=plain(step.local), contribution=plain(step.contribution),
                     total=plain(step.total), kink=step.kink)
        elif step.kind == "sum":
            d.update(target=node.label, terms=[nodes[self.steps[t].node].label for t in step.terms],
                     contributions=[plain(self.steps[t].contribution) for t in step.terms],
                     total=plain(step.total))
        else:
            d.update(upstream=1.0)
        shape = getattr(self.node_values[step.node], "shape", None)
        if shape is not None:
            d["shape"] = list(shape)
        return d

    def to_dict(self) -> dict:
        from .i18n import t
        d = {
            "value": plain(self.value),
            "gradients": plain(self.gradients),
            "numeric_gradients": plain(self.numeric_gradients),
            "checks": [{"name": c.name, "value": plain(c.value), "analytic": plain(c.analytic),
                        "numeric": plain(c.numeric), "rel_error": c.rel_error, "verdict": c.verdict}
                       for c in self.checks],
            "nodes": [{"label": n.label, "op": n.op.name, "inputs": list(n.args),
                       "value": plain(self.node_values[i]), "grad": plain(self.node_grads[i])}
                      for i, n in enumerate(self.graph.nodes)],
            "steps": [self.step_dict(s) for s in self.steps],
            "warnings": [{"key": key, "message": t(key, "en", **params)} for key, params in self.warnings],
        }
        if self.answers:
            d["answers"] = [a.to_dict() if hasattr(a, "to_dict") else a for a in self.answers]
        return d
