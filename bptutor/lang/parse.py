"""Text -> Graph. Parses with the Lark LALR grammar and builds graph nodes in
the parser's reduce callbacks: no parse tree and no recursion, so 100,000-deep
nesting works. Every node built for an operator records its operator's span.

One Lark instance per process, built on first use; a fresh builder per parse.
Lark's callbacks take only the rule's children, so the parse running in this
thread (or task) finds its builder through a context variable set around the
parse: parses in several threads never share a builder."""
from __future__ import annotations

import math
import threading
from contextvars import ContextVar
from importlib import resources
from pathlib import Path

from ..errors import BptutorError, BptutorMathError, BptutorSyntaxError, BptutorValueError
from ..core.graph import Graph
from ..core.ops import BINARY, CONSTANTS, FUNCTIONS, OPS, const_text, failure_key
from ..core.xp import ScalarNS
from .names import label_nodes
from .text import check_source, fold, suggest

MAX_DIMS = 8            # dimensions of a value literal (and of an array a caller passes)


class Const:
    """A constant while parsing: folded, never a graph node unless it must be."""
    __slots__ = ("value", "start", "end")

    def __init__(self, value, start, end):
        self.value, self.start, self.end = value, start, end


class Ref:
    """A node where it occurs in the text: `c` in `e = cos(c)` refers to the node
    named c but spans the letter c, not the statement that defined it."""
    __slots__ = ("index", "start", "end")

    def __init__(self, index, start, end):
        self.index, self.start, self.end = index, start, end


