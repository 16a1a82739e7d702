"""The graph as a Mermaid flowchart (GitHub, Obsidian and Typora draw it):
left to right, every wire labelled `v=value | g=gradient` (in forward mode
`v=value | t=tangent`)."""
from __future__ import annotations

from ..core.records import Derivation
from .picture import END, call_frames, grad_label, picture


def render(d: Derivation, digits: int = 4) -> str:
    pic = picture(d, digits)
    lines = ["flowchart LR", "  classDef leaf fill:none,stroke:none"]
    leaves = []
    for box in pic.boxes:
        rows = [box.title] + ([box.sub] if box.sub else [])
        total = pic.totals.get(box.id)
        if total is not None:                  # a fan-out: the paths' gradients add up here
            rows.append(f"Σ g={total}")
        text = _quote("<br/>".join(rows))
        if box.kind == "gate":
            lines.append(f"  n{box.id}(({text}))")
        else:
            lines.append(f"  n{box.id}[{text}]")
            leaves.append(f"n{box.id}")
    for depth, kind, k, item in call_frames(pic):             # a frame around each call of a user's function
        if kind == "box" and item.startswith("w"):
            continue                                            # Mermaid writes a wire's numbers on the wire
        indent = "  " * (depth + 1)
        lines.append(f"{indent}subgraph call{k} [{_quote(item)}]" if kind == "open" else
                     f"{indent}{item}" if kind == "box" else f"{indent}end")
    lines.append(f"  out[{_quote(pic.output or ' ')}]")
    leaves.append("out")
    for w in pic.wires:
        dst = "out" if w.dst == END else f"n{w.dst}"
        label = " | ".join(p for p in (_part("v", w.value), _part(grad_label(w, "t" if pic.tangents else "g"), w.grad))
                           if p)
        # Mermaid refuses an empty label: a wire too big to write goes unlabelled.
        lines.append(f"  n{w.src} -- {_quote(label)} --> {dst}" if label else f"  n{w.src} --> {dst}")
    lines.append(f"  class {','.join(leaves)} leaf")
    return "\n".join(lines) + "\n"


def _part(name: str, text: str | None) -> str:
    return "" if text is None else f"{name}={text}"


def _quote(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'
