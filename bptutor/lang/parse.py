"""Text -> Graph. Parses with the LALR tables Lark built from the grammar
(lang/tables.py, written by lang/tablegen.py from grammars/bptutor.lark) and
builds graph nodes in the reduce callbacks: no parse tree and no recursion, so
100,000-deep nesting works. Every node built for an operator records its
operator's span. A fresh builder per parse: parses in several threads never
share one.

A syntax error is named by Lark itself: the text is parsed again by Lark's
parser of the grammar file (built once per process, on the first error), and
its exception goes to parse_errors.explain."""
from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from itertools import accumulate, chain, compress, islice

from ..errors import BptutorError, BptutorMathError, BptutorSyntaxError, BptutorValueError
from ..core.engine import leads_to_output
from ..core.graph import Graph
from ..core.ops import BINARY, CONSTANTS, FUNCTIONS, OPS, const_text, failure_key
from ..core.xp import ScalarNS
from .names import label_nodes
from .notation import (BUILT_FORMS, DEFINITION, METHODS, MODULE_CONSTANTS, MODULES, OPERATORS, SUPERSCRIPTS,
                       canonical, node_rank, value_rank)
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


class _Pending(Ref):
    """A name with no value that may mean something else: T in W^T (the
    transpose), np in np.exp (a module). Anywhere else it is an input, made
    only when something reads its node (its `index`)."""
    __slots__ = ("builder", "name")

    def __init__(self, builder, name, start, end):
        self.builder, self.name, self.start, self.end = builder, name, start, end

    def __getattr__(self, name):            # only `index`, the one slot left unset, comes here
        if name != "index":
            raise AttributeError(name)
        self.index = self.builder._variable(self.name, self.start, self.end).index
        return self.index

    def made(self) -> bool:
        """Has anything read its node yet (without making it)?"""
        try:
            Ref.index.__get__(self)
        except AttributeError:
            return False
        return True


class Module:
    """np, math.pi's math, torch.nn.functional: a prefix while parsing, never a value."""
    __slots__ = ("path", "start", "end")

    def __init__(self, path, start, end):
        self.path, self.start, self.end = path, start, end


class Keyword:
    """axis=0 among a call's arguments."""
    __slots__ = ("name", "value", "start", "end")

    def __init__(self, name, value, start, end):
        self.name, self.value, self.start, self.end = name, value, start, end


class Slice:
    """`:` or `1:3` inside brackets (its bounds Const or None)."""
    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi


class _Param:
    """What a const node of a function's body holds for its k-th parameter."""
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


class _Global:
    """... or for a name the body reads that is not a parameter: looked up at the call."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class _Dot:
    """... or, on a product node, for `·` between operands of unknown shape: decided at the call."""


DOT_UNDECIDED = _Dot()
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "matmul": "@"}
_BETWEEN_NODES = {sym: OPS[both] for sym, (both, _, _) in BINARY.items() if sym not in ("^", "**") and both}
_SPECIAL_NAMES = frozenset({*CONSTANTS, *MODULES, "T"})      # names whose meaning depends on what is around


class Function:
    """A user function: its body's nodes built once over placeholders (a
    template), written out again for each call with the call's arguments."""
    __slots__ = ("name", "params", "nodes", "result", "mark")

    def __init__(self, name, params, nodes, result, mark):
        self.name, self.params, self.nodes, self.result, self.mark = name, params, nodes, result, mark


class _Definition:
    """The function whose body is being read: its name, parameters, and where its nodes start."""
    __slots__ = ("name", "params", "mark", "bound", "tensor", "globals")

    def __init__(self, name, params, mark, bound, tensor):
        self.name, self.params, self.mark, self.bound, self.tensor = name, params, mark, bound, tensor
        self.globals: dict[str, int] = {}


