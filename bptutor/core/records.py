"""Frozen result records: data only, JSON-able. Renderers read these and the
graph; they never run the engine."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from .graph import Graph, needed_for
from .steps import Step, build_steps


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


class Edge(NamedTuple):
    """One edge of the backward pass: node's k-th input is target;
    local × upstream = contribution (local is None for a tensor op's VJP).
    The engine records plain tuples in this shape (cheaper on its hot path
    than NamedTuples); unpack them, or read them as Edge(*t)."""
    node: int
    k: int
    target: int
    local: object
    upstream: object
    contribution: object


class Tape(NamedTuple):
    """What engine.backward recorded."""
    grads: list         # ∂f/∂node per node; None where no path leads to the output
    edges: list         # Edge-shaped tuples, in the order backward visited them
    kinks: list         # nodes evaluated at a non-differentiable point


class Check(NamedTuple):
    """Central-difference check of one input's gradient, and how it was judged
    (core/difference.py). For an array input the numbers describe the entry
    that decided the verdict (the worst one), `entry`."""
    name: str
    value: object
    analytic: object
    numeric: object          # None when f is undefined at x±h
    rel_error: float | None
    verdict: str             # ok | fail | kink (crossed at every step) | skipped (not checkable here)
    h: float | None = None   # the step the numeric value came from
    error: float | None = None   # its estimated error (truncation + round-off)
    band: str | None = None  # CS231n's reading of rel_error: fine | suspicious | wrong
    kink: int | None = None  # the kinked node the step crossed (verdict kink)
    reason: str | None = None    # why not checkable: undefined | resolution | roundoff | curvature | unstable
    entry: tuple | None = None   # arrays: the entry the numbers describe
    entries: tuple = (1, 1)  # (entries checked, entries in all): a sample when fewer

    @property
    def allowed(self) -> float | None:
        """The relative error the verdict allowed: SAFETY × the estimate, at least
        CS231n's 1e-7; None when the gradient and its numeric value are both
        within the estimate of 0 (no relative error means anything there)."""
        from .difference import FINE, SAFETY
        if self.error is None or self.numeric is None:
            return None
        scale = max(abs(_at(self.analytic, self.entry)), abs(_at(self.numeric, self.entry)))
        bound = SAFETY * self.error
        if scale <= bound:
            return None if scale else FINE
        return max(FINE, bound / scale)

    @property
    def coarse(self) -> bool:
        """The difference was less accurate than CS231n's 1e-7: the verdict allowed more."""
        from .difference import FINE
        return self.allowed is not None and self.allowed > FINE

    def to_dict(self, graph: Graph) -> dict:
        """JSON: the values, and how the verdict was judged."""
        return {"name": self.name, "value": plain(self.value), "analytic": plain(self.analytic),
                "numeric": plain(self.numeric), "rel_error": self.rel_error, "verdict": self.verdict,
                "h": self.h, "error": self.error, "allowed": self.allowed, "band": self.band,
                "kink": None if self.kink is None else graph.nodes[self.kink].label, "reason": self.reason,
                "entry": None if self.entry is None else list(self.entry),
                "entries": {"checked": self.entries[0], "total": self.entries[1]}}


def _at(x, entry):
    """Entry `entry` of an array (the number itself for a scalar)."""
    if entry is None or not hasattr(x, "shape") or not x.shape:
        return float(x)
    return float(x[entry]) if len(entry) == x.ndim else float(x)


@dataclass(frozen=True, eq=False, repr=False)
class Derivation:
    """Everything a derivation found, built once (tutor/program.py): the graph,
    every node's value, the backward tape, the numeric checks and warnings.
    Answers, quizzes and grades are judged beside it, never stored in it."""
    source: str
    graph: Graph
    values: dict                # the inputs' values as used
    node_values: list
    tape: Tape
    checks: tuple = ()          # Check per input checked, in wrt order
    warnings: tuple = ()        # (message key, params)
    eps: float | None = None    # the step forced by --eps; None: each check chose its own
    wrt: tuple = ()             # inputs reported, in order
    sampled: bool = False       # the numeric check covered a sample of the inputs
    arrays: bool = False        # evaluated with numpy arrays (vectors and matrices)
    hand: int | None = None     # worked as the notes do by hand: every value rounded to this many decimals
    exact: "Derivation | None" = None   # then: the exact derivation (checks and answers are made on it)

    @property
    def node_grads(self) -> list:
        return self.tape.grads

    @property
    def edges(self) -> list:
        """Edge-shaped tuples (node, k, target, local, upstream, contribution)."""
        return self.tape.edges

    @cached_property
    def kinks(self) -> frozenset:
        """Nodes evaluated at a non-differentiable point."""
        return frozenset(self.tape.kinks)

    @property
    def value(self):
        return self.node_values[self.graph.output]

    @property
    def gradients(self) -> dict:
        return {name: self.grad(self.graph.inputs[name]) for name in self.wrt}

    def grad(self, index: int):
        """∂f/∂node; 0 where no path leads from the node to the output."""
        g = self.tape.grads[index]
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
        """The node a printed name means: its label (`c` is the last binding of
        c, `c₁` the first; `w0*x0`, `+₂`, `f`)."""
        return self.names.get(name)

    @cached_property
    def names(self) -> dict[str, int]:
        """Every node's label -> its index (constants, written as their value, aside)."""
        return {node.label: i for i, node in enumerate(self.graph.nodes) if node.op.name != "const"}

    @cached_property
    def steps(self) -> list[Step]:
        """The narration's steps (see core/steps.py), built when first read:
        with --wrt, only those on the paths to the inputs asked for."""
        g = self.graph
        trimmed = self.wrt and len(self.wrt) < len(g.inputs)
        return build_steps(g, self.tape, needed_for(g, self.wrt) if trimmed else None)

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
        nodes = self.graph.nodes
        return {
            "value": plain(self.value),
            "gradients": plain(self.gradients),
            "numeric_gradients": plain(self.numeric_gradients),
            "eps": self.eps,
            "checks": [c.to_dict(self.graph) for c in self.checks],
            # every node by the name the narration prints; its inputs by theirs
            "nodes": [{"name": n.label, "op": n.op.name, "inputs": [nodes[j].label for j in n.args],
                       "value": plain(self.node_values[i]), "gradient": plain(self.grad(i))}
                      for i, n in enumerate(nodes)],
            "steps": [self.step_dict(s) for s in self.steps],
            "warnings": [{"key": key, "message": t(key, "en", **params)} for key, params in self.warnings],
            # --hand: the steps and nodes above are rounded as by hand; the exact gradients beside them
            "hand": self.hand,
        } | ({} if self.hand is None else {"exact_gradients": plain(self.exact.gradients)})


class Verdict(NamedTuple):
    """A student's answer for ∂f/∂name, judged (see tutor/answers.judge).
    diagnosis: the mistake the number matches (sign, local, missing_upstream,
    wrong_operand, fanout_partial, swapped_max, double_counted, transpose,
    rounding) or None; note_key: a message key qualifying the verdict
    ("answers.accepted_rounding", "answers.kink", "answers.either" when
    several mistakes give the number: `either` lists them). node is the graph node
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
    either: tuple = ()       # several mistakes give this number: (code, node, detail) each

    def to_dict(self) -> dict:
        return {"name": self.name, "given": self.given, "expected": plain(self.expected),
                "correct": self.correct, "diagnosis": self.diagnosis,
                "either": [code for code, _node, _detail in self.either]}
