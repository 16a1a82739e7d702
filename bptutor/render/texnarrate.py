"""The narration with its formulas as inline LaTeX ($\\frac{\\partial f}{\\partial x}$),
shared by the Markdown and LaTeX exports. The sentences are the Narrator's
(same catalog, same words); only the pieces put into them change: formulas
and numbers become math, node labels become code."""
from __future__ import annotations

from ..i18n import t
from .numbers import paren, shown_product_differs, short, tex_escape, tex_name, tex_num, tex_sci
from ..core.ops import fill, gate_label
from ..core.records import Step
from .formula import gate_latex, typeset
from .narrate import _IDENT, Narrator, elide


MAX_FORMULA = 60         # longer expressions are named by their labels, not typeset in full
MAX_SOURCE_FORMULA = 400     # the header formula f = <the expression>
_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"


class TexNarrator(Narrator):
    """`code` wraps a label as code: `x+y` in Markdown, \\texttt{x+y} in LaTeX;
    `prose` makes catalog text safe (LaTeX has no glyph for ᵀ or ⊙ in text)."""

    def __init__(self, d, lang="en", digits=4, code=lambda s: f"`{s}`", prose=lambda s: s):
        super().__init__(d, lang, digits)
        self.code, self.prose = code, prose
        # Vectors and matrices: the array narrator decides what a step is (shapes,
        # summed axes, scalar or not); this class only typesets it.
        self.arrays = None
        if getattr(d, "arrays", False):
            from .narrate_array import ArrayNarrator
            self.arrays = ArrayNarrator(d, lang, digits)

    # ---- pieces -----------------------------------------------------------------
    def tex(self, x) -> str:
        return tex_num(x, self.digits)

    def n(self, x) -> str:
        return f"${self.tex(x)}$"

    def gate(self, i: int) -> str:
        return self.code(super().gate(i))

    def who(self, i: int) -> str:
        node = self.nodes[i]
        if node.op.name == "input":
            return f"${tex_name(node.label)}$"
        return t("render.node", self.lang, label=self.code(node.label))

    def label_tex(self, i: int) -> str:
        """A node in a formula: its name, or its expression in brackets."""
        label = self.nodes[i].label
        return tex_name(label) if _IDENT.match(label) else self.expression_tex(i)

    def expression_tex(self, i: int) -> str:
        """A node whose label is not a name, in brackets: its expression typeset
        from the graph when the label is its text (`w0*x0`, `2^x`), else its
        gate (`+1`, `exp`, `+₂`)."""
        node = self.nodes[i]
        label = node.label
        typed = typeset(self.d.graph, i, 4 * len(label) + 16)
        is_gate = label.rstrip(_SUBSCRIPT_DIGITS) == gate_label(node.op, node.c, short)
        if typed is None or (typed[0] != label and is_gate):
            return f"({gate_latex(node, label)})"
        return f"({typed[1]})"

    def partial(self, top: int, bottom: int) -> str:
        return rf"\frac{{\partial {self.label_tex(top)}}}{{\partial {self.label_tex(bottom)}}}"

    def symbol_tex(self, i: int, k: int) -> str:
        """Narrator.symbol in LaTeX: a name, (an expression), or u/v."""
        sym = self.symbol(i, k)
        return self.expression_tex(i) if sym.startswith("(") else tex_name(sym)

    def local_text(self, s: Step) -> str:
        """$-\\frac{1}{u^2} = -\\frac{1}{1.37^2} = -0.53$"""
        node = self.nodes[s.node]
        syms = [self.symbol_tex(j, k) for k, j in enumerate(node.args)] + ["", ""]
        vals = [paren(self.tex(self.d.node_values[j])) for j in node.args] + ["", ""]
        formula = fill(node.op, s.k, node.c, syms[0], syms[1], latex=True, cfmt=short)
        parts = [formula]
        numbers = fill(node.op, s.k, node.c, vals[0], vals[1], latex=True, cfmt=short)
        value = self.tex(s.local)
        if numbers != formula and numbers != paren(value):
            parts.append(numbers)
        if parts[-1] != value:
            parts.append(value)
        return "$" + " = ".join(parts) + "$"

    def product_text(self, s: Step) -> str:
        approx = isinstance(s.local, float) and shown_product_differs(s.local, s.upstream, s.contribution,
                                                                        self.digits)
        sign = r"\approx" if approx else "="
        return (f"${self.tex(s.local)} \\times {paren(self.tex(s.upstream))} {sign} "
                f"{self.tex(s.contribution)}$")

    # ---- sentences ----------------------------------------------------------------
    def sentence(self, s: Step) -> str:
        if s.kind == "seed":
            out = self.d.graph.output
            return t("export.seed", self.lang, f=f"${self.label_tex(out)}$", gate=self.gate(s.node),
                     formula=f"${self.partial(out, out)} = 1$")
        if self.arrays is not None and s.kind == "edge" and not self.arrays.scalar_step(s):
            return self.array_sentence(s)
        return super().sentence(s)

    # ---- vectors and matrices: the rule as the notes write it, ∂f/∂W = ∂f/∂q x^T ----
    def operand_tex(self, i: int, k: int) -> str:
        label = self.nodes[i].label
        if _IDENT.match(label):
            return tex_name(label)
        if self.nodes[i].op.name == "const":
            typed = typeset(self.d.graph, i, 4 * len(label) + 16)
            return typed[1] if typed else label
        return self.expression_tex(i) if len(label) <= 12 else "uv"[k] if k < 2 else f"x_{{{k}}}"

    def array_rule(self, s: Step) -> str:
        node = self.nodes[s.node]
        syms = [self.operand_tex(j, k) for k, j in enumerate(node.args)] + ["", ""]
        g = self.partial(self.d.graph.output, s.node)
        if node.op.vjp:
            return fill(node.op, s.k, node.c, syms[0], syms[1], latex=True, cfmt=short, g=g,
                        o=self.operand_tex(s.node, 0))
        local = fill(node.op, s.k, node.c, syms[0], syms[1], latex=True, cfmt=short)
        body = g if local == "1" else f"-{g}" if local == "-1" else rf"{g} \odot {local}"
        axes = self.arrays.axes(s)
        if axes:
            under = ", ".join(str(a) for a in axes) if self.arrays.shape(s.target) else ""
            body = rf"\operatorname{{sum}}_{{{under}}}\left({body}\right)"
        return body

    def array_sentence(self, s: Step) -> str:
        arr = self.arrays
        out = self.d.graph.output
        rule = f"${self.partial(out, s.target)} = {self.array_rule(s)} = {self.tex(s.contribution)}$"
        key = "tensor.edge_path" if self.fan_in[s.target] > 1 else "tensor.edge"
        text = t(key, self.lang, gate=self.gate(s.node), shape=arr.shape(s.node), target=self.who(s.target),
                 tshape=arr.shape(s.target), rule=rule)
        axes = arr.axes(s)
        if axes:
            text += " " + t("tensor.summed", self.lang, target=self.code(self.nodes[s.target].label),
                            axes=", ".join(str(a) for a in axes))
        op = self.nodes[s.node].op
        if op.vjp and s.k == 0:                                          # once per gate
            text += " " + self.prose(t(op.lesson, self.lang))
        return text

    def sum_sentence(self, s: Step) -> str:
        if self.arrays is not None and getattr(s.total, "shape", ()):
            out = self.d.graph.output
            terms = sorted((self.d.steps[k] for k in s.terms), key=lambda e: e.node)
            symbolic = " + ".join(self.array_rule(e) for e in terms)
            formula = f"${self.partial(out, s.target)} = {symbolic} = {self.tex(s.total)}$"
            return t("render.sum", self.lang, target=self.who(s.target), count=len(terms), formula=formula)
        return self.scalar_sum_sentence(s)

    def scalar_sum_sentence(self, s: Step) -> str:
        out = self.d.graph.output
        terms = sorted((self.d.steps[k] for k in s.terms), key=lambda e: e.node)
        shown = elide(terms)
        symbolic = " + ".join(r"\cdots" if e is None else self.partial(out, e.node) + self.partial(e.node, s.target)
                              for e in shown)
        numbers = " + ".join(r"\cdots" if e is None else paren(self.tex(e.contribution)) if k
                             else self.tex(e.contribution) for k, e in enumerate(shown))
        formula = f"${self.partial(out, s.target)} = {symbolic} = {numbers} = {self.tex(s.total)}$"
        return t("render.sum", self.lang, target=self.who(s.target), count=len(terms), formula=formula)

    def values_tex(self) -> str:
        """w_{0} = 2,\\ x_{0} = -1,\\ …"""
        return r",\ ".join(f"{tex_name(name)} = {self.given_tex(v)}" for name, v in self.d.values.items())

    def given_tex(self, v) -> str:
        """An input as the user gave it (0.5, not 0.50)."""
        return tex_sci(short(v)) if isinstance(v, float) else self.tex(v)

    def forward_tex(self) -> list[list[str]]:
        """Each computed node as [expression, value] (a named one as [name, expression, value]),
        in evaluation order; an expression too long to read is left to its label."""
        lines = []
        for i, node in enumerate(self.nodes):
            if not node.args:
                continue
            name = node.name or (node.label if i == self.d.graph.output else "")
            parts = [tex_name(name)] if name else []
            typed = typeset(self.d.graph, i, MAX_FORMULA)
            if typed is not None and typed[0] != name:
                parts.append(typed[1])
            if not parts:
                parts.append(self.label_tex(i))
            lines.append(parts + [self.tex(self.d.node_values[i])])
        return lines

    def source_tex(self) -> str | None:
        """`f = <the expression>` as a display formula; None for a program of
        statements (shown as code) or an expression too long to typeset."""
        source = self.d.source
        if any(ch in source for ch in ";=#") or not _IDENT.match(self.out.label):
            return None
        typed = typeset(self.d.graph, self.d.graph.output, MAX_SOURCE_FORMULA)
        return None if typed is None else f"{tex_name(self.out.label)} = {typed[1]}"


def latex_code(text: str) -> str:
    return r"\texttt{" + tex_escape(text) + "}"