class _Builder:
    """Reduce callbacks of the grammar (see grammars/bptutor.lark): one builder
    per parse, holding the graph being built."""

    def __init__(self, source: str, known_inputs=frozenset()):
        self.g = Graph(source)
        self.known = known_inputs               # names given as inputs: `e` is then not Euler's number
        # with their values when the caller knows them: their shapes decide what `·` means, and a
        # whole number indexes as a label (s[y])
        self.values_known = isinstance(known_inputs, Mapping)
        self.known_values = known_inputs if self.values_known else {}
        self.bound: dict[str, object] = {}      # program names -> node index or Const
        self.last = None
        self.functions: dict[str, Function] = {}
        self.defining: _Definition | None = None
        self.quotients: set[tuple[int, int]] = set()     # spans of a/b, for the note on 1/2x
        self.ranks: dict[int, int | None] = {}
        self.statements: list[tuple] = []        # (node index or None for a constant, start, end)

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
        for x in operands:
            self._value(x)
        if op.tensor:
            self.g.tensor = True
        if all(isinstance(x, Const) for x in operands):
            return self._fold(op, c, [x.value for x in operands], start, end, (op_start, op_end))
        return self._add(op, tuple(self._node(x) for x in operands), c, start, end, op_start, op_end)

    # ---- expressions --------------------------------------------------------
    def number(self, tok):
        text, start, end = tok
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise BptutorValueError("value.too_large", (start, end), value=text)
        return Const(value, start, end)

    def name(self, tok):
        name, start, end = tok
        if self.defining is None:           # the common cases, kept lean: a program name, an input
            bound = self.bound.get(name)
            if bound is not None:
                return Ref(bound, start, end)
            if name not in _SPECIAL_NAMES and name not in self.functions:
                return Ref(self.g.input(name, start, end), start, end)
        if name in self.functions and name not in self.bound:
            fn = self.functions[name]
            raise BptutorSyntaxError("syntax.function_as_value", (start, end), name=name,
                                     example=f"{name}({', '.join(fn.params)})")
        if (name == "T" or name in MODULES) and self._free(name):
            return _Pending(self, name, start, end)     # W^T, np.exp: decided by what follows
        return self._variable(name, start, end)

    def _free(self, name: str) -> bool:
        """No value for `name` in the program, from the caller, or as a parameter."""
        d = self.defining
        return name not in self.bound and name not in self.known and not (d and name in d.params)

    def _variable(self, name: str, start: int, end: int):
        """What a name means here: a program name, a parameter of the function
        being defined, a constant, an input (in a function's body: a name
        looked up when the function is called)."""
        d = self.defining
        if d is not None:
            if name in d.params:
                return Ref(d.mark + d.params.index(name), start, end)
            if name in CONSTANTS and name not in self.known and name not in self.bound:
                self.g.folded_constants.add(name)
                return Const(CONSTANTS[name], start, end)
            index = d.globals.get(name)
            if index is None:
                index = d.globals[name] = self.g.add(OPS["const"], (), _Global(name), None, start, end)
            return Ref(index, start, end)
        bound = self.bound.get(name)
        if bound is not None:
            return Ref(bound, start, end)
        if name in CONSTANTS and name not in self.known:
            self.g.folded_constants.add(name)
            return Const(CONSTANTS[name], start, end)
        return Ref(self.g.input(name, start, end), start, end)

    def _value(self, x):
        """An operand must be a value, not a module name."""
        if isinstance(x, Module):
            raise BptutorSyntaxError("syntax.module_value", (x.start, x.end), path=x.path)
        return x

    def binary(self, left, tok, right):
        sym, op_start, op_end = tok
        op = _BETWEEN_NODES.get(sym)
        if op is not None and type(left) is Ref and type(right) is Ref:    # the common case, kept lean
            if op.tensor:
                self.g.tensor = True
            start, end = left.start, right.end
            return Ref(self.g.add(op, (left.index, right.index), None, None, start, end, op_start, op_end), start, end)
        sym = OPERATORS.get(sym, sym)
        if sym == "/":
            self.quotients.add((left.start, right.end))
        return self._combine(left, sym, right, op_start, op_end)

    def _combine(self, left, sym: str, right, op_start: int, op_end: int, start=None, end=None):
        """left sym right, as the notes draw it: a constant operand makes a gate
        such as +1 or *2; constants alone are folded."""
        self._value(left)
        self._value(right)
        start = left.start if start is None else start
        end = right.end if end is None else end
        if sym == "^" and isinstance(right, _Pending) and right.name == "T" and not right.made():
            self._note("notation.transpose", left.start, right.end, read=self._text(left.start, left.end) + "ᵀ",
                       power=f"{self._text(left.start, left.end)}^(T)")
            self.g.folded_constants.add("T")        # a value for T makes it a power: another parse
            return self.apply("transpose", [left], start, end, op_start, right.end)
        if sym == "·":
            sym, undecided = self._dot(left, right)
            if undecided:
                return self._add(OPS["mul"], (self._node(left), self._node(right)), DOT_UNDECIDED,
                                 start, end, op_start, op_end)
        row = BINARY.get(sym)
        if row is None:                     # `@` while there is no matrix support
            raise BptutorSyntaxError("syntax.needs_tensors", (op_start, op_end))
        both, right_const, left_const = row
        lc, rc = isinstance(left, Const), isinstance(right, Const)
        if both == "pow" and lc and self.g.source[left.start:left.end] == "e":
            # e^x as the notes write exp(x): the exp gate, not 2.71828 to a power
            return self.apply("exp", [right], start, end, op_start, op_end)
        if not (lc or rc):                  # the common case, kept lean
            op = OPS[both]
            if op.tensor:
                self.g.tensor = True
            return self._add(op, (left.index, right.index), None, start, end, op_start, op_end)
        if rc and not lc and right_const and type(right.value) is float:
            c = -right.value if sym == "-" else right.value
            return self._add(OPS[right_const], (left.index,), c, start, end, op_start, op_end)
        if lc and not rc and left_const and type(left.value) is float:
            return self._add(OPS[left_const], (right.index,), left.value, start, end, op_start, op_end)
        return self.apply(both, [left, right], start, end, op_start, op_end)

    def _dot(self, left, right) -> tuple[str, bool]:
        """What `·` means between these operands: `*` when either is a number,
        `@` when both are arrays; (sym, undecided) — undecided inside a
        function's body whose parameters' shapes are not known yet."""
        ranks = (self._rank(left), self._rank(right))
        if 0 in ranks:
            return "*", False
        if None not in ranks:
            return "@", False
        if self.defining is not None:
            return "*", True                # decided at each call
        self.g.values_matter = True         # decided by a parse with the values (see Program.graph_for)
        return "*", False

    def _rank(self, x) -> int | None:
        if isinstance(x, Const):
            return value_rank(x.value)
        memo, nodes = self.ranks, self.g.nodes
        stack = [x.index]
        while stack:                        # nodes' ranks from their inputs', without recursion
            i = stack[-1]
            if i in memo:
                stack.pop()
                continue
            node = nodes[i]
            todo = [a for a in node.args if a not in memo]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            memo[i] = node_rank(node, [memo[a] for a in node.args], self._input_rank)
        return memo[x.index]

    def _input_rank(self, name: str) -> int | None:
        if name in self.g.defaults:
            return value_rank(self.g.defaults[name])
        return value_rank(self.known_values.get(name)) if name in self.known_values else None

    def _note(self, key: str, start: int, end: int, **params) -> None:
        """A one-line note on how an ambiguous form was read (in the output's warnings)."""
        self.g.notes.append((key, {"text": self._text(start, end), **params}))

    def implicit(self, left, right):
        """2x, (x+y)z, (a+b)(b+1): a product without a sign."""
        if (left.start, left.end) in self.quotients or self._quotient(left):     # 1/2x: (1/2)·x, as Python's 1/2*x
            self._note("notation.quotient_times", left.start, right.end,
                       read=f"({self._text(left.start, left.end)})·{self._text(right.start, right.end)}")
        return self._combine(left, "*", right, left.end, right.start)

    def _quotient(self, x) -> bool:
        """x is a division written without brackets (a/b, not (a/b))."""
        if type(x) is not Ref:
            return False
        op, _args, _c, _name, start, end, _op_start, _op_end = self.g.rows[x.index]
        return op.name in ("div", "div_const", "rdiv_const") and (start, end) == (x.start, x.end)

    def root(self, tok, x):
        _, start, end = tok
        return self.apply("sqrt", [x], start, x.end, start, end)

    def bars(self, left, x, right):
        return self.apply("abs", [x], left[1], right[2], left[1], right[2])

    def superscript(self, x, tok):
        text, start, end = tok
        power = Const(float(text.translate(SUPERSCRIPTS)), start, end)
        return self._combine(x, "^", power, start, end)

    def misplaced_equal(self, left, tok, right):
        raise BptutorSyntaxError("syntax.assign_needs_name", tok[1:])

    def negate(self, tok, x):
        _, start, end = tok
        return self.apply("neg", [x], start, x.end, start, end)

    def identity(self, tok, x):
        return x

    def group(self, lpar, x, rpar):
        if isinstance(x, Const):
            return Const(x.value, lpar[1], rpar[2])
        return Ref(x.index, lpar[1], rpar[2])

    def call(self, tok, lpar, args, rpar):
        fname, start, name_end = tok
        end = rpar[2]
        if args and len(args) == 1 and type(args[0]) is Ref and fname not in self.functions:
            op = _plain_call(fname)         # the common case, kept lean: sin(x), as _function builds it
            if op is not None:
                if op.tensor:
                    self.g.tensor = True
                return Ref(self.g.add(op, (args[0].index,), None, None, start, end, start, end), start, end)
        args = args or []
        if fname not in self.functions and canonical(fname, FUNCTIONS) is None:
            if not self._free(fname) and len(args) == 1 and not isinstance(args[0], Keyword):
                # x(y+1) where x has a value: the product, said in a note
                self._note("notation.call_as_product", start, end, name=fname,
                           read=f"{fname}·({self._text(lpar[2], rpar[1])})")
                return self._combine(self._variable(fname, start, name_end), "*",
                                     self.group(lpar, args[0], rpar), lpar[1], lpar[2])
            self._unknown_function(fname, start, name_end, args, (lpar[2], rpar[1]))
        return self._function(fname, args, start, end, (start, end))

    def _unknown_function(self, fname: str, start: int, end: int, args=(), inside=(0, 0)):
        d = self.defining
        if d is not None and fname == d.name:
            raise BptutorSyntaxError("syntax.recursion", (start, end), name=fname)
        later = re.search(rf"(?<![\w.]){re.escape(fname)}\s*\([^()]*\)\s*=", self.g.source[end:])
        if later:
            at = end + later.start()
            raise BptutorSyntaxError("syntax.function_later", (start, end), name=fname,
                                     line=self.g.source.count("\n", 0, at) + 1)
        known = sorted({*FUNCTIONS, *self.functions})
        close = suggest(fname, known)
        if not close and len(args) == 1:        # c(x + 1) with c a value given from outside: a product?
            raise BptutorSyntaxError("syntax.unknown_function_product", (start, end), name=fname,
                                     product=f"{fname}*({self._text(*inside)})", functions=", ".join(known))
        raise BptutorSyntaxError("syntax.unknown_function_suggest" if close else "syntax.unknown_function",
                                 (start, end), name=fname, suggestion=close, functions=", ".join(known))

    def _function(self, fname: str, args: list, start: int, end: int, op_span: tuple[int, int]):
        """fname(args): a user function, one of the op table's, or a form built
        from them (dot, pow, log10, one-argument max, log with a base)."""
        axis = None
        for kw in args:
            if isinstance(kw, Keyword):
                if kw.name not in ("axis", "dim"):
                    raise BptutorSyntaxError("syntax.unknown_keyword", (kw.start, kw.end), name=kw.name)
                axis = kw.value
        args = [a for a in args if not isinstance(a, Keyword)]
        if fname in self.functions:
            return self._inline(self.functions[fname], args, start, end)
        name = canonical(fname, FUNCTIONS)
        if name in ("max", "min") and (len(args) == 1 or axis is not None):      # max(s), np.max(X, axis=0)
            c = None if axis is None else self._axis(axis)
            return self.apply("amax" if name == "max" else "amin", args, start, end, *op_span, c)
        if axis is not None:
            args.append(axis)
        n = len(args)
        if name in ("dot", "matmul", "pow") and n == 2:
            return self._combine(args[0], {"dot": "·", "matmul": "@", "pow": "^"}[name], args[1], *op_span,
                                 start, end)
        if name == "square" and n == 1:
            return self._combine(args[0], "^", Const(2.0, *op_span), *op_span, start, end)
        if name == "transpose" and n == 1:
            return self.apply("transpose", args, start, end, *op_span)
        if name in ("log10", "log2") and n == 1:
            return self.apply("log_base", args, start, end, *op_span, 10.0 if name == "log10" else 2.0)
        if name == "log" and n == 2:
            return self._log_base(args[0], args[1], start, end, op_span)
        if name in BUILT_FORMS:
            raise BptutorSyntaxError("syntax.arity", (start, end), name=fname, expected=BUILT_FORMS[name], given=n)
        op = FUNCTIONS[name]
        if not op.arity <= n <= op.arity + (op.constant == "axis"):     # the axis is optional
            raise BptutorSyntaxError("syntax.arity", (start, end), name=fname, expected=op.arity, given=n)
        c = self._axis(args[op.arity]) if n > op.arity else None
        return self.apply(op.name, args[:op.arity], start, end, *op_span, c)     # the whole call is its operator

    def _log_base(self, x, base, start, end, op_span):
        """log(x, b): a gate log_b when b is a number, else log(x)/log(b)."""
        if isinstance(base, Const):
            b = base.value
            if type(b) is not float or b <= 0 or b == 1:
                raise BptutorSyntaxError("syntax.log_base", (base.start, base.end), base=self._text(base.start,
                                                                                                  base.end))
            return self.apply("log_base", [x], start, end, *op_span, b)
        top = self.apply("log", [x], x.start, x.end, *op_span)
        return self._combine(top, "/", self.apply("log", [base], base.start, base.end, *op_span), *op_span,
                             start, end)

    # ---- np.exp(x), w.dot(x), W.T -------------------------------------------------------
    @staticmethod
    def _module(x):
        """x as a module prefix (np, torch.nn), or None when it is a value."""
        if isinstance(x, Module):
            return x
        if isinstance(x, _Pending) and x.name in MODULES and not x.made():
            return Module(x.name, x.start, x.end)
        return None

    def attribute(self, x, meth):
        text, meth_start, meth_end = meth
        name = text[1:]
        x = self._module(x) or x
        if isinstance(x, Module):
            if name in MODULE_CONSTANTS:
                return Const(CONSTANTS[MODULE_CONSTANTS[name]], x.start, meth_end)
            return Module(f"{x.path}.{name}", x.start, meth_end)
        if name == "T":
            return self.transpose(x, meth)
        raise BptutorSyntaxError("syntax.unknown_attribute", (meth_start, meth_end), name=name)

    def method(self, x, meth, lpar, args, rpar):
        text, meth_start, meth_end = meth
        name = text[1:]
        args = args or []
        start, end = x.start, rpar[2]
        x = self._module(x) or x
        if isinstance(x, Module):               # np.exp(x), torch.nn.functional.relu(x)
            if name in self.functions or canonical(name, FUNCTIONS) is None:
                raise BptutorSyntaxError("syntax.unknown_module_function", (x.start, meth_end),
                                         path=x.path, name=name, functions=", ".join(sorted(FUNCTIONS)))
            return self._function(name, args, start, end, (start, end))
        if name not in METHODS:
            raise BptutorSyntaxError("syntax.unknown_method", (meth_start, meth_end), name=name,
                                     methods=", ".join(f".{m}()" for m in METHODS))
        if name in ("max", "min") and args and not isinstance(args[0], Keyword):     # x.max(0): along axis 0
            args = [Keyword("axis", args[0], args[0].start, args[0].end), *args[1:]]
        return self._function(name, [x, *args], start, end, (meth_start, end))

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
        span = (lbracket[1], rbracket[2])
        if not items:
            raise BptutorValueError("tensor.empty_literal", span)
        for item in items:
            if not isinstance(item, Const):
                raise BptutorValueError("tensor.literal_not_constant", (item.start, item.end),
                                        text=self.g.source[item.start:item.end])
        self.g.tensor = True
        return Const(literal(items, span), *span)

    def index(self, x, lbracket, items, rbracket):
        span = (lbracket[1], rbracket[2])
        if not items:
            raise BptutorSyntaxError("tensor.empty_index", span)
        items = [self._label(i, x) for i in items]
        at = tuple(self._slice(i, span) if isinstance(i, Slice) else self._integer(i, "tensor.index_not_integer")
                   for i in items)
        return self.apply("index", [x], x.start, rbracket[2], *span, at)

    def _label(self, item, array):
        """s[y] with the label y given as a value: its number, as if typed. The
        input node the name just made (when y is not used otherwise) is taken back."""
        nodes = self.g.nodes
        if not isinstance(item, Ref) or isinstance(item, Const) or nodes[item.index].op.name != "input":
            return item
        name = nodes[item.index].name
        value = self.known_values.get(name, self.g.defaults.get(name))
        if value is None and not self.values_known:
            self.g.values_matter = True     # read again with the values (see Program.graph_for)
            value = 0
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not float(value).is_integer():
            raise BptutorValueError("tensor.label_without_value", (item.start, item.end), name=name,
                                    array=self._text(array.start, array.end))
        self.g.labels.add(name)
        if item.index == len(nodes) - 1 and nodes[-1].start == item.start and name not in self.g.defaults:
            self.g.truncate(item.index)     # made by this very name: nothing else refers to it
            del self.g.inputs[name]
            self.ranks.pop(item.index, None)
        return Const(float(value), item.start, item.end)

    def _slice(self, item, span) -> slice:
        return slice(*(None if bound is None else self._integer(bound, "tensor.index_not_integer")
                       for bound in (item.lo, item.hi)))

    def slice(self, lo, hi):
        return Slice(lo, hi)

    def subscripts(self, *items):
        return list(items)

    def keyword(self, tok, value):
        return Keyword(self._assigned_name(tok), value, tok[1], value.end)

    def transpose(self, x, tok):
        _, start, end = tok
        return self.apply("transpose", [x], x.start, end, start, end)

    # ---- statements -----------------------------------------------------------
    @staticmethod
    def _assigned_name(tok) -> str:
        """The name in a `name =` token."""
        return tok[0][:-1].rstrip()

    def assign(self, tok, value):
        name = self._assigned_name(tok)
        return self._bind(name, tok[1], tok[1] + len(name), value)

    def augassign(self, tok, op, value):
        """c += x is c = c + x (also -=, *=, /=)."""
        left = self.name(tok)
        result = self._combine(left, op[0][0], value, op[1], op[2])
        return self._bind(*tok, result)

    def _bind(self, name: str, start: int, end: int, value):
        self._value(value)
        stmt_end = value.end
        if isinstance(value, Const):
            # `x = -2` makes x an input whose value is -2 (--vals overrides it).
            self.g.defaults[name] = value.value
            self.bound.pop(name, None)
            value = self.g.input(name, start, end)
        else:
            value = value.index
            op, _args, _c, node_name = self.g.rows[value][:4]
            if node_name is None and op.name != "input":
                self.g.rename(value, name)
        self.bound[name] = value
        self.last = (name, value)
        self.statements.append((value, start, stmt_end))
        return value

    def output(self, value):
        self._value(value)
        index = None if isinstance(value, Const) else value.index
        self.last = (None, value if index is None else index)
        self.statements.append((index, value.start, value.end))
        return value

    # ---- user functions: f(x, w) = body ---------------------------------------------------
    def def_head(self, tok):
        """`f(x, w) =`: check the head, then read the body over placeholders."""
        m = DEFINITION.match(tok[0])
        name, start = m["name"], tok[1]
        params = [p.strip() for p in m["params"].split(",")] if m["params"].strip() else []
        if canonical(name, FUNCTIONS) is not None:
            raise BptutorSyntaxError("syntax.builtin_redefined", (start, start + len(name)), name=name)
        if name in self.functions:
            raise BptutorSyntaxError("syntax.function_twice", (start, start + len(name)), name=name)
        for k, p in enumerate(params):
            if p in params[:k]:
                at = start + m.start("params") + m["params"].index(p, m["params"].index(p) + 1)
                raise BptutorSyntaxError("syntax.duplicate_param", (at, at + len(p)), name=p, function=name)
        d = _Definition(name, params, len(self.g.nodes), dict(self.bound), self.g.tensor)
        for k, p in enumerate(params):
            at = start + m.start("params") + m["params"].index(p)
            self.g.add(OPS["const"], (), _Param(k), None, at, at + len(p))
        self.defining = d
        return d

    def define(self, d, body):
        """The body has been read: keep its nodes as the function's template and
        take them out of the graph (a function adds nodes only where it is called)."""
        self._value(body)
        g = self.g
        result = body if isinstance(body, Const) else body.index
        self.functions[d.name] = Function(d.name, d.params, g.nodes[d.mark:], result, d.mark)
        g.truncate(d.mark)
        for i in [i for i in self.ranks if i >= d.mark]:
            del self.ranks[i]
        self.bound, g.tensor, self.defining = d.bound, d.tensor, None
        self.last = ("def", d.name)
        return None

    def _inline(self, fn: Function, args: list, start: int, end: int):
        """A call of a user function: its template written out with the call's
        arguments through the same rules as typed text (so 2*w stays the gate
        *2), each new node marked with the call it belongs to."""
        if len(args) != len(fn.params):
            raise BptutorSyntaxError("syntax.function_arity", (start, end), name=fn.name,
                                     params=", ".join(fn.params), expected=len(fn.params), given=len(args))
        for a in args:
            self._value(a)
        label = self._text(start, end)
        mapped = []
        for tn in fn.nodes:
            c = tn.c
            if tn.op.name == "const" and isinstance(c, _Param):
                value = args[c.k]
            elif tn.op.name == "const" and isinstance(c, _Global):
                value = self._variable(c.name, tn.start, tn.end)
            elif tn.op.name == "const":
                value = Const(c, tn.start, tn.end)
            else:
                first = len(self.g.nodes)
                value = self._redo(tn, [mapped[a - fn.mark] for a in tn.args])
                for node in self.g.nodes[first:]:
                    node.call = (label, *(tn.call or ()))
            mapped.append(value)
        result = fn.result if isinstance(fn.result, Const) else mapped[fn.result - fn.mark]
        if isinstance(result, Const):
            return Const(result.value, start, end)
        return Ref(result.index, start, end)

    def _redo(self, tn, operands):
        """One node of a template again, over the call's operands."""
        if tn.c is DOT_UNDECIDED:
            return self._combine(operands[0], "·", operands[1], tn.op_start, tn.op_end, tn.start, tn.end)
        sym = SYMBOLS.get(tn.op.name)
        if sym is not None:
            return self._combine(operands[0], sym, operands[1], tn.op_start, tn.op_end, tn.start, tn.end)
        return self.apply(tn.op.name, operands, tn.start, tn.end, tn.op_start, tn.op_end, tn.c)

    def program(self, *statements):
        return self.last

    def pair(self, tok, value):
        self._value(value)
        return (self._assigned_name(tok), value, tok[1], value.end)

    def assignments(self, *pairs):
        return list(pairs)