class _Builder:
    """Reduce callbacks of the grammar (see grammars/bptutor.lark): one builder
    per parse, holding the graph being built."""

    def __init__(self, source: str, known_inputs=frozenset()):
        self.g = Graph(source)
        self.known = known_inputs               # names given as inputs: `e` is then not Euler's number
        self.bound: dict[str, object] = {}      # program names -> node index or Const
        self.last = None

    # ---- helpers ------------------------------------------------------------
    def _add(self, op, args, c, start, end, op_start, op_end) -> Ref:
        return Ref(self.g.add(op, args, c, None, start, end, op_start, op_end), start, end)

    def _node(self, x) -> int:
        """A graph node for x: a constant used where a node is needed becomes a const leaf."""
        if isinstance(x, Const):
            if not isinstance(x.value, float):
                self.g.tensor = True
            return self.g.add(OPS["const"], (), x.value, None, x.start, x.end)
        return x.index

    def _fold(self, op, c, args, start, end, op_span):
        """Evaluate an operation on constants now; a failure points at its text."""
        if op.tensor or not all(type(v) is float for v in args):
            return self._fold_arrays(op, c, args, start, end, op_span)
        failure = None
        try:
            value = op.forward(ScalarNS, c, *args)
        except (ArithmeticError, ValueError) as exc:
            failure = exc
        else:
            if math.isfinite(value):
                return Const(value, start, end)
            if value != value:              # nan from finite inputs: outside the domain
                failure = ValueError()
        raise BptutorMathError(failure_key(op, failure, c, args), (start, end), node=self.g.source[start:end],
                               args=", ".join(const_text(a) for a in args)) from None

    def _fold_arrays(self, op, c, args, start, end, op_span):
        """The same for constant arrays (or a tensor op): shape errors point at the operator."""
        from ..core.arrays import ArrayNS
        failure = None
        with ArrayNS.strict():
            try:
                value = op.forward(ArrayNS, c, *args)
            except BptutorError as exc:         # shapes that do not fit
                exc.span = op_span
                exc.params.setdefault("expr", self._text(start, end))
                raise
            except (ArithmeticError, ValueError) as exc:
                failure = exc
            else:
                if ArrayNS.all_finite(value):
                    return Const(value, start, end)
                failure = None if ArrayNS.has_inf(value) else ValueError()
        raise BptutorMathError(failure_key(op, failure, c, args), (start, end), node=self._text(start, end),
                               args=", ".join(const_text(a) for a in args)) from None

    def _text(self, start, end) -> str:
        return " ".join(self.g.source[start:end].split())

    def apply(self, op_name: str, operands: list, start: int, end: int, op_start: int, op_end: int, c=None):
        """Add `op_name` applied to operands, its operator at op_start:op_end
        (where an error found later points); operands all constant are folded now."""
        op = OPS[op_name]
        if op.tensor:
            self.g.tensor = True
        if all(isinstance(x, Const) for x in operands):
            return self._fold(op, c, [x.value for x in operands], start, end, (op_start, op_end))
        return self._add(op, tuple(self._node(x) for x in operands), c, start, end, op_start, op_end)

    # ---- expressions --------------------------------------------------------
    def number(self, tok):
        value = float(tok)
        if value != value or value in (float("inf"), float("-inf")):
            raise BptutorValueError("value.too_large", (tok.start_pos, tok.end_pos), value=str(tok))
        return Const(value, tok.start_pos, tok.end_pos)

    def name(self, tok):
        name = str(tok)
        start, end = tok.start_pos, tok.end_pos
        bound = self.bound.get(name)
        if bound is not None:
            return Ref(bound, start, end)
        if name in CONSTANTS and name not in self.known:
            self.g.folded_constants.add(name)
            return Const(CONSTANTS[name], start, end)
        return Ref(self.g.input(name, start, end), start, end)

    def binary(self, left, tok, right):
        start, end = left.start, right.end
        row = BINARY.get(str(tok))
        if row is None:                     # `@` while there is no matrix support
            raise BptutorSyntaxError("syntax.needs_tensors", (tok.start_pos, tok.end_pos))
        both, right_const, left_const = row
        lc, rc = isinstance(left, Const), isinstance(right, Const)
        if not (lc or rc):                  # the common case, kept lean
            op = OPS[both]
            if op.tensor:
                self.g.tensor = True
            return self._add(op, (left.index, right.index), None, start, end, tok.start_pos, tok.end_pos)
        if rc and not lc and right_const and type(right.value) is float:
            c = -right.value if str(tok) == "-" else right.value
            return self._add(OPS[right_const], (left.index,), c, start, end, tok.start_pos, tok.end_pos)
        if lc and not rc and left_const and type(left.value) is float:
            return self._add(OPS[left_const], (right.index,), left.value, start, end, tok.start_pos, tok.end_pos)
        return self.apply(both, [left, right], start, end, tok.start_pos, tok.end_pos)

    def negate(self, tok, x):
        return self.apply("neg", [x], tok.start_pos, x.end, tok.start_pos, tok.end_pos)

    def identity(self, tok, x):
        return x

    def group(self, lpar, x, rpar):
        if isinstance(x, Const):
            return Const(x.value, lpar.start_pos, rpar.end_pos)
        return Ref(x.index, lpar.start_pos, rpar.end_pos)

    def call(self, tok, lpar, args, rpar):
        fname = str(tok)
        args = args or []
        op = FUNCTIONS.get(fname)
        span = (tok.start_pos, rpar.end_pos)
        if op is None:
            close = suggest(fname, FUNCTIONS)
            raise BptutorSyntaxError("syntax.unknown_function_suggest" if close else "syntax.unknown_function",
                                     (tok.start_pos, tok.end_pos), name=fname, suggestion=close,
                                     functions=", ".join(sorted(FUNCTIONS)))
        if not op.arity <= len(args) <= op.arity + (op.constant == "axis"):     # the axis is optional
            raise BptutorSyntaxError("syntax.arity", span, name=fname, expected=op.arity,
                                     given=len(args))
        c = self._axis(args[op.arity]) if len(args) > op.arity else None
        return self.apply(op.name, args[:op.arity], *span, *span, c)       # the whole call is its operator

    def arguments(self, *args):
        return list(args)

    # ---- vectors and matrices -----------------------------------------------------
    def _integer(self, x, key) -> int:
        """An axis or an index: a constant integer."""
        if not isinstance(x, Const) or not isinstance(x.value, float) or x.value != int(x.value):
            raise BptutorSyntaxError(key, (x.start, x.end), text=self.g.source[x.start:x.end])
        return int(x.value)

    def _axis(self, x) -> int:
        return self._integer(x, "tensor.axis_not_integer")

    def array(self, lbracket, items, rbracket):
        """A value literal [0.2, 0.4] or [[0.1, 0.5], [-0.3, 0.8]]: a constant array."""
        span = (lbracket.start_pos, rbracket.end_pos)
        if not items:
            raise BptutorValueError("tensor.empty_literal", span)
        for item in items:
            if not isinstance(item, Const):
                raise BptutorValueError("tensor.literal_not_constant", (item.start, item.end),
                                        text=self.g.source[item.start:item.end])
        self.g.tensor = True
        return Const(literal(items, span), *span)

    def index(self, x, lbracket, items, rbracket):
        span = (lbracket.start_pos, rbracket.end_pos)
        if not items:
            raise BptutorSyntaxError("tensor.empty_index", span)
        at = tuple(self._integer(i, "tensor.index_not_integer") for i in items)
        return self.apply("index", [x], x.start, rbracket.end_pos, *span, at)

    def transpose(self, x, tok):
        return self.apply("transpose", [x], x.start, tok.end_pos, tok.start_pos, tok.end_pos)

    # ---- statements -----------------------------------------------------------
    def assign(self, tok, value):
        name = str(tok)
        if isinstance(value, Const):
            # `x = -2` makes x an input whose value is -2 (--vals overrides it).
            self.g.defaults[name] = value.value
            self.bound.pop(name, None)
            value = self.g.input(name, tok.start_pos, tok.end_pos)
        else:
            value = value.index
            node = self.g.nodes[value]
            if node.name is None and node.op.name != "input":
                node.name = name
        self.bound[name] = value
        self.last = (name, value)
        return value

    def output(self, value):
        self.last = (None, value if isinstance(value, Const) else value.index)
        return value

    def program(self, *statements):
        return self.last

    def pair(self, tok, value):
        return (str(tok), value, tok.start_pos, value.end)

    def assignments(self, *pairs):
        return list(pairs)


