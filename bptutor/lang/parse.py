"""Text -> Graph. Folds full-width and look-alike characters (one character
for one, so error positions stay right), parses with the Lark LALR grammar and
builds graph nodes in the parser's reduce callbacks: no parse tree and no
recursion, so 100,000-deep nesting works."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import math
import re

from ..errors import BptutorError, BptutorMathError, BptutorSyntaxError, BptutorValueError
from ..core.graph import Graph
from ..core.ops import BINARY, CONSTANTS, FUNCTIONS, OPS, failure_key
from ..core.xp import ScalarNS
from ..render.numbers import short

# Characters (and bytes of a file): a bigger input is refused, not parsed slowly.
# Lark parses ~100k tokens/s here, so the worst input this admits (a million
# one-character tokens) takes ~10 s; graph.MAX_NODES stops big graphs sooner.
MAX_SOURCE = 1_000_000

# One character for one: positions in the folded text are positions in the input.
_FOLD = {0x0D: "\n", 0x3000: " ", 0x00A0: " ", 0x00D7: "*", 0x00F7: "/", 0x00B7: "*", 0x22C5: "*",
         0x2217: "*", 0x2219: "*", 0x2212: "-", 0x2013: "-", 0x2010: "-", 0x2011: "-", 0x2012: "-",
         0xFE63: "-", 0x2044: "/", 0x2215: "/", 0x3010: "[", 0x3011: "]", 0x3001: ","}
_FOLD.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)})
_FOLD.update({cp: " " for cp in (*range(0x2000, 0x200B), 0x202F, 0x205F)})     # thin spaces from PDFs


def fold(text: str) -> str:
    """Full-width (Chinese IME) and look-alike characters -> ASCII, newlines
    inside brackets and after a trailing backslash -> spaces. Same length."""
    text = text.translate(_FOLD)
    if "\n" not in text:
        return text
    chars = list(text)
    depth = 0
    for i, ch in code_chars(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch == "\n" and (depth > 0 or (i and chars[i - 1] == "\\")):
            chars[i] = " "
            if chars[i - 1] == "\\":
                chars[i - 1] = " "
    return "".join(chars)


def code_chars(text: str):
    """(index, character) outside comments: a bracket in `# see (1)` opens nothing."""
    in_comment = False
    for i, ch in enumerate(text):
        if in_comment:
            if ch == "\n":
                in_comment = False
                yield i, ch
        elif ch == "#":
            in_comment = True
        else:
            yield i, ch


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
    """Reduce callbacks of the grammar (see grammars/bptutor.lark). One parse
    at a time: state is reset by `begin`."""
    record_spans = False        # every operator's span, not only tensor ops' (see operator_spans)

    def begin(self, source: str, known_inputs) -> None:
        self.g = Graph(source)
        self.g.known = known_inputs
        self.known = known_inputs
        self.bound: dict[str, object] = {}      # program names -> node index or Const
        self.last = None

    # ---- helpers ------------------------------------------------------------
    def _add(self, op, args, c, start, end) -> Ref:
        return Ref(self.g.add(op, args, c, None, start, end), start, end)

    def _node(self, x) -> int:
        """A graph node for x: a constant used where a node is needed becomes a const leaf."""
        if isinstance(x, Const):
            if not isinstance(x.value, float):
                self.g.tensor = True
            return self.g.add(OPS["const"], (), x.value, None, x.start, x.end)
        return x.index

    def _fold(self, op, c, args, start, end, op_span=None):
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
                               args=", ".join(short(a) for a in args)) from None

    def _fold_arrays(self, op, c, args, start, end, op_span):
        """The same for constant arrays (or a tensor op): shape errors point at the operator."""
        from ..core.arrays import ArrayNS
        failure = None
        with ArrayNS.strict():
            try:
                value = op.forward(ArrayNS, c, *args)
            except BptutorError as exc:         # shapes that do not fit
                exc.span = op_span or (start, end)
                exc.params.setdefault("expr", self._text(start, end))
                raise
            except (ArithmeticError, ValueError, IndexError) as exc:
                failure = exc
            else:
                if ArrayNS.all_finite(value):
                    return Const(value, start, end)
                failure = None if ArrayNS.has_inf(value) else ValueError()
        raise BptutorMathError(failure_key(op, failure, c, args), (start, end), node=self._text(start, end),
                               args=", ".join(short(a) for a in args)) from None

    def _text(self, start, end) -> str:
        return " ".join(self.g.source[start:end].split())

    def apply(self, op_name: str, operands: list, start: int, end: int, c=None, op_span=None):
        """Add `op_name` applied to operands; fold constants, make one-input gates.
        Tensor ops remember their operator's span for shape errors."""
        op = OPS[op_name]
        if op.tensor:
            self.g.tensor = True
        if all(isinstance(x, Const) for x in operands):
            return self._fold(op, c, [x.value for x in operands], start, end, op_span)
        ref = self._add(op, tuple(self._node(x) for x in operands), c, start, end)
        if op_span and (op.tensor or self.record_spans):
            self.g.op_spans[ref.index] = op_span
        return ref

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
            return Const(CONSTANTS[name], start, end)
        return Ref(self.g.input(name, start, end), start, end)

    def binary(self, left, tok, right):
        start, end = left.start, right.end
        row = BINARY.get(str(tok))
        if row is None:                     # `@` while there is no matrix support
            raise BptutorSyntaxError("syntax.needs_tensors", (tok.start_pos, tok.end_pos))
        both, right_const, left_const = row
        lc, rc = isinstance(left, Const), isinstance(right, Const)
        if not (lc or rc):
            op = OPS[both]
            ref = self._add(op, (left.index, right.index), None, start, end)
            if op.tensor or self.record_spans:
                self.g.tensor = self.g.tensor or op.tensor
                self.g.op_spans[ref.index] = (tok.start_pos, tok.end_pos)
            return ref
        if rc and not lc and right_const and type(right.value) is float:
            c = -right.value if str(tok) == "-" else right.value
            return self._add(OPS[right_const], (left.index,), c, start, end)
        if lc and not rc and left_const and type(left.value) is float:
            return self._add(OPS[left_const], (right.index,), left.value, start, end)
        return self.apply(both, [left, right], start, end, None, (tok.start_pos, tok.end_pos))

    def negate(self, tok, x):
        return self.apply("neg", [x], tok.start_pos, x.end)

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
        return self.apply(op.name, args[:op.arity], *span, c=c, op_span=span if op.tensor else None)

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
        from ..core.arrays import literal
        self.g.tensor = True
        return Const(literal(items, span), *span)

    def index(self, x, lbracket, items, rbracket):
        span = (lbracket.start_pos, rbracket.end_pos)
        if not items:
            raise BptutorSyntaxError("tensor.empty_index", span)
        at = tuple(self._integer(i, "tensor.index_not_integer") for i in items)
        return self.apply("index", [x], x.start, rbracket.end_pos, c=at, op_span=span)

    def transpose(self, x, tok):
        return self.apply("transpose", [x], x.start, tok.end_pos, op_span=(tok.start_pos, tok.end_pos))

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