_PLAIN_CALLS: dict = {}


def _plain_call(fname: str):
    """The op row that `fname(x)` of one argument node is, when _function makes
    nothing else of it (sin, exp, σ, ln, sum); None where it decides more
    (max(s), square, log10, ...: the forms it builds) or knows no such function."""
    op = _PLAIN_CALLS.get(fname, False)
    if op is False:
        name = canonical(fname, FUNCTIONS)
        row = None if name in ("max", "min") or name in BUILT_FORMS else FUNCTIONS.get(name)
        op = _PLAIN_CALLS[fname] = row if row is not None and row.arity == 1 else None
    return op


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


# ---- the parse: Lark's tables, run here ---------------------------------------------
# A terminal as the builder receives it: (its text, start, end), its span in the
# folded text. Lark's parse hands the builder Lark's Token objects made into the same (see _Callbacks).


class _Rejected(Exception):
    """The text is not in the language: Lark parses it again to say why."""


_CALL_ONE, _CALL_THREE, _CALL_FOUR, _CALL, _PASS, _FILTER = range(6)    # how a reduction is run (see _runtime_rules)


def _runtime_rules(tables) -> list:
    """tables.RULES as (symbol, size, the builder's method, how _lalr reduces
    by it, what _reduce needs): _CALL_ONE, _CALL_THREE, _CALL_FOUR and _CALL,
    the method called with its one child, its three, its four or every child
    (x + y and f(x) popped, not sliced); _PASS, a ?rule passing its one child
    on as it is (x -> atom -> ... -> expr); _FILTER, the children filtered as
    Lark's tree builder filters them (_reduce). Listed last rule first: the
    table's reduce action -1 - k is then the list's index of rule k."""
    rules = []
    for origin, size, method, keep, nones_after, expand_one in tables.RULES:
        simple = all(not inlined and not nones for _i, inlined, nones in keep) and not nones_after
        kept = tuple(i for i, _inlined, _nones in keep)
        if size == 1 and expand_one and keep == ((0, False, 0),) and not nones_after:
            how = _PASS
        elif simple and kept == tuple(range(size)) and size and method and not expand_one:
            how = {1: _CALL_ONE, 3: _CALL_THREE, 4: _CALL_FOUR}.get(size, _CALL)
        else:
            how = _FILTER
        rules.append((origin, size, getattr(_Builder, method) if method else None, how,
                      (kept if simple else None, keep, nones_after, expand_one)))
    return rules[::-1]


