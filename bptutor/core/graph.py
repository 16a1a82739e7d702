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


class Graph:
    """Append-only list of nodes plus the names the program gave them."""

    def __init__(self, source: str = ""):
        self.source = source
        self.nodes: list[Node] = []
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

    def add(self, op: Op, args: tuple = (), c=None, name=None, start=0, end=0, op_start=None, op_end=None) -> int:
        """Append a node; its operator's span defaults to its own span."""
        nodes = self.nodes
        if len(nodes) >= MAX_NODES:
            from ..errors import BptutorError
            raise BptutorError("input.too_many_nodes", (start, end), limit=f"{MAX_NODES:,}")
        if op_start is None:
            op_start, op_end = start, end
        nodes.append(Node(op, args, c, name, start, end, op_start, op_end))
        return len(nodes) - 1

    def input(self, name: str, start: int = 0, end: int = 0) -> int:
        index = self.inputs.get(name)
        if index is None:
            index = self.inputs[name] = self.add(OPS["input"], (), None, name, start, end)
        return index


def needed_for(g: Graph, names) -> list[bool]:
    """For each node, whether a path leads from it down to one of the inputs `names`."""
    wanted = [False] * len(g.nodes)
    for name in names:
        wanted[g.inputs[name]] = True
    for i, node in enumerate(g.nodes):
        if node.args and not wanted[i]:
            wanted[i] = any(wanted[j] for j in node.args)
    return wanted
