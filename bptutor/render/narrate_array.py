"""The words of a derivation over vectors and matrices. Each step gives the
shapes and the rule as the notes write it, ∂L/∂W = ∂L/∂q·xᵀ, ∂L/∂x = Wᵀ·∂L/∂q,
∂L/∂z = ∂L/∂h ⊙ φ'(z), then the numbers: small arrays in full (a matrix one row
per line), large ones summarised (shape, first entries, norm) unless --all.
Steps whose values are all scalars read as in the scalar narration."""
from __future__ import annotations

from ..i18n import t
from .numbers import array_text, is_small, matrix_rows, paren, shape_tuple, short
from ..core.ops import fill
from ..core.records import Derivation, Step
from .narrate import _IDENT, Narrator

INDENT = "    "


def shape_of(x) -> tuple:
    return tuple(getattr(x, "shape", ()))


def summed_axes(out_shape: tuple, shape: tuple) -> tuple:
    """Axes of a broadcast result summed to give back an operand's shape (a bias
    (3, 1) added to (3, N): axis 1, the batch)."""
    lead = len(out_shape) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and out_shape[lead + i] != 1)


class ArrayNarrator(Narrator):
    def __init__(self, d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False):
        super().__init__(d, lang, digits)
        self.show_all = show_all
        # the first entrywise step over arrays says once why the product is ⊙
        self.first_entrywise = next((k for k, s in enumerate(d.steps) if s.kind == "edge"
                                     and not self.nodes[s.node].op.vjp and shape_of(s.local)), None)

    # ---- numbers ------------------------------------------------------------------
    def n(self, x) -> str:
        return array_text(x, self.digits, full=self.show_all) if shape_of(x) else super().n(x)

    def block(self, x) -> str:
        """A value to end a sentence with: a matrix one row per line, columns aligned."""
        shape = shape_of(x)
        if len(shape) != 2 or shape[0] < 2 or not (self.show_all or is_small(x)):
            return " " + self.n(x)
        rows = matrix_rows(x, self.digits)
        lines = ["[" + rows[0] + ","] + [" " + r + "," for r in rows[1:-1]] + [" " + rows[-1] + "]"]
        return "\n" + "\n".join(INDENT + line for line in lines)

    def cell(self, x) -> str:
        """A value in a table cell: a small matrix one row per line; a sampled
        numeric gradient by how many entries were checked."""
        shape = shape_of(x)
        if shape and x.dtype.kind == "f" and (x != x).any():
            return t("tensor.checked_entries", self.lang, checked=int((x == x).sum()), total=x.size)
        if len(shape) == 2 and shape[0] > 1 and (self.show_all or is_small(x)):
            return "\n".join(matrix_rows(x, self.digits))
        return self.n(x)

    def shape(self, i: int) -> str:
        """ (2, 2) after a name in a sentence; nothing for a scalar."""
        shape = shape_of(self.d.node_values[i])
        return " " + shape_tuple(shape) if shape else ""

    def given(self, v) -> str:
        return shape_tuple(v.shape) if shape_of(v) else short(v) if isinstance(v, float) else self.n(v)

    def value_items(self) -> list[tuple[str, str]]:
        """The inputs as given: [[0.1, 0.5], [-0.3, 0.8]]; large ones summarised."""
        return [(name, array_text(v, self.digits, self.show_all, entry=short) if shape_of(v) else self.given(v))
                for name, v in self.d.values.items()]

    # ---- formulas -------------------------------------------------------------------
    def operand(self, i: int, k: int) -> str:
        """An operand in a formula: its name, a short expression in brackets, else u/v."""
        label = self.nodes[i].label
        if _IDENT.match(label) or self.nodes[i].op.name == "const":
            return label
        return f"({label})" if len(label) <= 12 else "uv"[k] if k < 2 else f"x{k}"

    def grad_symbol(self, i: int) -> str:
        return f"∂{self.d_of(self.d.graph.output)}/∂{self.d_of(i)}"

    def rule(self, s: Step) -> str:
        """The contribution of edge s as the notes write it: ∂f/∂q·xᵀ, ∂f/∂h ⊙ 2·h,
        sum(∂f/∂z, 1) where the operand was broadcast."""
        node = self.nodes[s.node]
        syms = [self.operand(j, k) for k, j in enumerate(node.args)] + ["", ""]
        g = self.grad_symbol(s.node)
        if node.op.vjp:
            return fill(node.op, s.k, node.c, syms[0], syms[1], cfmt=short, g=g, o=self.operand(s.node, 0))
        local = fill(node.op, s.k, node.c, syms[0], syms[1], cfmt=short)
        body = g if local == "1" else f"-{g}" if local == "-1" else f"{g} ⊙ {local}"
        axes = self.axes(s)
        if axes and not shape_of(s.contribution):
            body = f"sum({body})"
        elif axes:
            body = f"sum({body}, {axes[0] if len(axes) == 1 else axes})"
        return body

    def axes(self, s: Step) -> tuple:
        node = self.nodes[s.node]
        if node.op.vjp:
            return ()
        return summed_axes(shape_of(s.upstream), shape_of(self.d.node_values[s.target]))

    def numbers(self, s: Step) -> str:
        """upstream ⊙ local = result, when the factors are short vectors; else the result."""
        up, local, out = s.upstream, s.local, s.contribution
        node = self.nodes[s.node]
        if (not node.op.vjp and not self.axes(s) and local is not None and not isinstance(local, float)
                and all(len(shape_of(x)) <= 1 and is_small(x) for x in (up, local, out))):
            return f" {self.n(up)} ⊙ {self.n(local)} ={self.block(out)}"
        return self.block(out)

    # ---- sentences -----------------------------------------------------------------
    def scalar_step(self, s: Step) -> bool:
        return not any(shape_of(x) for x in (s.local, s.upstream, s.contribution)) and s.local is not None

    def sentence(self, s: Step) -> str:
        if s.kind == "seed":
            return super().sentence(s)
        if s.kind == "sum":
            return self.sum_sentence(s)
        if self.scalar_step(s):
            return super().sentence(s)
        lang = self.lang
        key = "tensor.edge_path" if self.fan_in[s.target] > 1 else "tensor.edge"
        rule = f"{self.grad_symbol(s.target)} = {self.rule(s)} ={self.numbers(s)}"
        text = t(key, lang, gate=self.gate(s.node), shape=self.shape(s.node), target=self.who(s.target),
                 tshape=self.shape(s.target), rule=rule)
        axes = self.axes(s)
        if axes:
            text += "\n" + INDENT + t("tensor.summed", lang, target=self.nodes[s.target].label,
                                      axes=", ".join(str(a) for a in axes))
        if self.first_entrywise is not None and self.d.steps[self.first_entrywise] is s:
            text += "\n" + INDENT + t("tensor.diagonal", lang)
        op = self.nodes[s.node].op
        if op.vjp and s.k == 0:                                         # once per gate
            text += "\n" + INDENT + t(op.lesson, lang)
        return self.in_call(s, text)

    def sum_sentence(self, s: Step) -> str:
        if not shape_of(s.total):
            return super().sum_sentence(s)
        x = self.grad_symbol(s.target)
        terms = sorted((self.d.steps[k] for k in s.terms), key=lambda e: e.node)  # as the notes order them
        symbolic = " + ".join(self.rule(e) for e in terms)
        numbers = ""
        if all(len(shape_of(e.contribution)) <= 1 and is_small(e.contribution) for e in terms):
            numbers = " " + " + ".join(paren(self.n(e.contribution)) for e in terms) + " ="
        formula = f"{x} = {symbolic} ={numbers}{self.block(s.total)}"
        return t("render.sum", self.lang, target=self.who(s.target), count=len(terms), formula=formula)

    def forward_items(self) -> list[tuple[str, str]]:
        items = []
        for i, node in enumerate(self.nodes):
            if node.args:
                v = self.d.node_values[i]
                shown = self.show_all or is_small(v)        # a summary starts with the shape
                items.append((node.label + (self.shape(i) if shown else ""), self.n(v)))
        return items