def builder_methods() -> set[str]:
    """The rule names the builder has a method for (lang/tablegen.py writes them into the tables)."""
    return {name for name in vars(_Builder) if not name.startswith("_")}


_tables = None


def _load_tables() -> tuple:
    """(the tables module, its token regex's match, its split regex's findall
    and that of its ASCII compiling (for an ASCII text), the ignored
    terminals, the rules with their methods, the passes, the gotos met so
    far), on the first parse (lang/tablegen.py imports this module to write
    the tables). The passes: per state, lookahead -> the symbol of the _PASS
    rule it reduces by there (none in an end state: the parse ends there).
    The gotos: per state below, symbol -> lookahead -> _goto's state (no
    tuple to hash per reduction)."""
    global _tables
    from . import tables
    split = _stored_regex(tables.SPLIT, tables.SPLIT_COMPILED)
    split_ascii = _stored_regex(tables.SPLIT, tables.SPLIT_ASCII_COMPILED, re.ASCII)
    rules = _runtime_rules(tables)
    passes = [{kind: rules[action][0] for kind, action in row.items() if action < 0 and rules[action][3] is _PASS}
              for row in tables.ACTIONS]
    for state in tables.END.values():
        passes[state] = {}
    _tables = (tables, token_regex(tables).match, split.findall, split_ascii.findall, frozenset(tables.IGNORE), rules,
               passes, [{} for _row in tables.ACTIONS])
    return _tables


