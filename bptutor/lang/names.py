"""One readable name per node, unique in its graph and used by every view
(forward pass, steps, pictures, notes, JSON, diagnoses) and by --answer.

In order of preference:
1. the program's own name; a name assigned several times is versioned: the
   earlier bindings are `c₁`, `c₂`, the last keeps the plain `c`, so `c`
   always means what the program's `c` means at its end;
2. `f` for an unnamed output, as in the notes;
3. its source text when short (`w0*x0`, `lam/2`), subscripted where the same
   text occurs more than once (`x*y₁`, `x*y₂`);
4. else the gate as the notes draw it (`+1`, `*-1`, `1/x`, `exp`) when no
   other node has that gate, else numbered among the nodes with that gate
   (`+₂`: the second `+`). Never a bare `+` that means two nodes.
Constants are written as their value.

Short text comes before the gate (design.md puts the gate first): the notes
name the sigmoid's nodes by their gates because their text is long, and that
still comes out (`+1`, `*-1`, `exp`, `+₂`); where the text is short it says
more than a bare gate (`lam/2`, not `/2`; `x*w`, not `*`, which reads badly
in `∂f/∂*` or "prediction: * = 8").
"""
from __future__ import annotations

from ..core.graph import Graph
from ..core.ops import const_text, gate_label

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MAX_TEXT = 12           # source text longer than this is not a name


def subscript(k: int) -> str:
    return str(k).translate(_SUBSCRIPT)


def label_nodes(g: Graph, max_text: int = MAX_TEXT) -> None:
    """Give every node of `g` its label (see the module's docstring)."""
    nodes = g.nodes
    taken: set[str] = set()
    bindings: dict[str, list] = {}
    for node in nodes:
        if node.name:
            bindings.setdefault(node.name, []).append(node)
    for name, bound in bindings.items():
        for k, node in enumerate(bound[:-1], 1):
            node.label = name + subscript(k)
        bound[-1].label = name
        taken.update(node.label for node in bound)
    out = nodes[g.output]
    if not out.label:
        out.label = _free("f" if "f" not in taken else "out", taken)
    by_text: dict[str, list] = {}
    by_gate: dict[str, list] = {}           # gate -> indices of the nodes it must name
    for i, node in enumerate(nodes):
        if node.label:
            continue
        if node.op.name == "const":
            node.label = const_text(node.c)
            continue
        text = _short_text(g, node, max_text)
        if text:
            by_text.setdefault(text, []).append(node)
        else:
            by_gate.setdefault(gate_text(node), []).append(i)
    for text, same in by_text.items():
        if len(same) == 1:
            same[0].label = _free(text, taken)
        else:
            for k, node in enumerate(same, 1):
                node.label = _free(text + subscript(k), taken)
    if not by_gate:
        return
    # numbered among every node with that gate, whatever its name: the
    # sigmoid's outer sum is `+₂`, its inner one (`w0*x0+w1*x1`) the first `+`
    place: dict[int, int] = {}
    count: dict[str, int] = dict.fromkeys(by_gate, 0)
    for i, node in enumerate(nodes):
        if node.args:
            gate = gate_text(node)
            if gate in count:
                place[i] = count[gate] = count[gate] + 1
    for gate, same in by_gate.items():
        if count[gate] == 1 and gate not in taken:
            nodes[same[0]].label = _free(gate, taken)
        else:
            for i in same:
                nodes[i].label = _free(gate + subscript(place[i]), taken)


def _short_text(g: Graph, node, max_text: int) -> str:
    """The node's source text without spaces when it is at most max_text long, else ""."""
    if node.end - node.start > 4 * max_text:      # never slice a long span: quadratic over a big graph
        return ""
    text = "".join(g.source[node.start:node.end].split())
    return text if len(text) <= max_text else ""


def _free(label: str, taken: set) -> str:
    """`label`, primed while another node has it (a user's variable named like
    a gate's text: rare, but two nodes never share a name); now taken."""
    while label in taken:
        label += "′"
    taken.add(label)
    return label


def gate_text(node) -> str:
    """The node's gate as the notes draw it: `+1`, `*-1`, `exp`."""
    return gate_label(node.op, node.c, const_text)
