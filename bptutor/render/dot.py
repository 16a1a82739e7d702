"""The graph as Graphviz DOT text, in the CS231n look: inputs on the left,
the output on the right, every wire labelled with its value (green, above)
and its gradient (red, below) -- in forward mode its tangent (blue, below).

Every box (class box) and wire (class wire) carries an SVG id (`ids` is their
prefix, unique per page): n<i> the box of node i, end the output's name, w<k>
wire k's numbers, w<k>_in and w<k>_out its two strokes (k: the wire's place in
picture().wires). The HTML page highlights them step by step."""
from __future__ import annotations

from ..core.records import Derivation
from .picture import END, call_frames, grad_label, picture

GREEN, RED, BLUE = "#2e7d32", "#c62828", "#1565c0"


def render(d: Derivation, digits: int = 4, ids: str = "") -> str:
    pic = picture(d, digits)
    lines = [
        "digraph bptutor {",
        f'  graph [id="{ids}graph", rankdir=LR, ordering=in, nodesep=0.35, ranksep=0.25, fontname="Helvetica", '
        'bgcolor="white"];',
        '  node [fontname="Helvetica", fontsize=14, color="#444444", penwidth=1.2];',
        '  edge [fontname="Helvetica", fontsize=12, color="#444444", arrowsize=0.7];',
    ]
    for box in pic.boxes:
        lines.append(f'  n{box.id} [id="{ids}n{box.id}", class="box", {_box_attrs(box, pic.totals.get(box.id))}];')
    lines += _clusters(pic, ids)
    lines.append(f'  end [id="{ids}end", shape=plaintext, label={_quote(pic.output)}];')
    for k, w in enumerate(pic.wires):
        # The numbers sit on a small table whose middle rule is drawn as part of the
        # wire: value above the line, gradient below, as CS231n draws them.
        dst = "end" if w.dst == END else f"n{w.dst}"
        grad = w.grad if not w.path or w.grad is None else f"{grad_label(w)}={w.grad}"    # one path's share
        label = _wire_label(w.value, grad, BLUE if pic.tangents else RED)
        lines.append(f'  w{k} [id="{ids}w{k}", class="wire", shape=plaintext, margin=0, width=0, height=0, '
                     f'label={label}];')
        lines.append(f'  n{w.src} -> w{k}:w [id="{ids}w{k}_in", class="wire", arrowhead=none];')
        lines.append(f'  w{k}:e -> {dst} [id="{ids}w{k}_out", class="wire"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _clusters(pic, ids: str = "") -> list[str]:
    """A dashed frame around the boxes of each call of a user's function."""
    lines = []
    for depth, kind, k, item in call_frames(pic):
        indent = "  " * (depth + 1)
        if kind == "open":
            lines.append(f'{indent}subgraph cluster_call{k} {{ id="{ids}call{k}"; label={_quote(item)}; style=dashed; '
                         'color="#888888";')
        elif kind == "box":
            lines.append(f"{indent}{item};")
        else:
            lines.append(indent + "}")
    return lines


def _box_attrs(box, total) -> str:
    rows = [_html(box.title)]
    if box.sub:
        rows.append(f'<font point-size="10">{_html(box.sub)}</font>')
    if total is not None:                      # a fan-out: the paths' gradients add up here
        rows.append(f'<font point-size="10" color="{RED}">Σ g={_html(total)}</font>')
    label = "<" + "<br/>".join(rows) + ">"
    if box.kind == "gate":
        return f"shape=circle, margin=0.04, label={label}"
    return f"shape=plaintext, label={label}"


def _wire_label(value, grad, colour: str) -> str:
    values, grads = _lines(value), _lines(grad)
    align = "left" if len(values) > 1 or len(grads) > 1 else "center"      # matrix rows line up
    rows = [_row(line, GREEN, align) for line in values] + ["<hr/>"] + [_row(line, colour, align) for line in grads]
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">{"".join(rows)}</table>>'


def _row(text: str, colour: str, align: str = "center") -> str:
    if not text:                                   # Graphviz refuses an empty <font>
        return "<tr><td></td></tr>"
    text = _html(text).replace(" ", "&#160;", 1) if text.startswith(" ") else _html(text)   # keep the indent
    return f'<tr><td align="{align}"><font color="{colour}">{text}</font></td></tr>'


def _lines(text: str | None) -> list[str]:
    """A matrix one row per line, as the notes write it; a missing value as an empty cell."""
    if text is None:                               # too big to write: the box shows its shape
        return ["…"]
    return text.replace("], [", "],\n [").split("\n") if text.startswith("[[") else [text]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