def token_regex(tables):
    """tables.TOKENS compiled (see _stored_regex)."""
    return _stored_regex(tables.TOKENS, tables.TOKENS_COMPILED)


def _stored_regex(pattern: str, stored, flags: int = 0):
    """`pattern` compiled with `flags`: from the code tables.py holds when this
    Python wrote it (as re.compile would make it, without the cost: see
    tablegen._compiled), else by re."""
    if stored is not None:
        import sys

        import _sre
        key, compiled_flags, code, groups, groupindex, indexgroup = stored
        if key == (sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE):
            return _sre.compile(pattern, compiled_flags, list(code), groups, groupindex, indexgroup)
    return re.compile(pattern, flags)


class _Kinds(dict):
    """Token text -> its terminal, None for an ignored one, found on first
    asking: the token regex's match of the text alone. A token's kind depends
    on its text alone, as the token regex neither looks around nor back
    (tablegen checks it): an earlier terminal matching it where it stands
    would match it alone too, and the other way round."""

    def __init__(self, scan, ignore):
        super().__init__()
        self.scan, self.ignore = scan, ignore

    def __missing__(self, text):
        kind = self.scan(text).lastgroup
        kind = self[text] = None if kind in self.ignore else kind
        return kind


def _tokens(text: str, scan, split, ignore) -> tuple[list, Iterable]:
    """The text's tokens as Lark's basic lexer cuts them, the ignored left out:
    (their kinds, then "$END"; the tokens, each made as it is read: no list of
    them all). Cut by one findall at C speed, the
    kinds looked up per distinct text. Where no terminal matches (findall
    skips it: the tokens are then shorter than the text) the tokens go up to
    there and the kinds end with None, which no state expects: the parse is
    rejected on reaching it, not sooner, as Lark's lexer fails when its parser
    asks for that token (an error the builder finds before it is raised first)."""
    pieces = split(text)
    ends = list(accumulate(map(len, pieces)))
    if (ends[-1] if ends else 0) != len(text):
        return _tokens_to_failure(text, scan, ignore)
    kinds = list(map(_Kinds(scan, ignore).__getitem__, pieces))
    tokens = compress(zip(pieces, chain((0,), ends), ends), kinds)
    kinds = list(filter(None, kinds))
    kinds.append("$END")
    return kinds, tokens


