"""The graph drawn in the terminal (`--graph -`): a Rich tree from the output
back to the inputs, each line a box with the value on its wire (v=, green) and
the gradient sent back along it (g=, red), or in forward mode the tangent
carried along it (t=, blue). Where paths meet, the box shows its total
gradient, Σ g=, and each of its wires the share of one path, g₁=, g₂=. A box
used again is marked ↑ and not expanded twice, so a shared subgraph does not
blow up.

With a `stage` (render/walk.py: --step), only the numbers known at that stop
are written, and the stop's box and wires are highlighted (also marked ◀, which
shows without colour)."""
from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from ..core.records import Derivation
from .picture import END, grad_label, picture
from .walk import Stage

HIGHLIGHT = "bold black on yellow"
MARK = "◀"

MAX_LINES = 200           # a quick look: larger graphs are cut, with a count of what is left
MAX_DEPTH = 12            # deeper branches end in "…" (80 columns hold about this many levels)


def render(d: Derivation, digits: int = 4, stage: Stage | None = None, pic=None) -> Tree:
    """The tree; at a `stage` of the walk over `pic` (picture(d, digits))."""
    pic = pic or picture(d, digits)
    boxes = {b.id: b for b in pic.boxes}
    into: dict[int, list] = {}
    for w, wire in enumerate(pic.wires):
        into.setdefault(wire.dst, []).append(w)
    [out] = into[END]
    wires = pic.wires
    derivative = ("t", "blue") if pic.tangents else ("g", "red")

    def line(w, name="", mark=""):
        src = wires[w].src
        return _line(boxes[src], wires[w], derivative, name, mark, stage, w, pic.totals.get(src))

    root = Tree(line(out, pic.output), guide_style="dim")
    seen = {wires[out].src}
    stack = [(root, w, 1) for w in reversed(into.get(wires[out].src, []))]
    lines, cut = 1, 0
    while stack:                             # no recursion: graphs may be 100,000 deep
        parent, wire, depth = stack.pop()
        if lines >= MAX_LINES:
            cut += 1
            continue
        lines += 1
        if depth > MAX_DEPTH:
            parent.add(Text("…", style="dim"))
            continue
        box = boxes[wires[wire].src]
        again = box.id in seen and box.kind == "gate"
        branch = parent.add(line(wire, mark="↑" if again else ""))
        if not again:
            seen.add(box.id)
            stack.extend((branch, w, depth + 1) for w in reversed(into.get(box.id, [])))
    if cut:
        root.add(Text(f"… +{cut}", style="yellow"))
    return root


def _line(box, wire, derivative: tuple, name: str = "", mark: str = "", stage: Stage | None = None,
          w: int = -1, total: str | None = None) -> Text:
    here = stage is not None and box.id == stage.node
    lit = stage is not None and w in stage.wires
    text = Text()
    if name:
        text.append(f"{name} = ", style="bold")
    text.append(box.title, style=HIGHLIGHT if here else "bold" if box.kind != "gate" else "")
    if box.gate:                    # f (1/x), w0*x0 (*): the gate of a node named otherwise
        text.append(f" ({box.gate})", style="dim")
    shape = box.sub[len(box.gate):].strip()
    if shape:
        text.append(f" {shape}", style="dim")
    if wire.value is not None and (stage is None or w in stage.values):
        text.append("  v=")
        text.append(wire.value, style="bold green underline" if lit else "green")
    if wire.grad is not None and (stage is None or w in stage.grads):
        text.append("  " + grad_label(wire, derivative[0]) + "=")
        text.append(wire.grad, style=f"bold {derivative[1]} underline" if lit else derivative[1])
    if total is not None and (stage is None or w in stage.grads):      # the paths meeting here, summed
        text.append("  Σ g=")
        text.append(total, style=f"bold {derivative[1]}")
    if mark:
        text.append(f"  {mark}", style="dim")
    if here:
        text.append(f"  {MARK}", style="bold")
    return text
