"""The computational graph: nodes appended bottom-up, so the list order is a
topological order. A node's inputs are ordered and may repeat (x*x has two
edges to x)."""
from __future__ import annotations

from .ops import OPS, Op

# A graph this big is refused while it is being built: parsing, evaluating and
# narrating more would take longer than anyone waits (a 100,000-term expression
# with its inputs is ~300,000 nodes).
MAX_NODES = 500_000


class Node:
    __slots__ = ("op", "args", "c", "name", "label", "start", "end")

    def __init__(self, op: Op, args: tuple, c, name, start: int, end: int):
        self.op = op            # a row of the op table
        self.args = args        # indices of input nodes, in order
        self.c = c              # the constant of a one-input gate (or a const leaf's value)
        self.name = name        # the user's name for it, if any
        self.label = ""         # filled in by Graph.finish()
        self.start = start      # span in the (folded) source text
        self.end = end


class Graph:
    """Append-only list of nodes plus the names the program gave them."""

    def __init__(self, source: str = ""):
        self.source = source
        self.nodes: list[Node] = []
        self.inputs: dict[str, int] = {}       # input name -> node index
        self.defaults: dict[str, object] = {}  # values assigned in the program
        self.output: int = -1
        self.tensor = False                    # uses @, .T, [i], sum...: evaluate with arrays
        self.op_spans: dict[int, tuple] = {}   # node index -> its operator's span (tensor ops)
        self.known = frozenset()               # names the parse was told are inputs
        self.folded_constants: set[str] = set()  # e, pi read as numbers: a value named so needs a new parse

    def add(self, op: Op, args: tuple = (), c=None, name=None, start=0, end=0) -> int:
        nodes = self.nodes
        if len(nodes) >= MAX_NODES:
            from ..errors import BptutorError
            raise BptutorError("input.too_many_nodes", (start, end), limit=f"{MAX_NODES:,}")
        nodes.append(Node(op, args, c, name, start, end))
        return len(nodes) - 1

    def input(self, name: str, start: int = 0, end: int = 0) -> int:
        index = self.inputs.get(name)
        if index is None:
            index = self.inputs[name] = self.add(OPS["input"], (), None, name, start, end)
        return index
