"""A derivation in words, once, for every format. Each step becomes a Sentence:
a message key (the i18n catalog's) and typed pieces (Name, Num, Formula,
Partial, Product, Block, ...) holding no format-specific text. The header, the
forward pass and the check table are small models built here once; forward
mode's tangents, a Jacobian's reverse passes, the Jacobian and what each mode
cost are sentences too. plain.py (and terminal.py over it), markdown.py,
latex.py and html.py (over typeset.py) each print them: numbers at their
--digits, formulas as plain text or LaTeX, names as code.

Scalars and arrays are the same words: an array step only has more pieces
(its shapes, summed axes, the op's lesson).

A pass over arrays stacks one run per entry of its seed (core/modes.py): a
tangent is then a Jacobian, shown as a matrix (rows: the node's entries,
columns: the input's), and a local gradient is the local Jacobian; an
entrywise gate's is diagonal, and the words say so (seed 004)."""
from __future__ import annotations

import re
import unicodedata
from collections import namedtuple

from ..core.ops import fill, gate_label
from ..core.records import Derivation, Pass, Step
from ..core.xp import ScalarNS             # to evaluate a formula on the numbers a page shows
from .formula import gate_latex, typeset
from .numbers import is_small, rel_error, shape_tuple, short, tex_name

IDENT = re.compile(r"^[^\W\d]\w*$")
_ONE_LETTER = re.compile(r"^[^\W\d_][0-9₀-₉]*$")     # x, w0, c₁: the dot goes on the letter
_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
MAX_TERMS = 12          # terms of a sum of paths written out; more are elided in the middle
MAX_FORMULA = 60        # the notes' forward pass typesets expressions up to this long
MAX_SOURCE_FORMULA = 400    # the notes' header typesets an expression up to this long
JACOBIAN_FULL = 8       # rows and columns of a Jacobian printed in full, with their labels


# ---- pieces: what a sentence holds, printed by each format ----------------------------------
# (collections.namedtuple, not typing.NamedTuple: importing typing costs a plain run.)
Name = namedtuple("Name", "label")                    # a variable in math: w0 (LaTeX w_{0})
Code = namedtuple("Code", "text")                     # program text: a gate `d = sqrt(c)`, a node `w0*x0`
# a computed value; paren: 2 × (-0.53); given: an input's value as the user wrote it (0.2, not 0.2000);
# row: a vector transposed (LaTeX writes it as a row); within: the Equation it is an operand of;
# among: the numbers shown with it in one format (a table's column)
Num = namedtuple("Num", "value paren given row within among", defaults=(False, False, False, None, ()))
Formula = namedtuple("Formula", "plain latex")        # math without numbers, both ways
Partial = namedtuple("Partial", "top bottom")         # ∂top/∂bottom (pieces)
Rule = namedtuple("Rule", "op k c operands g o", defaults=(None, None))   # an op row's formula, filled in
Product = namedtuple("Product", "local upstream result")     # local × upstream = result (≈ where not true as shown)
Math = namedtuple("Math", "parts")                    # pieces forming one formula: one $…$ in the notes
Chain = namedtuple("Chain", "parts within", defaults=(None,))   # a = b = c, leaving out what repeats
# An equation between numbers (a sum of paths, a local gradient's formula filled in):
# compute(*operands) gives result. Its operands' Nums (within=it) are printed at the fewest
# decimals from --digits up at which it is true as shown (numbers.true_decimals), its result at
# --digits; Sign(it) (and a Chain within it, before its value) is =, or ≈ where none makes it true.
Equation = namedtuple("Equation", "compute operands result")
Sign = namedtuple("Sign", "within block", defaults=(False,))     # block: before a Block, its own space
Block = namedtuple("Block", "value")                  # a value ending a rule: a terminal writes a matrix a row per line
Aside = namedtuple("Aside", "piece")                  # worked detail the terminal shows and the notes leave out
Mark = namedtuple("Mark", "verdict")                  # a check's verdict: ok, fail, kink, skipped, unchecked
Joined = namedtuple("Joined", "parts sep")            # pieces in a row, `sep` between them
# A catalog message with its pieces; `notes` follow it (a terminal puts each on
# an indented line of its own, the notes a space after it).
Sentence = namedtuple("Sentence", "key params notes", defaults=((),))

PIECES = (Name, Code, Num, Formula, Partial, Rule, Product, Math, Chain, Sign, Block, Aside, Mark, Joined,
          Sentence)

EQUALS = Formula(" = ", " = ")
PLUS = Formula(" + ", " + ")
THEN = Formula(" =", " = ")             # before a Block, which brings its own space or line
ODOT = Formula(" ⊙ ", r" \odot ")
CDOTS = Formula("…", r"\cdots")
TIMES = Formula("·", r"\cdot ")


def chain(texts: list[str], sign: str = " = ") -> str:
    """A Chain's printed parts joined with =, `sign` before the last (≈ where the
    numbers do not give the value as shown): a middle part that repeats the one
    before, or is the last one bracketed, is left out; so is a repeated last one."""
    kept = texts[:1]
    last = texts[-1]
    for k, text in enumerate(texts[1:], 1):
        if text == kept[-1] or (k < len(texts) - 1 and text == "(" + last + ")"):
            continue
        kept.append(text)
    return " = ".join(kept[:-1]) + sign + kept[-1] if len(kept) > 1 else kept[0]


def added(*terms):
    return sum(terms)


def times(a, b):
    return a * b


def filled_in(op, k: int, c):
    """Input k's local gradient as a function of the operands: what its formula
    gives filled in with the numbers shown."""
    return lambda *xs: op.local[k](ScalarNS, c, op.forward(ScalarNS, c, *xs), *xs)


def elide(items: list, head: int = 8, tail: int = 3) -> list:
    """items, or its head and tail with None where the middle was left out."""
    if len(items) <= MAX_TERMS:
        return items
    return items[:head] + [None] + items[-tail:]


def shape_of(x) -> tuple:
    return tuple(getattr(x, "shape", ()))


def summed_axes(out_shape: tuple, shape: tuple) -> tuple:
    """Axes of a broadcast result summed to give back an operand's shape (a bias
    (3, 1) added to (3, N): axis 1, the batch)."""
    lead = len(out_shape) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and out_shape[lead + i] != 1)