def suggest(word: str, choices) -> str:
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else ""


_parser = None
_builder = _Builder()


def grammar_text() -> str:
    """The grammar file: inside the installed package (the wheel force-includes
    it), else at the top of the source checkout."""
    packaged = resources.files("bptutor").joinpath("grammars", "bptutor.lark")
    if packaged.is_file():
        return packaged.read_text("utf-8")
    return (Path(__file__).resolve().parents[2] / "grammars" / "bptutor.lark").read_text("utf-8")


def parser():
    """The Lark LALR parser (start rules `program` and `assignments`), built once
    per process; Lark's cache keeps the grammar analysis between processes."""
    global _parser
    if _parser is None:
        from lark import Lark

        _parser = Lark(grammar_text(), parser="lalr", lexer="basic", start=["program", "assignments"],
                       transformer=_Callbacks(), cache=True, maybe_placeholders=True)
    return _parser


class _Callbacks:
    """What Lark calls at each reduce: the builder's method with the rule's
    children as arguments. One plain call per reduce (Lark's v_args adds three
    wrapper calls, a third of the parse time of a 100,000-node input)."""

    def __getattr__(self, rule: str):
        if rule.startswith("_") or not hasattr(_Builder, rule):
            raise AttributeError(rule)
        method = getattr(_builder, rule)
        return lambda children: method(*children)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")      # all but tab, newline, carriage return