def _tokens_to_failure(text: str, scan, ignore) -> tuple[list, list]:
    """_tokens where a character matches no terminal: matched one at a time up to it."""
    kinds, tokens = [], []
    pos = 0
    while (m := scan(text, pos)) is not None:
        if m.lastgroup not in ignore:
            kinds.append(m.lastgroup)
            tokens.append((m.group(), pos, m.end()))
        pos = m.end()
    kinds.append(None)
    return kinds, tokens


def _lalr(text: str, start: str, builder: _Builder):
    """Lark's LALR(1) loop (lark/parsers/lalr_parser_state.py) over tables.py
    and the text's tokens, each rule's children filtered as Lark's tree builder
    filters them, then the builder's method called with them. Raises _Rejected
    where Lark raises a syntax error."""
    tables, scan, split, split_ascii, ignore, rules, passes, gotos = _tables or _load_tables()
    kinds, tokens = _tokens(text, scan, split_ascii if text.isascii() else split, ignore)
    actions = tables.ACTIONS
    end_state = tables.END[start]
    state = tables.START[start]
    states: list = []                       # the states below `state`, one per value
    values: list = []
    kind = kinds[0]
    shifted = zip(tokens, islice(kinds, 1, None)).__next__     # a token and the kind after it
    while True:
        try:
            action = actions[state][kind]
        except KeyError:
            # Lark ends where a reduction leads to the end state on "$END"; the
            # end state has no action (tablegen checks it), so it ends here
            if state == end_state and kind == "$END":
                return values[-1]
            raise _Rejected from None
        if action >= 0:                     # shift (never "$END": tablegen checks it)
            states.append(state)
            token, kind = shifted()
            values.append(token)
            state = action
            continue
        origin, size, method, how, filtering = rules[action]
        if how is _CALL_ONE:
            values[-1] = method(builder, values[-1])
        elif how is _CALL_THREE:            # x + y
            right = values.pop()
            middle = values.pop()
            values[-1] = method(builder, values[-1], middle, right)
            states.pop()
            states.pop()
        elif how is _CALL_FOUR:             # f(x)
            fourth = values.pop()
            third = values.pop()
            second = values.pop()
            values[-1] = method(builder, values[-1], second, third, fourth)
            del states[-3:]
        elif how is _CALL:
            value = method(builder, *values[-size:])
            del states[1 - size:]
            del values[1 - size:]
            values[-1] = value
        elif how is _FILTER:
            value = _reduce(builder, values[-size:] if size else [], method, *filtering)
            if size:
                del states[len(states) - size + 1:]
                del values[len(values) - size + 1:]
                values[-1] = value
            else:
                states.append(state)
                values.append(value)
        below = states[-1]                  # (_PASS: the value stays as it is)
        try:
            state = gotos[below][origin][kind]
        except KeyError:
            state = gotos[below].setdefault(origin, {})[kind] = _goto(actions, passes, below, origin, kind)