def dotted(label: str) -> str:
    """A dot over the first letter: one character where Unicode has it (ẋ, ȧ)."""
    return unicodedata.normalize("NFC", label[0] + "\u0307") + label[1:]


def entry_labels(name: str, shape: tuple) -> list[str]:
    """x for a number; x[0], x[1] for a vector; W[0,1] for a matrix."""
    if not shape:
        return [name]
    import numpy as np
    return [f"{name}[{','.join(str(int(k)) for k in index)}]" for index in np.ndindex(*shape)]


# ---- models beside the sentences ----------------------------------------------------------
CheckRow = namedtuple("CheckRow", "name index value gradient check")     # check: a core Check, None if unchecked
# among: column -> the scalars in it, shown in one format (-4.0000 beside 3.0000, never -4)
CheckTable = namedtuple("CheckTable", "title columns rows notes among")


class JacobianTable(namedtuple("JacobianTable", "columns rows")):        # rows: (label, [value, ...])
    def columns_values(self) -> list[tuple]:
        """Each column's numbers: shown in one format (-2.0000 above 0.5000, never -2)."""
        return list(zip(*[cells for _, cells in self.rows]))


class Words:
    """The sentences and models of derivation d, made on demand (a 100,000-step
    derivation is printed a few steps at a time)."""

    def __init__(self, d: Derivation):
        self.d = d
        self.graph = d.graph
        self.nodes = d.graph.nodes
        self.out = d.graph.output
        self._fan_in = None
        self._into = None
        self.memo: dict = {}            # (what, node, ...) -> its piece: a big derivation names the same nodes often
        self.noted: set = set()         # entrywise gates whose diagonal Jacobian was explained
        self.ruled: set = set()         # tensor gates whose rule (or lesson) was said
        self.first_entrywise = None     # the first entrywise step over arrays says once why the product is ⊙
        if d.arrays:
            self.first_entrywise = next((k for k, s in enumerate(d.steps) if s.kind == "edge"
                                         and not self.nodes[s.node].op.vjp and shape_of(s.local)), None)

    @property
    def fan_in(self) -> list:
        if self._fan_in is None:
            fan_in = [0] * len(self.nodes)
            for s in self.d.steps:
                if s.kind == "edge":
                    fan_in[s.target] += 1
            self._fan_in = fan_in
        return self._fan_in

    # ---- naming nodes ----------------------------------------------------------------------
    def gate(self, i: int) -> Code:
        """A gate as a sentence names it: by its label (`+1`, `exp`, `w0*x0`), the
        unnamed output by its gate (`1/x`), a named node by its statement as the
        program wrote it (`d = sqrt(c)`) when that is short."""
        node = self.nodes[i]
        gate = gate_label(node.op, node.c, short)
        if not node.name:
            return Code(gate if i == self.out else node.label)
        text = " ".join(self.graph.source[node.start:node.end].split())
        return Code(f"{node.name} = {text}" if len(text) <= 20 else f"{node.name} ({gate})")

    def who(self, i: int):
        """How a sentence names a node: an input by its name, another as '<label> 结点' / 'node <label>'."""
        piece = self.memo.get(("who", i))
        if piece is None:
            node = self.nodes[i]
            piece = Name(node.label) if node.op.name == "input" else \
                Sentence("render.node", {"label": Code(node.label)})
            self.memo["who", i] = piece
        return piece

    def is_gate_label(self, i: int) -> bool:
        """The node is labelled by its gate (`+1`, `exp`, `+₂`), not by its text."""
        node = self.nodes[i]
        return node.label.rstrip(_SUBSCRIPT_DIGITS) == gate_label(node.op, node.c, short)

    def expression(self, i: int) -> str:
        """A node whose label is not a name, in brackets, in LaTeX: its expression
        typeset from the graph when the label is its text (`w0*x0`, `2^x`), else
        its gate (`+1`, `exp`, `+₂`)."""
        node = self.nodes[i]
        label = node.label
        typed = typeset(self.graph, i, 4 * len(label) + 16)
        if typed is None or (typed[0] != label and self.is_gate_label(i)):
            return f"({gate_latex(node, label)})"
        return f"({typed[1]})"

    def term(self, i: int):
        """A node in ∂f/∂x: its name, or its label in brackets (its expression in LaTeX)."""
        piece = self.memo.get(("term", i))
        if piece is None:
            label = self.nodes[i].label
            piece = Name(label) if IDENT.match(label) else Formula(f"({label})", self.expression(i))
            self.memo["term", i] = piece
        return piece

    def term_latex(self, i: int) -> str:
        term = self.term(i)
        return tex_name(term.label) if type(term) is Name else term.latex

    def operand(self, i: int):
        """An operand in a local-gradient formula or a rule: its name, a constant as
        written, else its label in brackets ((w0*x0), (+1)): always a name the
        narration defines, never a placeholder such as u."""
        node = self.nodes[i]
        label = node.label
        if IDENT.match(label):
            return Name(label)
        if node.op.name == "const":
            typed = typeset(self.graph, i, 4 * len(label) + 16)
            return Formula(label, typed[1] if typed else label)
        return Formula(f"({label})", self.expression(i))

    def grad(self, i: int, top: int | None = None) -> Partial:
        """∂f/∂node (∂top/∂node)."""
        return Partial(self.term(self.out if top is None else top), self.term(i))

    def shape(self, i: int) -> str:
        """ (2, 2) after a name in a sentence; nothing for a scalar."""
        shape = shape_of(self.d.node_values[i])
        return " " + shape_tuple(shape) if shape else ""

    # ---- backward steps ------------------------------------------------------------------------
    def step(self, s: Step) -> Sentence:
        if s.kind == "seed":
            return self.seed(s)
        if s.kind == "sum":
            return self.array_sum(s) if shape_of(s.total) else self.sum(s)
        if self.scalar_step(s):
            return self.in_call(s, self.edge(s))
        return self.in_call(s, self.array_edge(s))

    def in_call(self, s: Step, sentence: Sentence) -> Sentence:
        """A step inside a call of the user's function names the call (calls within calls joined by ›)."""
        call = self.nodes[s.node].call
        return Sentence("render.in_call", {"calls": " › ".join(call), "step": sentence}) if call else sentence

    def seed(self, s: Step) -> Sentence:
        node = self.nodes[self.out]
        f = self.term(self.out)
        return Sentence("render.seed", {"node": self.who(s.node), "gate": gate_label(node.op, node.c, short),
                                        "f": Math((Formula(node.label, self.term_latex(self.out)),)),
                                        "statement": self.gate(s.node),
                                        "formula": Math((Partial(f, f), Formula(" = 1", " = 1")))})

    def edge(self, s: Step) -> Sentence:
        node = self.nodes[s.node]
        key = "render.edge_one" if len(node.args) == 1 else "render.edge"
        if self.fan_in[s.target] > 1:
            key += "_path"
        return Sentence(key, {"gate": self.gate(s.node), "node": self.who(s.node), "target": self.who(s.target),
                              "local": self.local(s), "upstream": Num(s.upstream),
                              "product": Math((Product(s.local, s.upstream, s.contribution),))})

    def local(self, s: Step) -> Math:
        """-1/u² = -1/1.37² = -0.53: the formula, with the numbers, and its value."""
        node = self.nodes[s.node]
        values = self.d.node_values
        symbols = tuple([self.operand(j) for j in node.args])
        equation = Equation(filled_in(node.op, s.k, node.c), tuple([values[j] for j in node.args]), s.local)
        numbers = tuple([Num(values[j], True, within=equation) for j in node.args])
        return Math((Chain((Rule(node.op, s.k, node.c, symbols), Rule(node.op, s.k, node.c, numbers),
                            Num(s.local)), equation),))

    def sum(self, s: Step, steps=None, top: int | None = None, times: Formula = Formula("·", "")) -> Sentence:
        """n paths meet at x: ∂f/∂x = ∂f/∂d·∂d/∂x + … = 0.40 + (-1.00) = -0.60."""
        steps = self.d.steps if steps is None else steps
        f = self.term(self.out if top is None else top)
        x = self.term(s.target)
        terms = sorted((steps[k] for k in s.terms), key=lambda e: e.node)  # as the notes order them
        shown = elide(terms)            # 100,000 paths meeting at x: a sentence, not a book
        nodes = [e.node for e in terms]
        parts = [Partial(f, x), EQUALS]
        for k, e in enumerate(shown):
            if k:
                parts.append(PLUS)
            if e is None:
                parts.append(CDOTS)
            elif nodes.count(e.node) > 1:   # x*x: ∂f/∂x twice would read the same; each operand's local gradient
                parts += [Partial(f, self.term(e.node)), times, *self.local_formula(e)]
            else:
                via = self.term(e.node)
                parts += [Partial(f, via), times, Partial(via, x)]
        parts.append(EQUALS)
        # a sum with paths left out is not checked (… stands for them)
        equation = None if None in shown else Equation(added, tuple([e.contribution for e in terms]), s.total)
        for k, e in enumerate(shown):
            if k:
                parts.append(PLUS)
            parts.append(CDOTS if e is None else Num(e.contribution, paren=k > 0, within=equation))
        parts += [Sign(equation), Num(s.total)]
        return Sentence("render.sum", {"target": self.who(s.target), "count": len(terms),
                                       "formula": Math(tuple(parts))})

    def local_formula(self, s: Step) -> tuple:
        """Edge s's local gradient as a formula of the operands' names, bracketed
        unless it is one name: x for x*x's first operand, (1/y) for x/y's."""
        node = self.nodes[s.node]
        symbols = tuple([self.operand(j) for j in node.args])
        plain = [o.label if type(o) is Name else o.plain for o in symbols] + ["", ""]
        rule = Rule(node.op, s.k, node.c, symbols)
        if IDENT.match(fill(node.op, s.k, node.c, plain[0], plain[1], cfmt=short)):
            return (rule,)
        return (Formula("(", "("), rule, Formula(")", ")"))

    # ---- backward steps over arrays --------------------------------------------------------------
    @staticmethod
    def scalar_step(s: Step) -> bool:
        return not any(shape_of(x) for x in (s.local, s.upstream, s.contribution)) and s.local is not None

    def axes(self, s: Step) -> tuple:
        if self.nodes[s.node].op.vjp:
            return ()
        return summed_axes(shape_of(s.upstream), shape_of(self.d.node_values[s.target]))

    def rule(self, s: Step) -> tuple:
        """The contribution of edge s as the notes write it: ∂f/∂q·xᵀ, ∂f/∂h ⊙ 2·h,
        sum(∂f/∂z, 1) where the operand was broadcast."""
        node = self.nodes[s.node]
        operands = tuple(self.operand(j) for j in node.args)
        g = self.grad(s.node)
        if node.op.vjp:
            return (Rule(node.op, s.k, node.c, operands, g=g, o=self.operand(s.node)),)
        plain = [o.label if type(o) is Name else o.plain for o in operands] + ["", ""]
        local = fill(node.op, s.k, node.c, plain[0], plain[1], cfmt=short)    # "1" and "-1" read the same in LaTeX
        body = (g,) if local == "1" else (Formula("-", "-"), g) if local == "-1" else \
            (g, ODOT, Rule(node.op, s.k, node.c, operands))
        axes = self.axes(s)
        if not axes:
            return body
        if not shape_of(s.contribution):
            return (Formula("sum(", r"\operatorname{sum}_{}\left("), *body, Formula(")", r"\right)"))
        over = str(axes[0] if len(axes) == 1 else axes)
        return (Formula("sum(", r"\operatorname{sum}_{" + ", ".join(str(a) for a in axes) + r"}\left("),
                *body, Formula(f", {over})", r"\right)"))

    def array_edge(self, s: Step) -> Sentence:
        """As seed 000 writes ||Wx||²: the local gradient (xᵀ = [0.2, 0.4]), the
        upstream gradient (∂f/∂q = [0.44, 0.52]), so the rule with the problem's
        own names and its value (∂f/∂W = ∂f/∂q·xᵀ = …); then what the rule means
        entry by entry for a small matrix product (∂f/∂W_ij = 2·q_i·x_j)."""
        up, local, out = s.upstream, s.local, s.contribution
        node = self.nodes[s.node]
        parts = [self.grad(s.target), EQUALS, *self.rule(s), THEN]
        if (not node.op.vjp and not self.axes(s) and local is not None and not isinstance(local, float)
                and all(len(shape_of(x)) <= 1 and is_small(x) for x in (up, local, out))):
            equation = Equation(times, (up, local), out)
            parts.append(Aside(Math((Formula(" ", ""), Num(up, within=equation), ODOT, Num(local, within=equation),
                                     Sign(equation, block=True)))))
        parts.append(Block(out))
        notes = []
        axes = self.axes(s)
        if axes:
            notes.append(Sentence("tensor.summed", {"target": Code(self.nodes[s.target].label),
                                                    "axes": ", ".join(str(a) for a in axes)}))
        if self.first_entrywise is not None and self.d.steps[self.first_entrywise] is s:
            notes.append(Aside(Sentence("tensor.diagonal", {})))
        if node.op.name == "matmul":
            index = self.index_form(s)
            if index is not None:
                notes.append(index)
        if node.op.vjp and s.node not in self.ruled:                    # once per gate
            self.ruled.add(s.node)
            notes.append(self.lesson(s.node))
        local_piece = self.local_factor(s)
        params = {"gate": self.gate(s.node), "shape": self.shape(s.node), "target": self.who(s.target),
                  "tshape": self.shape(s.target), "local": local_piece,
                  "upstream": Math((self.grad(s.node), EQUALS, Num(up))), "rule": Math(tuple(parts))}
        key = "tensor.edge_jacobian" if self.applied_only(s) else "tensor.edge"
        if self.fan_in[s.target] > 1:
            key += "_path"
        return Sentence(key, params, tuple(notes))

    def applied_only(self, s: Step) -> bool:
        """A tensor gate's local Jacobian too large to print: applied without being built."""
        op = self.nodes[s.node].op
        return bool(op.vjp) and op.name not in ("matmul", "sum", "mean") and \
            (s.node, s.k) not in self.d.local_jacobians

    def local_factor(self, s: Step) -> Math:
        """The local gradient of an array step as a formula with its value: 2·q =
        [0.44, 0.52] (entrywise), xᵀ = [0.2, 0.4] (a matrix product), 𝟏 = [1, 1]
        (a sum), diag(y) − yyᵀ = [[…]] (softmax's Jacobian, when small), (W@x)/‖W@x‖
        = [-0.71, -0.71] (a gate giving a number: its gradient); the formula alone
        where the Jacobian is only applied."""
        import numpy as np
        node = self.nodes[s.node]
        op = node.op
        if not op.vjp:
            rule = Rule(op, s.k, node.c, tuple(self.operand(j) for j in node.args))
            return Math((rule,)) if s.local is None else Math((Chain((rule, Num(s.local))),))
        if op.name == "matmul":
            other = node.args[1 - s.k]
            operand = self.operand(other)
            plain = operand.label if type(operand) is Name else operand.plain
            latex = tex_name(operand.label) if type(operand) is Name else operand.latex
            value = self.d.node_values[other]
            given = self.nodes[other].op.name == "input"
            return Math((Formula(plain + "ᵀ", latex + r"^\top"), EQUALS,
                         Num(np.transpose(value), given=given, row=np.ndim(value) == 1)))
        shape = shape_of(self.d.node_values[s.target])
        if op.name in ("sum", "mean") and shape:
            n = np.size(self.d.node_values[s.target]) // max(1, np.size(self.d.node_values[s.node]))
            ones = Formula("𝟏", r"\mathbf{1}") if op.name == "sum" else Formula("𝟏/n", r"\mathbf{1}/n")
            if not is_small(np.empty(shape)):
                return Math((ones,))
            # the notes know what 𝟏 is; a terminal shows it
            return Math((ones, Aside(Math((EQUALS, Num(np.full(shape, 1.0 / n if op.name == "mean" else 1.0)))))))
        operands = tuple(self.operand(j) for j in node.args)
        formula = Rule(op, s.k, node.c, operands, o=self.operand(s.node)) if fill(op, s.k, node.c, g=None) else \
            Partial(self.term(s.node), self.term(s.target))                # ∂(Wᵀ)/∂W: no shorter name
        jacobian = self.d.local_jacobians.get((s.node, s.k))
        if jacobian is None:
            return Math((formula,))
        if jacobian.shape[0] == 1:              # a gate giving a number: its gradient, shaped as its input
            jacobian = np.reshape(jacobian, shape)
        return Math((Chain((formula, Num(jacobian))),))

    def lesson(self, i: int) -> Sentence:
        """A tensor gate's lesson, under its first step, in the problem's own names:
        ∂J/∂W2 = ∂J/∂o·hᵀ; softmax's diag(y) − yyᵀ and how it is applied."""
        node = self.nodes[i]
        op = node.op
        if op.name == "matmul":
            return self.matmul_rule(i)
        if op.name not in ("softmax", "norm"):          # the others' lessons name no operand
            return Sentence(op.lesson, {})
        operands = tuple(self.operand(j) for j in node.args)
        p = self.operand(i)
        local = Math((Rule(op, 0, node.c, operands, o=p),))
        if op.name == "norm":
            return Sentence("tensor.norm_lesson", {"local": local})
        g = self.grad(i)
        p_plain = p.label if type(p) is Name else p.plain
        p_latex = tex_name(p.label) if type(p) is Name else p.latex
        entry = Formula(f"{p_plain}_i(δ_ij − {p_plain}_j)", rf"{{{p_latex}}}_i(\delta_{{ij}} - {{{p_latex}}}_j)")
        applied = Math((p, ODOT, Formula("(", r"\left("), g, Formula(" − ", " - "),
                        Formula(p_plain + "ᵀ", p_latex + r"^\top"), TIMES, g, Formula(")", r"\right)")))
        return Sentence("tensor.softmax_lesson", {"jacobian": local, "entry": Math((entry,)), "applied": applied})

    def matmul_rule(self, i: int) -> Sentence:
        """Both of a matrix product's rules, in the problem's own names: ∂J/∂W2 = ∂J/∂o·hᵀ, ∂J/∂h = W2ᵀ·∂J/∂o."""
        node = self.nodes[i]
        operands = tuple(self.operand(j) for j in node.args)
        g = self.grad(i)
        left, right = (Math((self.grad(j), EQUALS, Rule(node.op, k, node.c, operands, g=g)))
                       for k, j in enumerate(node.args))
        return Sentence("tensor.matmul_rule", {"left": left, "right": right})

    def index_form(self, s: Step):
        """A small matrix product entry by entry, as seed 000 derives ∂f/∂W_ij =
        2q_i x_j: (∂f/∂q)_i·x_j, written with the upstream's own formula where the
        upstream gradient is an entrywise gate's local gradient times 1."""
        node = self.nodes[s.node]
        a, b = node.args
        values = self.d.node_values
        dims = (len(shape_of(values[a])), len(shape_of(values[b])))
        if not is_small(values[s.target]) or not all(1 <= n <= 2 for n in dims) or dims == (1, 1):
            return None
        # q = a @ b: the index of each factor, the summed one, per case (matrix·vector, matrix·matrix, vector·matrix)
        q, ia, ib = {(2, 1): ("i", "ij", "j"), (2, 2): ("ik", "ij", "jk"), (1, 2): ("k", "j", "jk")}[dims]
        target, mine, theirs, other = (a, ia, ib, b) if s.k == 0 else (b, ib, ia, a)
        summed = "".join(dict.fromkeys(ch for ch in theirs + q if ch not in mine))
        upstream = self.upstream_entry(s.node, q)
        factors = [upstream, self.entry(other, theirs)] if s.k == 0 else [self.entry(other, theirs), upstream]
        parts = [Partial(self.term(self.out), self.entry(target, mine)), EQUALS]
        if summed:
            parts.append(Formula(f"Σ_{summed} ", rf"\sum_{{{summed}}} "))
        parts += [factors[0], TIMES, factors[1]]
        return Sentence("tensor.index_form", {"formula": Math(tuple(parts))})

    def entry(self, i: int, index: str) -> Formula:
        """Node i's entry: W_ij (LaTeX {W}_{ij})."""
        term = self.term(i)
        plain = term.label if type(term) is Name else term.plain
        return Formula(f"{plain}_{index}", f"{{{self.term_latex(i)}}}_{{{index}}}")

    def upstream_entry(self, i: int, index: str):
        """(∂f/∂q)_i, or 2·q_i where ∂f/∂q is the entrywise gate's local gradient 2·q times ones."""
        import numpy as np
        grad = self.grad(i)
        if self._into is None:                  # node -> the edge steps into it, found once
            self._into = {}
            for e in self.d.steps:
                if e.kind == "edge":
                    self._into.setdefault(e.target, []).append(e)
        into = self._into.get(i, [])
        if len(into) == 1:
            e = into[0]
            gate = self.nodes[e.node]
            shape = shape_of(self.d.node_values[i])
            arrays = [j for j in gate.args if self.nodes[j].op.name != "const"]
            if (not gate.op.vjp and shape_of(e.upstream) == shape and np.all(np.asarray(e.upstream) == 1)
                    and all(shape_of(self.d.node_values[j]) == shape for j in arrays)):
                operands = tuple(self.entry(j, index) if j in arrays else self.operand(j) for j in gate.args)
                return Rule(gate.op, e.k, gate.c, operands)
        return Math((Formula("(", r"\left("), grad, Formula(f")_{index}", rf"\right)_{{{index}}}")))

    def array_sum(self, s: Step) -> Sentence:
        terms = sorted((self.d.steps[k] for k in s.terms), key=lambda e: e.node)
        parts = [self.grad(s.target), EQUALS]
        for k, e in enumerate(terms):
            if k:
                parts.append(PLUS)
            parts += self.rule(e)
        parts.append(THEN)
        if all(len(shape_of(e.contribution)) <= 1 and is_small(e.contribution) for e in terms):
            numbers = [Formula(" ", "")]
            equation = Equation(added, tuple([e.contribution for e in terms]), s.total)
            for k, e in enumerate(terms):
                if k:
                    numbers.append(PLUS)
                numbers.append(Num(e.contribution, paren=True, within=equation))
            parts.append(Aside(Math((*numbers, Sign(equation, block=True)))))
        parts.append(Block(s.total))
        return Sentence("render.sum", {"target": self.who(s.target), "count": len(terms),
                                       "formula": Math(tuple(parts))})

    # ---- the header and the forward pass ----------------------------------------------------------
    def values(self) -> list:
        """(name, value) of each input, as given."""
        return list(self.d.values.items())

    def outputs(self) -> list:
        """(label, value) of each output."""
        d = self.d
        return [(self.nodes[o].label, d.node_values[o]) for o in d.outputs or (self.out,)]

    def equation(self) -> Formula | None:
        """f = <the expression> typeset, for the notes' header; None for a program
        of statements (shown as code) or an expression too long to typeset."""
        label = self.nodes[self.out].label
        if any(ch in self.d.source for ch in ";=#") or not IDENT.match(label):
            return None
        typed = typeset(self.graph, self.out, MAX_SOURCE_FORMULA)
        return None if typed is None else Formula(f"{label} = {typed[0]}", f"{tex_name(label)} = {typed[1]}")

    def forward(self):
        """Every computed node in evaluation order: (index, label, value)."""
        values = self.d.node_values
        for i, node in enumerate(self.nodes):
            if node.args:
                yield i, node.label, values[i]

    def forward_terms(self, i: int) -> list:
        """How the notes write computed node i before its value: its name and its
        expression typeset from the graph when that is short."""
        node = self.nodes[i]
        name = node.name or (node.label if i == self.out else "")
        terms = [Name(name)] if name else []
        typed = typeset(self.graph, i, MAX_FORMULA)
        if typed is not None and typed[0] != name:
            terms.append(Formula(*typed))
        return terms or [self.term(i)]

    # ---- the numeric check -----------------------------------------------------------------------
    def check_table(self) -> CheckTable:
        """One model of the check table: the columns (`allowed` only where some
        difference is less accurate than CS231n's 1e-7, else the note under the
        table says so), a row per input reported, the notes under it."""
        d = self.d
        title = Sentence("render.check_title", {}) if d.eps is None else \
            Sentence("render.check_title_forced", {"eps": format(d.eps, "g")})
        allowed = any(c.coarse for c in d.checks)
        columns = ("input", "value", "gradient", "numeric", "h", "rel_error") + ("allowed",) * allowed + ("verdict",)
        checks = {c.name: c for c in d.checks}
        checked = d.exact or d          # the check compares the exact gradients, not --hand's rounded ones
        rows = [CheckRow(name, d.graph.inputs[name], d.values[name], checked.grad(d.graph.inputs[name]),
                         checks.get(name)) for name in d.wrt]
        numerics = [r.check.numeric for r in rows if r.check is not None and r.check.numeric is not None]
        among = {"gradient": tuple(g for g in (r.gradient for r in rows) if not shape_of(g)),
                 "numeric": tuple(n for n in numerics if not shape_of(n))}
        return CheckTable(title, columns, rows, self.check_notes(), among)

    @staticmethod
    def check_cells(table: CheckTable, c) -> list:
        """numeric, h, rel. error, (allowed,): the cells after the gradient, as
        (value to print, or a relative-error text)."""
        cells = [None if c.numeric is None else Num(c.numeric, among=table.among["numeric"]), rel_error(c.h),
                 rel_error(c.rel_error)]
        if "allowed" in table.columns:
            cells.append(rel_error(c.allowed))
        return cells

    def check_notes(self) -> list[Sentence]:
        """Under the check table: how a verdict is reached, then why for each
        input that is not simply right (wrong, a kink crossed, not checkable)."""
        checks = self.d.checks
        fine = all(c.verdict == "ok" and not c.coarse for c in checks)
        notes = [Sentence("render.check_bands_fine" if fine else "render.check_bands", {})] if checks else []
        for c in checks:
            if c.verdict == "ok":
                continue
            name = c.name if c.entry is None or not c.entry else f"{c.name}[{', '.join(map(str, c.entry))}]"
            params = dict(name=name, h=rel_error(c.h), error=rel_error(c.error), rel=rel_error(c.rel_error),
                          allowed=rel_error(c.allowed),
                          band=Sentence(f"render.band_{c.band}", {}) if c.band else "")
            if c.verdict == "fail":
                notes.append(Sentence("render.check_fail", params))
            elif c.verdict == "kink":
                notes.append(Sentence("render.check_kink", dict(params, node=self.nodes[c.kink].label)))
            else:
                notes.append(Sentence(f"render.check_{c.reason}", params))
        return notes

    def warnings(self) -> list[Sentence]:
        return [Sentence(key, params) for key, params in self.d.warnings]

    def sections(self) -> list[tuple[str, object]]:
        """What a document shows after its forward pass, in the order every
        printer lays it out, as (kind, content): "backward" (its step sentences,
        made as they are read), "pass" (each pass narrated), "check" (the check
        table), "tangent_checks", "jacobian", "cost" (lines), "warnings"; a kind
        with nothing to show is left out."""
        d = self.d
        out: list = []
        if d.scalar and "reverse" in d.narrated:
            out.append(("backward", map(self.step, d.steps)))
        out += [("pass", p) for p in self.passes()]
        if d.scalar:
            out.append(("check", None))
        if d.forward_checks and "forward" in d.narrated:
            out.append(("tangent_checks", self.tangent_checks()))
        if d.jacobian is not None:
            out.append(("jacobian", None))
        out += [(kind, lines) for kind, lines in (("cost", self.cost_lines()), ("warnings", self.warnings())) if lines]
        return out

    # ---- forward mode and a Jacobian's reverse passes ------------------------------------------------
    def dot(self, i: int | str) -> Formula:
        """The tangent of node i (or of a symbol): ȧ, ẇ0, (w0*x0)˙; \\dot{a} in LaTeX."""
        if isinstance(i, str):
            return Formula(dotted(i), rf"\dot{{{i}}}")
        label = self.nodes[i].label
        plain = dotted(label) if _ONE_LETTER.match(label) else f"{label}˙" if IDENT.match(label) else f"({label})˙"
        return Formula(plain, rf"\dot{{{self.term_latex(i)}}}")

    def passes(self) -> list[Pass]:
        """The passes narrated, reverse mode's first: a Jacobian's reverse passes
        (one per output; one scalar output's is backward's, told as usual) and the
        forward passes (one per input)."""
        d = self.d
        out = list(d.reverse) if "reverse" in d.narrated else []
        return out + (list(d.forward) if "forward" in d.narrated else [])

    def pass_title(self, p: Pass) -> Sentence:
        seeded = self.term(p.about)
        if p.direction == "forward":
            return Sentence("modes.forward_title", {"x": self.who(p.about), "tangent": Math((
                self.dot("n"), EQUALS, Partial(Formula("n", "n"), seeded)))})
        return Sentence("modes.reverse_title", {"y": self.who(p.about),
                                                "gradient": Math((Partial(seeded, Formula("n", "n")),))})

    def pass_steps(self, p: Pass) -> list[Sentence]:
        """Every step of pass p as a sentence."""
        fan_in = [0] * len(self.nodes)
        for s in p.steps:
            if s.kind == "edge":
                fan_in[s.node if p.direction == "forward" else s.target] += 1
        step = self.forward_step if p.direction == "forward" else self.reverse_step
        return [step(p, s, fan_in) for s in p.steps]

    def forward_step(self, p: Pass, s, fan_in: list) -> Sentence:
        i, j = s.node, s.target
        if s.kind == "seed":
            if p.matrix:
                formula = Joined((Math((self.dot(i), EQUALS, self.grad(i, i), Formula(" = I", " = I"))),
                                  Block(self.flat(p, s.total, i))), "")
            else:
                formula = Math((self.dot(i), EQUALS, self.grad(i, i), Formula(" = 1", " = 1")))
            return Sentence("modes.forward_seed", {"x": self.who(i), "formula": formula})
        if s.kind == "sum":
            terms = [p.steps[k] for k in s.terms]
            symbolic = []
            for k, e in enumerate(terms):
                symbolic += ([PLUS] if k else []) + [self.grad(e.target, i), TIMES, self.dot(e.target)]
            if p.matrix:
                formula = Joined((Math((self.dot(i), EQUALS, *symbolic, Formula(" =", " ="))),
                                  Block(self.flat(p, s.total, i))), "")
            else:
                numbers = []
                equation = Equation(added, tuple([e.contribution for e in terms]), s.total)
                for k, e in enumerate(terms):
                    numbers += ([PLUS] if k else []) + [Num(e.contribution, paren=k > 0, within=equation)]
                formula = Math((self.dot(i), EQUALS, *symbolic, EQUALS, *numbers, Sign(equation), Num(s.total)))
            return Sentence("modes.forward_sum", {"node": self.who(i), "count": len(terms), "formula": formula})
        if p.matrix:
            rule = Joined((Math((self.dot(i), EQUALS, self.grad(j, i), TIMES, self.dot(j), EQUALS,
                                 self.local_matrix(s, i, j), TIMES, self.dot(j), Formula(" =", " ="))),
                           Block(self.flat(p, s.contribution, i))), "")
            return Sentence("modes.forward_matrix_edge", {
                "gate": self.gate(i), "shape": self.shape(i), "source": self.who(j), "sshape": self.shape(j),
                "local": Math((self.grad(j, i), EQUALS, self.local_matrix(s, i, j))),
                "incoming": Math((self.dot(j), EQUALS, Num(self.flat(p, s.upstream, j)))), "rule": rule},
                self.diagonal_note(i, j))
        product = Product(s.local, s.upstream, s.contribution)
        params = {"gate": self.gate(i), "local": self.local(s), "incoming": Num(s.upstream)}
        if fan_in[i] == 1:
            params.update(node=self.who(i), formula=Math((self.dot(i), EQUALS, self.grad(j, i), TIMES, self.dot(j),
                                                          EQUALS, product)))
            return Sentence("modes.forward_edge_one", params)
        params.update(source=self.who(j), formula=Math((self.grad(j, i), TIMES, self.dot(j), EQUALS, product)))
        return Sentence("modes.forward_edge", params)

    def reverse_step(self, p: Pass, s, fan_in: list) -> Sentence:
        """A reverse pass from one of a Jacobian's outputs: backward's sentences,
        with that output in the place of f; stacked rows over a vector output."""
        y, i, j = p.about, s.node, s.target
        if s.kind == "seed":
            if p.matrix:
                formula = Joined((Math((self.grad(y, y), Formula(" = I", " = I"))), Block(self.flat(p, s.total, y))), "")
            else:
                formula = Math((self.grad(y, y), Formula(" = 1", " = 1")))
            return Sentence("modes.reverse_seed", {"y": self.who(y), "formula": formula})
        if s.kind == "sum":
            if not p.matrix:
                return self.sum(s, p.steps, y, TIMES)
            terms = sorted((p.steps[k] for k in s.terms), key=lambda e: e.node)
            symbolic = []
            for k, e in enumerate(terms):
                symbolic += ([PLUS] if k else []) + [self.grad(e.node, y), TIMES, self.grad(j, e.node)]
            formula = Joined((Math((self.grad(j, y), EQUALS, *symbolic, Formula(" =", " ="))),
                              Block(self.flat(p, s.total, j))), "")
            return Sentence("render.sum", {"target": self.who(j), "count": len(terms), "formula": formula})
        if p.matrix:
            rule = Joined((Math((self.grad(j, y), EQUALS, self.grad(i, y), TIMES, self.grad(j, i), EQUALS,
                                 self.grad(i, y), TIMES, self.local_matrix(s, i, j), Formula(" =", " ="))),
                           Block(self.flat(p, s.contribution, j))), "")
            return Sentence("modes.reverse_matrix_edge", {
                "gate": self.gate(i), "shape": self.shape(i), "target": self.who(j), "tshape": self.shape(j),
                "local": Math((self.grad(j, i), EQUALS, self.local_matrix(s, i, j))),
                "upstream": Math((self.grad(i, y), EQUALS, Num(self.flat(p, s.upstream, i)))), "rule": rule},
                self.diagonal_note(i, j))
        key = "render.edge_one" if len(self.nodes[i].args) == 1 else "render.edge"
        if fan_in[j] > 1:
            key += "_path"
        return Sentence(key, {"gate": self.gate(i), "node": self.who(i), "target": self.who(j),
                              "local": self.local(s), "upstream": Num(s.upstream),
                              "product": Math((Product(s.local, s.upstream, s.contribution),))})

    def flat(self, p: Pass, value, i: int):
        """A stacked value as a matrix: forward, node i's entries by the input's;
        reverse, the output's entries by node i's."""
        import numpy as np
        node = int(np.size(self.d.node_values[i]))
        seed = int(np.size(self.d.node_values[p.about]))
        shape = (node, seed) if p.direction == "forward" else (seed, node)
        return np.reshape(np.broadcast_to(value, np.shape(value)), shape)

    def entrywise(self, i: int, j: int) -> bool:
        """Node i works entry by entry on input j (same shape): its Jacobian is diagonal."""
        import numpy as np
        values = self.d.node_values
        return not self.nodes[i].op.tensor and np.shape(values[i]) == np.shape(values[j]) and np.size(values[i]) > 1

    def local_matrix(self, s, i: int, j: int):
        """The local Jacobian ∂node/∂input: diag(…) for an entrywise gate, the matrix
        when it is small, else its size."""
        import numpy as np
        local = s.local
        if local is None:
            return text_formula(f"({np.size(self.d.node_values[i])}×{np.size(self.d.node_values[j])})")
        if self.entrywise(i, j):
            diagonal = np.diagonal(local)
            if diagonal.size <= 10:
                entries = []
                for k, v in enumerate(diagonal):
                    entries += ([Formula(", ", ", ")] if k else []) + [Num(float(v))]
            else:
                entries = [Num(diagonal)]
            return Math((Formula("diag(", r"\operatorname{diag}("), *entries, Formula(")", ")")))
        return Num(local) if is_small(local) else text_formula(f"({local.shape[0]}×{local.shape[1]})")

    def diagonal_note(self, i: int, j: int) -> tuple:
        """Once per entrywise gate over arrays: its Jacobian is diagonal (sparse), never built."""
        if not self.entrywise(i, j) or (i, j) in self.noted:
            return ()
        self.noted.add((i, j))
        return (Sentence("modes.diagonal", {"gate": self.gate(i), "jacobian": Math((self.grad(j, i),))}),)

    # ---- forward mode's tangents against the central differences ---------------------------------
    def tangent_checks(self) -> list[Sentence]:
        d = self.d
        grads = {c.name: c for c in d.checks}
        return [Sentence("modes.tangent_check", {
            "name": self.who(d.graph.inputs[c.name]), "tangent": Num(c.analytic),
            "gradient": Num(grads[c.name].analytic), "numeric": "" if c.numeric is None else Num(c.numeric),
            "rel": rel_error(c.rel_error), "verdict": Mark(c.verdict)}) for c in d.forward_checks]

    # ---- the Jacobian ---------------------------------------------------------------------------
    def listed(self, nodes: list):
        """One node as a term; several in brackets: (y1, y2)."""
        if len(nodes) == 1:
            return self.term(nodes[0])
        plain = [self.nodes[i].label if type(self.term(i)) is Name else self.term(i).plain for i in nodes]
        return Formula("(" + ", ".join(plain) + ")", "(" + ", ".join(self.term_latex(i) for i in nodes) + ")")

    def jacobian_lines(self) -> list[Sentence]:
        """The title, the layout convention (once), what a scalar output's row is,
        and how the matrix was built both ways."""
        d, jac = self.d, self.d.jacobian
        ins = self.listed([d.graph.inputs[x] for x in jac.inputs])
        jacobian = Partial(self.listed(list(jac.outputs)), ins)
        rows, columns = self.size()
        lines = [Sentence("modes.jacobian_title", {"jacobian": Math((jacobian,)), "rows": rows, "columns": columns}),
                 self.layout()]
        if d.scalar:
            lines.append(Sentence("modes.scalar_row", {"f": self.who(d.graph.output), "columns": columns}))
        lines.append(Sentence("modes.built", {"forward": d.cost["forward"].passes,
                                              "reverse": d.cost["reverse"].passes, "agree": rel_error(jac.agree)}))
        return lines

    def layout(self) -> Sentence:
        """The layout convention, with this problem's own matrix product as the
        example of the transpose it explains (∂f/∂W = ∂f/∂q·xᵀ), if it has one."""
        product = next((i for i, node in enumerate(self.nodes) if node.op.name == "matmul"), None)
        if product is None:
            return Sentence("modes.layout_plain", {})
        node = self.nodes[product]
        rule = Rule(node.op, 0, node.c, tuple(self.operand(j) for j in node.args), g=self.grad(product))
        return Sentence("modes.layout", {"example": Math((self.grad(node.args[0]), EQUALS, rule))})

    def size(self) -> tuple[int, int]:
        import numpy as np
        jac = self.d.jacobian
        rows = sum(int(np.size(self.d.node_values[o])) for o in jac.outputs)
        return rows, sum(int(np.size(self.d.values[x])) for x in jac.inputs)

    def jacobian_tables(self) -> list:
        """The Jacobian in full when it has at most JACOBIAN_FULL rows and columns
        (one table: row labels, column labels, cells); else a table per input
        that fits and a sentence for each that does not."""
        import numpy as np
        jac = self.d.jacobian
        rows, columns = self.size()
        if rows <= JACOBIAN_FULL and columns <= JACOBIAN_FULL:
            return [self.table(jac.inputs)]
        return [self.table((x,)) if rows <= JACOBIAN_FULL and np.size(self.d.values[x]) <= JACOBIAN_FULL
                else self.summary(x) for x in jac.inputs]

    def table(self, inputs) -> JacobianTable:
        """The outputs by `inputs`: column labels, (row label, cells) per row."""
        import numpy as np
        jac = self.d.jacobian
        columns = [label for x in inputs for label in entry_labels(x, np.shape(self.d.values[x]))]
        rows = []
        for o in jac.outputs:
            labels = entry_labels(self.nodes[o].label, np.shape(self.d.node_values[o]))
            blocks = [np.reshape(jac.blocks[o, x], (len(labels), -1)) for x in inputs]
            for r, label in enumerate(labels):
                rows.append((label, [float(v) for block in blocks for v in block[r]]))
        return JacobianTable(columns, rows)

    def summary(self, x: str) -> Sentence:
        import numpy as np
        jac = self.d.jacobian
        blocks = [np.reshape(jac.blocks[o, x], (int(np.size(self.d.node_values[o])), -1)) for o in jac.outputs]
        stacked = np.concatenate(blocks, axis=0)
        block = Partial(self.listed(list(jac.outputs)), self.term(self.d.graph.inputs[x]))
        return Sentence("modes.summary", {"block": Math((block,)), "rows": stacked.shape[0],
                                          "columns": stacked.shape[1], "limit": JACOBIAN_FULL,
                                          "nonzero": int(np.count_nonzero(stacked)), "entries": stacked.size,
                                          "largest": Num(float(np.max(np.abs(stacked))))})

    def jacobian_checks(self) -> list[Sentence]:
        d = self.d
        return [Sentence("modes.block_check", {"block": Math((self.grad(d.graph.inputs[c.input], c.output),)),
                                               "checked": c.checked, "total": c.entries,
                                               "rel": rel_error(c.rel_error), "verdict": Mark(c.verdict)})
                for c in d.jacobian.checks]

    # ---- the cost -------------------------------------------------------------------------------
    def cost_lines(self) -> list:
        """Both modes' passes and multiply-adds, and which is cheaper and why;
        nothing unless both modes ran."""
        cost = self.d.cost
        if set(cost) != {"forward", "reverse"}:
            return []
        forward, reverse = cost["forward"], cost["reverse"]
        verdict = "modes.tie" if forward.multiply_adds == reverse.multiply_adds else \
            "modes.reverse_wins" if reverse.multiply_adds < forward.multiply_adds else "modes.forward_wins"
        reason = "modes.same_passes" if forward.passes == reverse.passes else \
            "modes.more_inputs" if forward.passes > reverse.passes else "modes.more_outputs"
        return [Sentence("modes.cost_forward", {"passes": forward.passes,
                                                "multiply_adds": f"{forward.multiply_adds:,}"}),
                Sentence("modes.cost_reverse", {"passes": reverse.passes,
                                                "multiply_adds": f"{reverse.multiply_adds:,}"}),
                Joined((Sentence(verdict, {}), Sentence(reason, {"inputs": forward.passes,
                                                                 "outputs": reverse.passes})), "space")]


def text_formula(text: str) -> Formula:
    """Words inside math: (3×4)."""
    return Formula(text, rf"\text{{{text}}}")
