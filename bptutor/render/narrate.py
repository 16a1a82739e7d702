"""The words of a derivation, shared by every renderer: for each step the
sentence the notes write (local gradient × upstream gradient = gradient), in
zh or en, with numbers at --digits. Plain strings; renderers add the styling."""
from __future__ import annotations

import re

from ..i18n import t
from .numbers import num, paren, rel_error, shown_product_differs, short
from ..core.ops import fill, gate_label
from ..core.records import Derivation, Step

_IDENT = re.compile(r"^[^\W\d]\w*$")


def narrator(d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False) -> "Narrator":
    """The narrator for this derivation: scalars, or vectors and matrices."""
    if d.arrays:
        from .narrate_array import ArrayNarrator
        return ArrayNarrator(d, lang, digits, show_all)
    return Narrator(d, lang, digits)


MAX_TERMS = 12         # terms of a sum of paths written out; more are elided in the middle


def elide(items: list, head: int = 8, tail: int = 3) -> list:
    """items, or its head and tail with None where the middle was left out."""
    if len(items) <= MAX_TERMS:
        return items
    return items[:head] + [None] + items[-tail:]


class Narrator:
    def __init__(self, d: Derivation, lang: str = "en", digits: int = 4):
        self.d, self.lang, self.digits = d, lang, digits
        self.nodes = d.graph.nodes
        self.out = self.nodes[d.graph.output]
        fan_in = [0] * len(self.nodes)
        for s in d.steps:
            if s.kind == "edge":
                fan_in[s.target] += 1
        self.fan_in = fan_in

    # ---- small pieces -----------------------------------------------------------
    def n(self, x) -> str:
        return num(x, self.digits)

    def gate(self, i: int) -> str:
        """A gate as a sentence names it: by its label (`+1`, `exp`, `w0*x0`), the
        unnamed output by its gate (`1/x`), a named node by its statement as the
        program wrote it (`d = sqrt(c)`) when that is short."""
        node = self.nodes[i]
        gate = gate_label(node.op, node.c, short)
        if not node.name:
            return gate if i == self.d.graph.output else node.label
        text = " ".join(self.d.graph.source[node.start:node.end].split())
        return f"{node.name} = {text}" if len(text) <= 20 else f"{node.name} ({gate})"

    def who(self, i: int) -> str:
        """How a sentence names a node: inputs by name, others as '<label> 结点' / 'node <label>'."""
        node = self.nodes[i]
        if node.op.name == "input":
            return node.label
        return t("render.node", self.lang, label=node.label)

    def symbol(self, i: int, k: int) -> str:
        """An operand as it appears in a formula: its name, its text in brackets
        when it is a short expression (x+y), else u/v for the gate's input."""
        node = self.nodes[i]
        label = node.label
        if _IDENT.match(label):
            return label
        if label.rstrip("₀₁₂₃₄₅₆₇₈₉") != gate_label(node.op, node.c, short):
            return f"({label})"
        return "uv"[k] if k < 2 else f"x{k}"

    def d_of(self, i: int) -> str:
        """∂f/∂label, with brackets where the label is an expression."""
        label = self.nodes[i].label
        return label if _IDENT.match(label) else f"({label})"

    def local_text(self, s: Step) -> str:
        """-1/u² = -1/1.37² = -0.53: the formula, with the numbers, and its value."""
        node = self.nodes[s.node]
        args = node.args
        syms = [self.symbol(j, k) for k, j in enumerate(args)] + ["", ""]
        vals = [paren(self.n(self.d.node_values[j])) for j in args] + ["", ""]
        formula = fill(node.op, s.k, node.c, syms[0], syms[1], cfmt=short)
        parts = [formula]
        numbers = fill(node.op, s.k, node.c, vals[0], vals[1], cfmt=short)
        value = self.n(s.local)
        if numbers != formula and numbers != paren(value):
            parts.append(numbers)
        if parts[-1] != value:
            parts.append(value)
        return " = ".join(parts)

    def product_text(self, s: Step) -> str:
        """2 × 0.20 ≈ 0.39: ≈ where the shown factors do not give the shown product."""
        local, up, contrib = self.n(s.local), self.n(s.upstream), self.n(s.contribution)
        approx = isinstance(s.local, float) and shown_product_differs(s.local, s.upstream, s.contribution,
                                                                        self.digits)
        return f"{local} × {paren(up)} {'≈' if approx else '='} {contrib}"

    # ---- sentences --------------------------------------------------------------
    def sentence(self, s: Step) -> str:
        lang = self.lang
        if s.kind == "seed":
            out = self.out
            return t("render.seed", lang, node=self.who(s.node), gate=gate_label(out.op, out.c, short),
                     f=out.label)
        if s.kind == "sum":
            return self.sum_sentence(s)
        node = self.nodes[s.node]
        key = "render.edge_one" if len(node.args) == 1 else "render.edge"
        if self.fan_in[s.target] > 1:
            key += "_path"
        return self.in_call(s, t(key, lang, gate=self.gate(s.node), node=self.who(s.node),
                                 target=self.who(s.target), local=self.local_text(s), upstream=self.n(s.upstream),
                                 product=self.product_text(s)))

    def in_call(self, s: Step, text: str) -> str:
        """A step inside a call of the user's function names the call (calls within calls joined by ›)."""
        call = self.nodes[s.node].call
        return t("render.in_call", self.lang, calls=" › ".join(call), step=text) if call else text

    def sum_sentence(self, s: Step) -> str:
        f = self.d_of(self.d.graph.output)
        x = self.d_of(s.target)
        terms = sorted((self.d.steps[k] for k in s.terms), key=lambda e: e.node)  # as the notes order them
        count = len(terms)
        shown = elide(terms)            # 100,000 paths meeting at x: a sentence, not a book
        symbolic = " + ".join("…" if e is None else f"∂{f}/∂{self.d_of(e.node)}·∂{self.d_of(e.node)}/∂{x}"
                              for e in shown)
        numbers = " + ".join("…" if e is None else paren(self.n(e.contribution)) if k else self.n(e.contribution)
                             for k, e in enumerate(shown))
        formula = f"∂{f}/∂{x} = {symbolic} = {numbers} = {self.n(s.total)}"
        return t("render.sum", self.lang, target=self.who(s.target), count=count, formula=formula)

    def forward_items(self) -> list[tuple[str, str]]:
        """(label, value) of every computed node, in evaluation order."""
        return [(node.label, self.n(self.d.node_values[i])) for i, node in enumerate(self.nodes)
                if node.args]

    def value_items(self) -> list[tuple[str, str]]:
        """The inputs as the user gave them (0.5, not 0.5000)."""
        return [(name, self.given(v)) for name, v in self.d.values.items()]

    def given(self, v) -> str:
        return short(v) if isinstance(v, float) else self.n(v)

    def cell(self, x) -> str:
        """A computed value in a table cell."""
        return self.n(x)

    def verdict(self, verdict: str) -> str:
        return t(f"render.verdict_{verdict}", self.lang)

    # ---- the numeric check ------------------------------------------------------------
    def check_title(self) -> str:
        eps = self.d.eps
        return t("render.check_title", self.lang) if eps is None else \
            t("render.check_title_forced", self.lang, eps=format(eps, "g"))

    def check_columns(self) -> list[str]:
        """The check table's columns; `allowed` only where some difference is
        less accurate than CS231n's 1e-7 (else the note under the table says so)."""
        allowed = any(c.coarse for c in self.d.checks)
        return ["input", "value", "gradient", "numeric", "h", "rel_error"] + ["allowed"] * allowed + ["verdict"]

    def check_cells(self, c) -> list[str]:
        """numeric, h, rel. error, (allowed,) verdict: one check's cells after the gradient."""
        cells = ["" if c.numeric is None else self.cell(c.numeric), rel_error(c.h), rel_error(c.rel_error)]
        if "allowed" in self.check_columns():
            cells.append(rel_error(c.allowed))
        return cells + [self.verdict(c.verdict)]

    def check_notes(self) -> list[str]:
        """Under the check table: how a verdict is reached, then why for each
        input that is not simply right (wrong, a kink crossed, not checkable)."""
        lang, checks = self.lang, self.d.checks
        fine = all(c.verdict == "ok" and not c.coarse for c in checks)
        bands = "render.check_bands_fine" if fine else "render.check_bands"
        notes = [t(bands, lang)] if checks else []
        for c in checks:
            if c.verdict == "ok":
                continue
            name = c.name if c.entry is None or not c.entry else f"{c.name}[{', '.join(map(str, c.entry))}]"
            params = dict(name=name, h=rel_error(c.h), error=rel_error(c.error), rel=rel_error(c.rel_error),
                          allowed=rel_error(c.allowed), band=t(f"render.band_{c.band}", lang) if c.band else "")
            if c.verdict == "fail":
                notes.append(t("render.check_fail", lang, **params))
            elif c.verdict == "kink":
                notes.append(t("render.check_kink", lang, node=self.nodes[c.kink].label, **params))
            else:
                notes.append(t(f"render.check_{c.reason}", lang, **params))
        return notes

    def warnings(self) -> list[str]:
        return [t(key, self.lang, **params) for key, params in self.d.warnings]
