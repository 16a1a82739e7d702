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

from collections import defaultdict
from itertools import islice, product

from ..core.graph import Graph
from ..core.ops import const_text, gate_label

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MAX_TEXT = 12           # source text longer than this is not a name


def subscript(k: int) -> str:
    return str(k).translate(_SUBSCRIPT)


def _subscripts(n: int) -> list[str]:
    """subscript(k) for k in 0..n, in order: the digits' products, made at C
    speed (a big graph numbers tens of thousands of nodes per label)."""
    digits = "₀₁₂₃₄₅₆₇₈₉"
    out = list(digits)
    width = 2
    while len(out) <= n:
        out += islice(map("".join, product(digits[1:], *[digits] * (width - 1))), n + 1 - len(out))
        width += 1
    del out[n + 1:]
    return out


def label_nodes(g: Graph, max_text: int = MAX_TEXT) -> None:
    """Give every node of a graph just built its label (see the module's
    docstring). One pass over the graph's rows sorts the nodes (bound names,
    texts, gates), then the labels are given in the order of preference, each
    taking its name from `taken`."""
    rows, source, output = g.rows, g.source, g.output
    labels = [""] * len(rows)
    taken: set[str] = set()
    bindings: dict[str, list] = defaultdict(list)   # name -> the nodes bound to it, in order
    by_text: dict[str, list] = defaultdict(list)    # short text -> the nodes it must name
    by_gate: dict[str, list] = defaultdict(list)    # gate -> the nodes it must name
    places: dict[str, list] = defaultdict(list)     # gate -> their places among the nodes with that gate
    gate_count: dict[str, int] = {}
    longest = 4 * max_text                  # never slice a long span: quadratic over a big graph
    for i, (op, args, c, name, start, end, _op_start, _op_end) in enumerate(rows):
        if args:
            # numbered among every node with that gate, whatever its name: the
            # sigmoid's outer sum is `+₂`, its inner one (`w0*x0+w1*x1`) the first `+`
            gate = op.gate if c is None else gate_label(op, c, const_text)
            place = gate_count[gate] = gate_count.get(gate, 0) + 1
        if name:
            bindings[name].append(i)
            continue
        if i == output:
            continue
        if op.name == "const":
            labels[i] = const_text(c)
            continue
        text = source[start:end] if end - start <= longest else ""
        if text and not (len(text) <= max_text and text.isprintable() and " " not in text):
            text = "".join(text.split())        # without its blanks (printable leaves only " ")
            if len(text) > max_text:
                text = ""
        if text:
            by_text[text].append(i)
        else:
            by_gate[gate].append(i)
            places[gate].append(place)
    for name, bound in bindings.items():
        for k, i in enumerate(bound[:-1], 1):
            labels[i] = name + subscript(k)
        labels[bound[-1]] = name
        taken.update(labels[i] for i in bound)
    if not labels[output]:
        labels[output] = _free("f" if "f" not in taken else "out", taken)
    subscripts = _subscripts(max((*map(len, by_text.values()), *map(gate_count.get, by_gate)), default=0))
    for text, same in by_text.items():
        if len(same) == 1:
            labels[same[0]] = _free(text, taken)
        else:
            _give(labels, same, [text + k for k in subscripts[1:len(same) + 1]], taken)
    for gate, same in by_gate.items():
        if gate_count[gate] == 1 and gate not in taken:
            labels[same[0]] = _free(gate, taken)
        else:
            _give(labels, same, [gate + subscripts[place] for place in places[gate]], taken)
    g.give_labels(labels)                   # (no Node object made for it: see Graph.nodes)


def _give(labels: list, nodes: list, given: list, taken: set) -> None:
    """Each of the nodes its label from `given` (all different), primed where taken (see _free)."""
    if taken.isdisjoint(given):             # the common case, at C speed
        taken.update(given)
    else:
        given = [_free(label, taken) for label in given]
    for i, label in zip(nodes, given):
        labels[i] = label


def _free(label: str, taken: set) -> str:
    """`label`, primed while another node has it (a user's variable named like
    a gate's text: rare, but two nodes never share a name); now taken."""
    while label in taken:
        label += "′"
    taken.add(label)
    return label