def _goto(actions, passes, below: int, origin: str, kind: str) -> int:
    """The state after a reduction to `origin` from `below`, and after the
    ?rules that then pass the value on as it is (x -> atom -> ... -> expr) on
    this lookahead: they only replace the top state, from the same state below."""
    state = actions[below][origin]
    while (origin := passes[state].get(kind)) is not None:
        state = actions[below][origin]
    return state


def _reduce(builder, children: list, method, kept, keep, nones_after, expand_one):
    """A reduction's value where its children are filtered first (or it has no method)."""
    if kept is not None:
        children = [children[i] for i in kept]
    else:
        children = _filtered(children, keep, nones_after)
    if expand_one and len(children) == 1:
        return children[0]
    if method is not None:
        return method(builder, *children)
    return children                         # an _rule: its children go into its parent's


def _filtered(children: list, keep: tuple, nones_after: int) -> list:
    """Lark's ChildFilterLALR: the children kept, _rules' children inlined, a
    None where an [optional] part is absent. A list inlined first is extended
    in place (nothing else holds it): a program of n statements is not n
    copies of a growing list."""
    out = []
    if keep and keep[0][1] and not keep[0][2]:
        out, keep = children[keep[0][0]], keep[1:]
    for i, inlined, nones in keep:
        if nones:
            out += [None] * nones
        if inlined:
            out += children[i]
        else:
            out.append(children[i])
    if nones_after:
        out += [None] * nones_after
    return out


