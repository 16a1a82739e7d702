"""The computational graph as a picture, independent of the drawing format:
boxes (inputs, constants, gates) and wires, each wire carrying the value that
flows forward on it and the gradient that flows back on it (CS231n's green
and red numbers) -- in forward mode instead the tangent that flows forward
with the value (MML eq. 5.121). dot.py, mermaid.py and graphtext.py draw this.

Labels hold numbers, names and symbols only: image renderers lack CJK glyphs."""
from __future__ import annotations

from dataclasses import dataclass

from .numbers import num, picture_value, shape_of, shape_text, short
from ..core.ops import gate_label
from ..core.records import Derivation

END = -1          # the id of the wire's end right of the output


@dataclass(frozen=True, slots=True)
class Box:
    id: int
    kind: str          # input | const | gate
    title: str         # the node's name, as every view writes it (w0*x0, +₂, exp, f), or a constant
    sub: str = ""      # the gate's symbol where the name is not it (f: 1/x, w0*x0: *), a tensor's shape
    call: tuple = ()   # the calls of the user's functions it is in, outermost first
    gate: str = ""     # the symbol alone (the sub's first part)


@dataclass(frozen=True, slots=True)
class Wire:
    src: int
    dst: int           # END for the output's own wire
    value: str | None  # None when the value is too big to write (a large tensor)
    grad: str | None   # the gradient sent back (the tangent carried, in forward mode); None: none flows
    path: int = 0      # k > 0: the source's paths meet (Σ at its box), and this is the k-th one's share


@dataclass(frozen=True, slots=True)
class Picture:
    boxes: list
    wires: list
    output: str        # written at the end of the output's wire ("": its box says its name)
    totals: dict       # box id -> its total gradient, for boxes where paths meet (Σ)
    tangents: str = "" # forward mode: the input whose tangents the wires carry instead of gradients


def picture(d: Derivation, digits: int = 4) -> Picture:
    """The derivation's picture: gradients on the wires, or in forward mode the
    tangents of its first input's pass; a Jacobian's, those of its first pass."""
    nodes = d.graph.nodes
    vals, grads = d.node_values, d.node_grads
    passes = d.forward if d.mode == "forward" else d.reverse
    seeded = passes[0] if passes else None
    reached = [False] * len(nodes)
    reached[d.graph.output] = True
    along = {}                                  # (consumer, k) -> gradient sent (or tangent carried) along that wire
    if seeded is None:
        for i, k, j, _local, _upstream, contribution in d.edges:
            along[i, k] = contribution
            reached[j] = True
    else:
        grads = seeded.values
        reached = _leading_to(nodes, d.outputs)
        for s in seeded.steps:
            if s.kind == "edge":
                along[s.node, s.k] = s.upstream if seeded.direction == "forward" else s.contribution
    forward = seeded is not None and seeded.direction == "forward"
    for i in range(len(nodes) - 1, -1, -1):     # constants get no gradient edge but are drawn
        if reached[i]:
            for j in nodes[i].args:
                reached[j] = reached[j] or nodes[j].op.name == "const"
    value_text = [None] * len(nodes)
    fan_out = [0] * len(nodes)                  # gradients flowing back into each node: paths meeting there
    for i, node in enumerate(nodes):
        if reached[i]:
            for k, j in enumerate(node.args):
                if (i, k) in along:
                    fan_out[j] += 1
    boxes, wires, paths = [], [], [0] * len(nodes)
    for i, node in enumerate(nodes):
        if not reached[i]:
            continue                            # a statement the output does not use
        value_text[i] = picture_value(vals[i], digits)
        boxes.append(_box(i, node, vals[i]))
        for k, j in enumerate(node.args):
            g = None if nodes[j].op.name == "const" else along.get((i, k), 0.0 if forward else None)
            path = 0
            if g is not None and fan_out[j] > 1 and not forward:
                path = paths[j] = paths[j] + 1
            wires.append(Wire(j, i, value_text[j], None if g is None else picture_value(g, digits), path))
    out = d.graph.output
    end = grads[out]
    wires.append(Wire(out, END, value_text[out], None if end is None else picture_value(end, digits)))
    totals = {} if forward else {i: picture_value(grads[i], digits) for i, n in enumerate(fan_out)
                                 if n > 1 and grads[i] is not None}
    return Picture(boxes, wires, "", totals, nodes[seeded.about].label if forward else "")


def _leading_to(nodes, outputs) -> list[bool]:
    """The nodes a path leads from to one of the outputs: the ones drawn."""
    live = [False] * len(nodes)
    for out in outputs:
        live[out] = True
    for i in range(max(outputs), -1, -1):
        if live[i]:
            for j in nodes[i].args:
                live[j] = True
    return live


def call_frames(pic: Picture) -> list[tuple[int, str, int, object]]:
    """How to frame each call of a user's function, calls within calls nested:
    (depth, "open", k, the call's text), (depth, "box", k, "n3" or "w5": a box
    or the numbers of a wire inside the call), (depth, "close", k, None), in
    order; found without recursion, however deep the calls go."""
    calls = {box.id: box.call for box in pic.boxes}
    paths = sorted({call[:n] for call in calls.values() for n in range(1, len(call) + 1)})
    members: dict[tuple, list[str]] = {}
    for box in pic.boxes:
        if box.call:
            members.setdefault(box.call, []).append(f"n{box.id}")
    for k, w in enumerate(pic.wires):           # a wire within a call: its numbers stay inside the frame
        src, dst = calls.get(w.src, ()), calls.get(w.dst, ())
        n = 0
        while n < min(len(src), len(dst)) and src[n] == dst[n]:
            n += 1
        if n:
            members.setdefault(src[:n], []).append(f"w{k}")
    frames, open_paths = [], []
    for k, path in enumerate(paths):
        while open_paths and path[:len(open_paths[-1])] != open_paths[-1]:
            open_paths.pop()
            frames.append((len(open_paths), "close", k, None))
        frames.append((len(open_paths), "open", k, path[-1]))
        frames += [(len(open_paths) + 1, "box", k, i) for i in members.get(path, [])]
        open_paths.append(path)
    while open_paths:
        open_paths.pop()
        frames.append((len(open_paths), "close", len(paths), None))
    return frames


def _box(i: int, node, value) -> Box:
    box = _plain_box(i, node, value)
    return Box(box.id, box.kind, box.title, box.sub, node.call or (), box.gate) if node.call else box


def _plain_box(i: int, node, value) -> Box:
    shape = shape_of(value)
    shape = shape_text(shape) if shape else ""
    kind = node.op.name
    if kind == "input":
        return Box(i, "input", node.label, shape)
    if kind == "const":
        return Box(i, "const", num(node.c), shape)
    gate = gate_label(node.op, node.c, short)
    if node.label.rstrip(_SUBSCRIPTS) == gate:          # named by its gate: +1, exp, +₂
        gate = ""
    return Box(i, "gate", node.label, " ".join(p for p in (gate, shape) if p), gate=gate)


_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


def grad_label(wire: Wire, derivative: str = "g") -> str:
    """How a wire's gradient is named: g, or g₂ for the second path's share
    where paths meet (the box then shows their sum, Σ g)."""
    if not wire.path:
        return derivative
    return derivative + "".join(_SUBSCRIPTS[int(ch)] for ch in str(wire.path))
