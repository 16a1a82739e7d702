"""One readable name per node: the program's own names, `f` for an unnamed
output, short source text, else the gate as the notes draw it (`+1`, `exp`),
numbered with subscripts where a gate repeats."""
from __future__ import annotations

from ..core.graph import Graph
from ..core.ops import const_text, gate_label

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def label_nodes(g: Graph, max_text: int = 12) -> None:
    """Names label their nodes; the unnamed output is `f` as in the notes; other
    intermediates get their source text when it is short, else their gate
    (`+1`, `exp`), numbered with subscripts where a gate repeats."""
    taken = set(g.inputs)
    bindings: dict[str, list] = {}
    for node in g.nodes:
        if node.name:
            bindings.setdefault(node.name, []).append(node)
            taken.add(node.name)
    for name, nodes in bindings.items():
        # A reassigned name (c = a + b; c += 1): the earlier bindings are c₁, c₂, the last one is c.
        for k, node in enumerate(nodes[:-1], 1):
            node.label = name + str(k).translate(_SUBSCRIPT)
            taken.add(node.label)
        nodes[-1].label = name
    out = g.nodes[g.output]
    if not out.label:
        out.label = "f" if "f" not in taken else "out"
        taken.add(out.label)
    by_gate: dict[str, list] = {}
    for node in g.nodes:
        if node.label:
            continue
        if node.op.name == "const":
            node.label = const_text(node.c)
            continue
        # (only short spans are looked at: slicing every span would be quadratic)
        text = "".join(g.source[node.start:node.end].split()) if node.end - node.start <= 4 * max_text else ""
        if text and len(text) <= max_text and text not in taken:
            node.label = text
            taken.add(text)
        else:
            by_gate.setdefault(gate_text(node), []).append(node)
    for gate, nodes in by_gate.items():
        if len(nodes) == 1 and gate not in taken:
            nodes[0].label = gate
        else:
            for k, node in enumerate(nodes, 1):
                node.label = gate + str(k).translate(_SUBSCRIPT)


def gate_text(node) -> str:
    """The node's gate as the notes draw it: `+1`, `*-1`, `exp`."""
    return gate_label(node.op, node.c, const_text)