def _run(text: str, start: str, known_inputs=frozenset()):
    if len(text) > MAX_SOURCE:
        raise BptutorError("input.too_large", None, size=f"{len(text):,}", limit=f"{MAX_SOURCE:,}")
    m = _CONTROL.search(text)
    if m:
        bad = m.start()
        raise BptutorSyntaxError("syntax.control_char", (bad, bad + 1),
                                 code=f"U+{ord(text[bad]):04X}").with_source(text)
    folded = fold(text)
    _builder.begin(folded, known_inputs)
    from lark.exceptions import UnexpectedInput
    try:
        result = parser().parse(folded, start=start)
    except UnexpectedInput as exc:
        from .parse_errors import explain
        raise explain(exc, folded, text, start).with_source(text) from None
    except BptutorError as exc:
        raise exc.with_source(text) from None
    return folded, result


def parse(text: str, known_inputs=frozenset()) -> Graph:
    """A program or expression -> Graph with labels and an output node."""
    folded, last = _run(text, "program", known_inputs)
    g = _builder.g
    _builder.g = None
    if last is None:
        raise BptutorSyntaxError("syntax.empty", (0, 0)).with_source(text)
    name, value = last
    if isinstance(value, Const):
        raise BptutorError("graph.constant_output", (value.start, value.end),
                           value=short(value.value)).with_source(text)
    g.output = value
    out = g.nodes[value]
    if name and out.name is None:
        out.name = name
    label_nodes(g)
    return g


def operator_spans(g: Graph) -> dict:
    """The span of every node's operator token, for an error found after parsing
    (a shape error at `+`): the source is parsed again, recording them; a normal
    parse records them only for tensor operations."""
    _builder.record_spans = True
    try:
        _run(g.source, "program", g.known)
        return _builder.g.op_spans
    finally:
        _builder.record_spans = False
        _builder.g = None


def parse_assignments(text: str):
    """`x=1, y=-2` (for --vals and --answer) -> [(name, value, start, end)]
    where value is a Const or a node index into the returned graph (formulas)."""
    folded, pairs = _run(text, "assignments")
    g = _builder.g
    _builder.g = None
    return g, pairs


def parse_values(text: str) -> dict:
    """--vals: every value must be a constant (a number or an expression of numbers)."""
    g, pairs = parse_assignments(text)
    values: dict[str, float] = {}
    for name, value, start, end in pairs:
        if not isinstance(value, Const):
            raise BptutorValueError("value.not_a_number", (start, end), name=name,
                                    value=text[start:end].split("=", 1)[-1].strip()).with_source(text)
        if name in values:
            raise BptutorValueError("value.duplicate", (start, end), name=name).with_source(text)
        values[name] = value.value
    return values


def label_nodes(g: Graph, max_text: int = 12) -> None:
    """Names label their nodes; the unnamed output is `f` as in the notes; other
    intermediates get their source text when it is short, else their gate
    (`+1`, `exp`), numbered with subscripts where a gate repeats."""
    taken = set(g.inputs)
    for node in g.nodes:
        if node.name:
            node.label = node.name
            taken.add(node.name)
    out = g.nodes[g.output]
    if not out.label:
        out.label = "f" if "f" not in taken else "out"
        taken.add(out.label)
    by_gate: dict[str, list] = {}
    for node in g.nodes:
        if node.label:
            continue
        if node.op.name == "const":
            node.label = short(node.c)
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


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def gate_text(node) -> str:
    from ..core.ops import gate_label
    return gate_label(node.op, node.c, short)