def literal(items: list, span: tuple[int, int]):
    """An array from a bracketed literal's elements (Const objects, each a
    number or an array): all must have the same shape."""
    import numpy as np
    first = np.shape(items[0].value)
    for item in items[1:]:
        shape = np.shape(item.value)
        if shape != first:
            raise BptutorValueError("tensor.ragged", (item.start, item.end), shape=str(shape), expected=str(first))
    if len(first) + 1 > MAX_DIMS:
        raise BptutorValueError("tensor.too_many_dims", span, limit=MAX_DIMS)
    return np.array([item.value for item in items], dtype=float)


def grammar_text() -> str:
    """The grammar file: inside the installed package (the wheel force-includes
    it), else at the top of the source checkout."""
    packaged = resources.files("bptutor").joinpath("grammars", "bptutor.lark")
    if packaged.is_file():
        return packaged.read_text("utf-8")
    return (Path(__file__).resolve().parents[2] / "grammars" / "bptutor.lark").read_text("utf-8")


_lark = None
_lark_lock = threading.Lock()
_building: ContextVar[_Builder] = ContextVar("building")      # the builder of this thread's parse


def parser():
    """The Lark LALR parser (start rules `program` and `assignments`), built once
    per process (two threads asking first still get one); a cache file keeps
    the grammar analysis between processes (see cache_file)."""
    global _lark
    if _lark is None:
        with _lark_lock:
            if _lark is None:
                from lark import Lark

                grammar = grammar_text()
                _lark = Lark(grammar, parser="lalr", lexer="basic", start=["program", "assignments"],
                             transformer=_Callbacks(), cache=cache_file(grammar) or False, maybe_placeholders=True)
    return _lark