_lark = None
_lark_lock = threading.Lock()
_building: ContextVar[_Builder] = ContextVar("building")      # the builder of Lark's parse on this thread


def parser():
    """Lark's LALR parser of the grammar file, built once per process (two
    threads asking first still get one): it names syntax errors (see _run)
    and gives the REPL the grammar's terminals; a cache file keeps its
    analysis between processes (see cache_file)."""
    global _lark
    if _lark is None:
        with _lark_lock:
            if _lark is None:
                from .grammar import grammar_text, lark_parser
                _lark = lark_parser(transformer=_Callbacks(), cache=cache_file(grammar_text()) or False)
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
    the parse running here, with the rule's children as arguments (a Lark
    Token as a token of _lalr's: its text, start, end)."""

    def __getattr__(self, rule: str):
        if rule.startswith("_") or not hasattr(_Builder, rule):
            raise AttributeError(rule)
        from lark import Token
        method = getattr(_Builder, rule)
        builder = _building.get
        return lambda children: method(builder(), *[(str(c), c.start_pos, c.end_pos) if isinstance(c, Token) else c
                                                    for c in children])


def _run(text: str, start: str, known_inputs=frozenset()) -> tuple[_Builder, object]:
    """Parse `text` from the start rule with a fresh builder: (builder, result)."""
    check_source(text)
    folded = fold(text)
    builder = _Builder(folded, known_inputs)
    try:
        return builder, _lalr(folded, start, builder)
    except _Rejected:
        pass                                # Lark parses it again: it names the syntax error
    except BptutorError as exc:
        raise exc.with_source(text) from None
    return _run_lark(text, folded, start, known_inputs)


def _run_lark(text: str, folded: str, start: str, known_inputs) -> tuple[_Builder, object]:
    """The parse by Lark's own parser of the grammar file, with a builder of its own."""
    from lark.exceptions import UnexpectedInput
    builder = _Builder(folded, known_inputs)
    token = _building.set(builder)
    try:
        return builder, parser().parse(folded, start=start)
    except UnexpectedInput as exc:
        from .parse_errors import explain
        raise explain(exc, folded, text, start).with_source(text) from None
    except BptutorError as exc:
        raise exc.with_source(text) from None
    finally:
        _building.reset(token)


def parse(text: str, known_inputs=frozenset()) -> Graph:
    """A program or expression -> Graph with labels and an output node."""
    builder, last = _run(text, "program", known_inputs)
    if last is None:
        raise BptutorSyntaxError("syntax.empty", (0, 0)).with_source(text)
    g = builder.g
    if last[0] == "def":
        fn = builder.functions[last[1]]
        raise BptutorSyntaxError("syntax.ends_with_definition", (len(text.rstrip()), len(text.rstrip()) + 1),
                                 name=fn.name, example=f"{fn.name}({', '.join('1' for _ in fn.params)})"
                                 ).with_source(text)
    name, value = last
    if isinstance(value, Const):
        raise BptutorError("graph.constant_output", (value.start, value.end),
                           value=const_text(value.value)).with_source(text)
    g.output = value
    if name and g.rows[value][3] is None:          # its name (see Graph.rows)
        g.rename(value, name)
    label_nodes(g)
    g.statements = builder.statements
    g.unreached = unreached(g)
    return g


def unreached(g: Graph, outputs=None) -> list[str]:
    """The statements whose value the output (or none of the node indices
    `outputs`) uses (`a = x*y; b = x+y` derives b; a is computed for nothing):
    their text, for a warning."""
    live = leads_to_output(g, outputs)
    return [" ".join(g.source[start:end].split()) for index, start, end in g.statements
            if index is None or not live[index]]


def parse_assignments(text: str):
    """`x=1, y=-2` (for --vals and --answer) -> (graph, [(name, value, start, end)])
    where value is a Const or a node index into the graph (formulas)."""
    builder, pairs = _run(text, "assignments")
    return builder.g, pairs
