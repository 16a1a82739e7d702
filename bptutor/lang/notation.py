"""The other spellings bptutor reads, mapped to its own: the notes' symbols (σ,
ReLU, log10), Python's and numpy's (np.exp, math.exp, torch.sigmoid, w.dot(x),
x.sum()), superscript exponents (x²), and the rank rule that decides what `·`
means (a product of numbers, the matrix product of arrays)."""
from __future__ import annotations

import re

# Function names as people write them -> bptutor's (the op table's calls, or a
# form the parser builds: dot, matmul, pow, square, transpose, log10, log2).
ALIASES = {"σ": "sigmoid", "expit": "sigmoid", "maximum": "max", "minimum": "min", "amax": "max",
           "amin": "min", "power": "pow", "mm": "matmul", "mv": "matmul", "t": "transpose"}
BUILT_FORMS = {"dot": 2, "matmul": 2, "pow": 2, "square": 1, "transpose": 1, "log10": 1, "log2": 1}   # -> arity

# Prefixes read as modules: np.exp(x) is exp(x) (unless the program gives the name a value).
MODULES = frozenset({"np", "numpy", "math", "torch", "F", "nn", "functional", "jnp", "jax", "scipy", "special",
                     "linalg", "tf"})
MODULE_CONSTANTS = {"pi": "pi", "e": "e"}

# x.name(args) -> name(x, args): the methods numpy and PyTorch code uses.
METHODS = ("dot", "matmul", "mm", "mv", "sum", "mean", "max", "min", "norm", "exp", "log", "sqrt", "tanh",
           "sigmoid", "relu", "abs", "sin", "cos", "tan", "softmax", "logsumexp", "pow", "square", "t",
           "transpose")

# Operator spellings -> the grammar's symbols (· is decided by the operands: see node_rank).
OPERATORS = {"\\times": "*", "⋅": "·", "\\cdot": "·", "**": "^"}

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

# `f(x, w) =` (the grammar's DEF_HEAD token): the function's name and its parameters.
DEFINITION = re.compile(r"(?P<name>[^\s(]+)\s*\((?P<params>[^)]*)\)\s*=")


def canonical(name: str, known) -> str | None:
    """The bptutor function `name` stands for (σ -> sigmoid, ReLU -> relu), or None."""
    for candidate in (name, name.lower()):
        candidate = ALIASES.get(candidate, candidate)
        if candidate in known or candidate in BUILT_FORMS:
            return candidate
    return None


def value_rank(v) -> int | None:
    """How many axes a value has (0 for a number), None when it is no value."""
    if isinstance(v, (int, float)):
        return 0
    if hasattr(v, "ndim"):
        return int(v.ndim)
    rank = 0
    while isinstance(v, (list, tuple)):
        if not v:
            return None
        v, rank = v[0], rank + 1
    return rank if isinstance(v, (int, float)) else None


def node_rank(node, arg_ranks: list, input_rank) -> int | None:
    """How many axes a node's value has, from its inputs' (None: not known)."""
    name = node.op.name
    if name == "input":
        return input_rank(node.name)
    if name == "const":
        return value_rank(node.c)
    if None in arg_ranks:
        return None
    if name == "matmul":
        return arg_ranks[0] + arg_ranks[1] - 2
    if name == "index":
        return arg_ranks[0] - sum(not isinstance(i, slice) for i in node.c)
    if name in ("transpose", "softmax"):
        return arg_ranks[0]
    if node.op.constant == "axis":          # a reduction: all axes, or the one given
        return 0 if node.c is None else arg_ranks[0] - 1
    return max(arg_ranks, default=0)


def split_name(name: str, names) -> list[str] | None:
    """`w0x0` -> ["w0", "x0"] when it is several known names written together."""
    best: list[list[str] | None] = [None] * (len(name) + 1)
    best[0] = []
    for end in range(1, len(name) + 1):
        for start in range(end):
            if best[start] is not None and name[start:end] in names:
                best[end] = best[start] + [name[start:end]]
                break
    parts = best[len(name)]
    return parts if parts and len(parts) > 1 else None
