"""The graph drawn in the terminal (`--graph -`): a Rich tree from the output
back to the inputs, each line a box with the value on its wire (v=, green) and
the gradient sent back along it (g=, red), or in forward mode the tangent
carried along it (t=, blue). A box used again is marked ↑ and not
expanded twice, so a shared subgraph does not blow up."""
from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from ..core.records import Derivation
from .picture import END, picture

MAX_LINES = 200           # a quick look: larger graphs are cut, with a count of what is left
MAX_DEPTH = 12            # deeper branches end in "…" (80 columns hold about this many levels)


def render(d: Derivation, digits: int = 4) -> Tree:
    pic = picture(d, digits)
    boxes = {b.id: b for b in pic.boxes}
    into: dict[int, list] = {}
    for w in pic.wires:
        into.setdefault(w.dst, []).append(w)
    [out_wire] = into[END]
    derivative = ("t=", "blue") if pic.tangents else ("g=", "red")
    root = Tree(_line(boxes[out_wire.src], out_wire, derivative, pic.output), guide_style="dim")
    seen = {out_wire.src}
    stack = [(root, w, 1) for w in reversed(into.get(out_wire.src, []))]
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
        box = boxes[wire.src]
        again = box.id in seen and box.kind == "gate"
        branch = parent.add(_line(box, wire, derivative, mark="↑" if again else ""))
        if not again:
            seen.add(box.id)
            stack.extend((branch, w, depth + 1) for w in reversed(into.get(box.id, [])))
    if cut:
        root.add(Text(f"… +{cut}", style="yellow"))
    return root


def _line(box, wire, derivative: tuple, name: str = "", mark: str = "") -> Text:
    text = Text()
    if name:
        text.append(f"{name} = ", style="bold")
    text.append(box.title, style="bold" if box.kind != "gate" else "")
    if box.sub:
        text.append(f" {box.sub}", style="dim")
    if wire.value is not None:
        text.append("  v=")
        text.append(wire.value, style="green")
    if wire.grad is not None:
        text.append("  " + derivative[0])
        text.append(wire.grad, style=derivative[1])
    if mark:
        text.append(f"  {mark}", style="dim")
    return text
