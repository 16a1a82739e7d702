"""The computational graph: nodes appended bottom-up, so the list order is a
topological order. A node's inputs are ordered and may repeat (x*x has two
edges to x)."""
from __future__ import annotations

import threading
from itertools import islice, starmap

from .ops import OPS, Op

# A graph this big is refused while it is being built: parsing, evaluating and
# narrating more would take longer than anyone waits (a 100,000-term expression
# with its inputs is ~300,000 nodes).
MAX_NODES = 500_000


class Node:
    # Slots, not a dict of spans beside the graph: a 500,000-node graph keeps
    # two more pointers per node, mostly to int objects its tokens made anyway.
    __slots__ = ("op", "args", "c", "name", "label", "start", "end", "op_start", "op_end", "call")

    def __init__(self, op: Op, args: tuple, c, name, start: int, end: int, op_start: int, op_end: int):
        self.op = op            # a row of the op table
        self.args = args        # indices of input nodes, in order
        self.c = c              # the constant of a one-input gate (or a const leaf's value)
        self.name = name        # the user's name for it, if any
        self.label = ""         # filled in by lang.names
        self.start = start      # span in the (folded) source text
        self.end = end
        self.op_start = op_start    # its operator's span (`+` in x + y, `exp(x)`, `[0]`, `.T`):
        self.op_end = op_end        # where an error found while evaluating it points; a leaf's own span
        self.call = None            # inside a user function: the calls it is in, outermost first


# Two threads reading a graph's nodes for the first time make them once.
_making_nodes = threading.Lock()


class Graph:
    """Append-only list of nodes plus the names the program gave them.

    Each node is kept as a plain tuple, its row (op, args, c, name, start, end,
    op_start, op_end): appending one is all building a graph costs, and the
    engine's scalar passes read the rows. `nodes` holds the same nodes as Node
    objects (with the labels and calls added later), made when first read: a
    reader of rows and `node_labels` never makes them."""

    def __init__(self, source: str = ""):
        self.source = source
        self.rows: list[tuple] = []
        self._nodes: list[Node] = []
        self.node_labels: list[str] = []       # each node's label, by index (see give_labels)
        self.inputs: dict[str, int] = {}       # input name -> node index
        self.defaults: dict[str, object] = {}  # values assigned in the program
        self.output: int = -1
        self.tensor = False                    # uses @, .T, [i], sum...: evaluate with arrays
        self.folded_constants: set[str] = set()  # e, pi read as numbers: a value named so needs a new parse
        # (so is T read as the transpose in W^T)
        self.values_matter = False              # read a value's shape (w·x) or number (s[y]): a parse per values
        self.labels: set[str] = set()           # names whose given value indexes as a label (s[y])
        self.notes: list = []                   # (message key, params): how an ambiguous form was read
        self.unreached: list[str] = []         # statements the output does not use (their text)
        self.statements: list = []             # (node index, None for a constant; start, end) per statement

    @property
    def nodes(self) -> list[Node]:
        nodes = self._nodes
        if len(nodes) < len(self.rows):
            with _making_nodes:
                made = len(nodes)
                nodes.extend(starmap(Node, self.rows[made:]))
                for node, label in zip(islice(nodes, made, None), islice(self.node_labels, made, None)):
                    node.label = label
        return nodes

    def give_labels(self, labels: list[str]) -> None:
        """Each node its label (lang.names chooses them): the Node objects
        made already now, the others as they are made."""
        with _making_nodes:
            self.node_labels = labels
            for node, label in zip(self._nodes, labels):
                node.label = label

    def add(self, op: Op, args: tuple = (), c=None, name=None, start=0, end=0, op_start=None, op_end=None) -> int:
        """Append a node; its operator's span defaults to its own span."""
        rows = self.rows
        index = len(rows)
        if index >= MAX_NODES:
            from ..errors import BptutorError
            raise BptutorError("input.too_many_nodes", (start, end), limit=f"{MAX_NODES:,}")
        if op_start is None:
            op_start, op_end = start, end
        rows.append((op, args, c, name, start, end, op_start, op_end))
        self.node_labels.append("")           # until lang.names gives the labels
        return index

    def truncate(self, length: int) -> None:
        """Take back the nodes from `length` on (a name read as a label, a function's body)."""
        del self.rows[length:]
        del self._nodes[length:]
        del self.node_labels[length:]

    def rename(self, i: int, name: str) -> None:
        """Give node i the name a statement assigned it."""
        self.rows[i] = (*self.rows[i][:3], name, *self.rows[i][4:])
        if i < len(self._nodes):
            self._nodes[i].name = name

    def input(self, name: str, start: int = 0, end: int = 0) -> int:
        index = self.inputs.get(name)
        if index is None:
            index = self.inputs[name] = self.add(OPS["input"], (), None, name, start, end)
        return index


def needed_for(g: Graph, names) -> list[bool]:
    """For each node, whether a path leads from it down to one of the inputs `names`."""
    wanted = [False] * len(g.rows)
    for name in names:
        wanted[g.inputs[name]] = True
    for i, row in enumerate(g.rows):
        args = row[1]
        if args and not wanted[i]:
            wanted[i] = any(wanted[j] for j in args)
    return wanted