def cache_file(grammar: str) -> str | None:
    """Where Lark keeps the parser it built, between runs. Lark loads it with
    pickle -- as code -- so never from a shared or predictable place (its own
    default, a fixed name in the temp directory, ran whatever another user
    planted there): only from $XDG_CACHE_HOME/bptutor (~/.cache/bptutor), a
    folder this user owns, made 0700, that no folder above lets anyone else
    replace; the file in it, if there, must be this user's and writable by
    nobody else. Otherwise, or off POSIX, None: the parser is built anew
    (a tenth of a second)."""
    import os
    if os.name != "posix":
        return None
    import hashlib
    import sys

    import lark
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    folder = os.path.join(base, "bptutor")
    key = hashlib.sha256(f"{grammar}{lark.__version__}".encode()).hexdigest()[:16]
    path = os.path.join(folder, f"parser-{key}-py{sys.version_info[0]}{sys.version_info[1]}.lark")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not _private(folder) or (os.path.lexists(path) and not _mine(path)):
            return None
    except OSError:                 # no home, a read-only one: no cache
        return None
    return path


def _private(folder: str) -> bool:
    """`folder` is a real folder of this user's that only they can write, and
    every folder above it belongs to them or root and lets no one else rename
    things in it (or is sticky, as /tmp is)."""
    import os
    import stat
    uid = os.getuid()
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
        return False
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)
    above = os.path.realpath(os.path.dirname(folder))
    while True:
        info = os.lstat(above)
        if info.st_uid not in (0, uid) or (info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX):
            return False
        if above == os.path.dirname(above):
            return True
        above = os.path.dirname(above)


def _mine(path: str) -> bool:
    """A regular file of this user's that no one else may write."""
    import os
    import stat
    info = os.lstat(path)
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


class _Callbacks:
    """What Lark calls at each reduce: the builder's method, for the builder of
    the parse running here, with the rule's children as arguments. One plain
    call per reduce (Lark's v_args adds three wrapper calls, a third of the
    parse time of a 100,000-node input)."""

    def __getattr__(self, rule: str):
        if rule.startswith("_") or not hasattr(_Builder, rule):
            raise AttributeError(rule)
        method = getattr(_Builder, rule)
        builder = _building.get
        return lambda children: method(builder(), *children)


def _run(text: str, start: str, known_inputs=frozenset()) -> tuple[_Builder, object]:
    """Parse `text` from the start rule with a fresh builder: (builder, result)."""
    check_source(text)
    folded = fold(text)
    builder = _Builder(folded, known_inputs)
    from lark.exceptions import UnexpectedInput
    lark = parser()
    token = _building.set(builder)
    try:
        result = lark.parse(folded, start=start)
    except UnexpectedInput as exc:
        from .parse_errors import explain
        raise explain(exc, folded, text, start).with_source(text) from None
    except BptutorError as exc:
        raise exc.with_source(text) from None
    finally:
        _building.reset(token)
    return builder, result


def parse(text: str, known_inputs=frozenset()) -> Graph:
    """A program or expression -> Graph with labels and an output node."""
    builder, last = _run(text, "program", known_inputs)
    if last is None:
        raise BptutorSyntaxError("syntax.empty", (0, 0)).with_source(text)
    g = builder.g
    name, value = last
    if isinstance(value, Const):
        raise BptutorError("graph.constant_output", (value.start, value.end),
                           value=const_text(value.value)).with_source(text)
    g.output = value
    out = g.nodes[value]
    if name and out.name is None:
        out.name = name
    label_nodes(g)
    return g


def parse_assignments(text: str):
    """`x=1, y=-2` (for --vals and --answer) -> (graph, [(name, value, start, end)])
    where value is a Const or a node index into the graph (formulas)."""
    builder, pairs = _run(text, "assignments")
    return builder.g, pairs
