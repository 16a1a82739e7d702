"""The derivation as a walk through its picture, one stop per step: the forward
pass node by node, then the backward steps (the seed, every edge, every sum of
paths) -- in forward mode instead the tangents of the first input's pass, left
to right (the tangents the picture carries). A stop names the box and the wires
to highlight; `Walk.stage(k)` says what the picture shows once stop k is
reached: --step in a terminal fills the wires in as their values and
gradients (tangents) become known, the HTML page and the notebook highlight
the stop's box and wires.

Wires are numbered as in picture().wires (the SVG ids w<k> of dot.py)."""
from __future__ import annotations

from typing import NamedTuple

from ..core.records import Derivation
from .picture import END, Picture, picture

BEFORE = -1             # known before the first stop: the inputs' values


class Stop(NamedTuple):
    phase: str          # forward (values) | backward | tangent (forward mode)
    node: int           # the box highlighted (a node index, as dot.py's n<i>)
    wires: tuple        # the wires highlighted
    step: int           # backward, tangent: the index in Walk.steps; forward: the node again


class Stage(NamedTuple):
    """The picture at one stop: which numbers are written, what is highlighted."""
    node: int | None            # None before the first stop
    wires: frozenset
    values: frozenset           # wires whose value is known
    grads: frozenset            # wires whose gradient (tangent) is known


class Walk:
    def __init__(self, d: Derivation, digits: int = 4, pic: Picture | None = None):
        self.picture = pic = pic or picture(d, digits)
        nodes = d.graph.nodes
        ins: dict = {}                           # node -> the wires into it, input by input
        out_of: dict = {}                        # node -> the wires leaving it
        for w, wire in enumerate(pic.wires):
            ins.setdefault(wire.dst, []).append(w)
            out_of.setdefault(wire.src, []).append(w)
        self.stops: list[Stop] = []
        self.index: dict = {}                          # (phase, node or step) -> its stop
        self.value_at = [BEFORE] * len(pic.wires)      # the stop from which a wire's value shows
        self.grad_at = [None] * len(pic.wires)         # ... its gradient (None: never, into a constant)
        for box in pic.boxes:                          # the forward pass, in evaluation order
            i = box.id
            if not nodes[i].args:
                continue
            for w in out_of.get(i, ()):
                self.value_at[w] = len(self.stops)
            self.add(Stop("forward", i, (*ins.get(i, ()), *out_of.get(i, ())), i))
        # the pass the picture carries (see picture()): backward's, a Jacobian's first, forward mode's first
        passes = d.forward if d.mode == "forward" else d.reverse
        self.pass_ = passes[0] if passes else None
        self.steps = d.steps if self.pass_ is None else self.pass_.steps      # what Stop.step indexes
        if self.pass_ is not None and self.pass_.direction == "forward":
            self.forward_mode(self.steps, ins, out_of)
        else:
            self.backward(self.steps, ins, out_of)

    def backward(self, steps, ins: dict, out_of: dict) -> None:
        pic = self.picture
        for s, step in enumerate(steps):
            at = len(self.stops)
            ups = tuple(out_of.get(step.node, ()))
            if step.kind == "edge":
                w = ins[step.node][step.k]
                self.grad_at[w] = at
                self.add(Stop("backward", step.node, (w, *ups), s))
            else:
                if step.kind == "seed":                # ∂f/∂f = 1 on the output's own wire
                    for w in ups:
                        if pic.wires[w].dst == END:
                            self.grad_at[w] = at
                self.add(Stop("backward", step.node, ups, s))

    def forward_mode(self, steps, ins: dict, out_of: dict) -> None:
        """The seed ẋ = 1 (every other input's tangent is 0 from then on), then each
        edge carrying its input's tangent into a gate, and each sum of them; a
        gate's tangent goes out on its wires once its last step is done."""
        last = {step.node: s for s, step in enumerate(steps)}
        seed, done = len(self.stops), {}
        for s, step in enumerate(steps):
            at = len(self.stops)
            outs = tuple(out_of.get(step.node, ())) if last[step.node] == s else ()
            if last[step.node] == s:
                done[step.node] = at
            if step.kind == "edge":
                self.add(Stop("tangent", step.node, (ins[step.node][step.k], *outs), s))
            elif step.kind == "sum":
                self.add(Stop("tangent", step.node, (*ins.get(step.node, ()), *outs), s))
            else:
                self.add(Stop("tangent", step.node, outs, s))
        for w, wire in enumerate(self.picture.wires):    # 0 where no path from the input leads: from the seed on
            if wire.grad is not None:
                self.grad_at[w] = done.get(wire.src, seed)

    def add(self, stop: Stop) -> None:
        self.index[stop.phase, stop.step] = len(self.stops)
        self.stops.append(stop)

    def stage(self, k: int) -> Stage:
        """The picture once stop k is reached (k = -1: before the first stop)."""
        stop = self.stops[k] if 0 <= k < len(self.stops) else None
        return Stage(None if stop is None else stop.node,
                     frozenset(stop.wires if stop else ()),
                     frozenset(w for w, at in enumerate(self.value_at) if at <= k),
                     frozenset(w for w, at in enumerate(self.grad_at) if at is not None and at <= k))

