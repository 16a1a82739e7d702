"""Forward mode, the reverse passes of a Jacobian, the Jacobian and what each
mode cost, in words (i18n/modes.toml), for every format: plain text for the
terminal (with a Narrator) or inline LaTeX for Markdown, LaTeX and HTML (with
a TexNarrator). The sentences mirror the backward narration's: the local
gradient, the tangent coming in, their product; where tangents meet,
ṅ = Σ ∂n/∂input·(input)˙ (MML eq. 5.121).

A pass over arrays stacks one run per entry of its seed (core/modes.py): a
tangent is then a Jacobian, shown as a matrix (rows: the node's entries,
columns: the input's), and a local gradient is the local Jacobian; an
entrywise gate's is diagonal, and the words say so (seed 004)."""
from __future__ import annotations

import re
import unicodedata
from string import Formatter

from ..core.records import Derivation, Pass
from ..i18n import t
from .narrate import _IDENT, Narrator
from .numbers import is_small, matrix_rows, paren, rel_error, shape_tuple, shown_product_differs

JACOBIAN_FULL = 8       # rows and columns of a Jacobian printed in full, with their labels
TEX_COLUMNS = 10        # amsmath's bmatrix takes at most this many columns
_ONE_LETTER = re.compile(r"^[^\W\d_][0-9₀-₉]*$")     # x, w0, c₁: the dot goes on the letter


class ModeWords:
    """The words of `d`'s passes and Jacobian with narrator `nar`; `tex`: its
    pieces are LaTeX (a TexNarrator), math goes between $…$."""

    def __init__(self, d: Derivation, nar: Narrator, tex: bool = False):
        self.d, self.nar, self.tex = d, nar, tex
        self.nodes = d.graph.nodes
        self.lang, self.digits = nar.lang, nar.digits
        self.noted: set = set()         # entrywise gates whose diagonal Jacobian was explained

    # ---- pieces of math (without the $…$ in LaTeX) --------------------------------------------
    def m(self, content: str) -> str:
        """Math in a sentence."""
        return f"${content}$" if self.tex else content

    def num(self, x) -> str:
        if not self.tex:
            return self.nar.n(x)
        shape = getattr(x, "shape", ())
        if len(shape) == 2 and shape[1] > TEX_COLUMNS:
            return self.num_text(shape_tuple(shape))
        return self.nar.tex(x)

    def prose(self, text: str) -> str:
        """Catalog text put into a sentence as a piece (a verdict), safe for the format."""
        prose = getattr(self.nar, "prose", None) if self.tex else None
        return text if prose is None else prose(text)

    def sym(self, i: int) -> str:
        """Node i in a formula: its name, or its expression in brackets."""
        return self.nar.label_tex(i) if self.tex else self.nar.d_of(i)

    def partial(self, top: int, bottom: int) -> str:
        return self.partial_of(self.sym(top), self.sym(bottom))

    def partial_of(self, top: str, bottom: str) -> str:
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}" if self.tex else f"∂{top}/∂{bottom}"

    def dot(self, i: int | str) -> str:
        """The tangent of node i (or of a symbol): ȧ, ẇ0, (w0*x0)˙; \\dot{a} in LaTeX."""
        if isinstance(i, str):
            return rf"\dot{{{i}}}" if self.tex else _dotted(i)
        if self.tex:
            return rf"\dot{{{self.sym(i)}}}"
        label = self.nodes[i].label
        if _ONE_LETTER.match(label):
            return _dotted(label)
        return f"{label}˙" if _IDENT.match(label) else f"({label})˙"

    @property
    def times(self) -> str:
        return r"\cdot " if self.tex else "·"

    def product(self, local, incoming, result) -> str:
        """local × incoming = result, ≈ where the factors as shown do not give it."""
        approx = isinstance(local, float) and shown_product_differs(local, incoming, result, self.digits)
        times, equals = (r"\times", r"\approx" if approx else "=") if self.tex else ("×", "≈" if approx else "=")
        return f"{self.num(local)} {times} {paren(self.num(incoming))} {equals} {self.num(result)}"

    def block(self, x) -> str:
        """A value ending a sentence: a matrix one row per line in a terminal."""
        if self.tex:
            return f" ${self.num(x)}$"
        rows = matrix_rows(x, self.digits) if getattr(x, "ndim", 0) == 2 and is_small(x) else None
        if rows is None or len(rows) < 2:
            return " " + self.nar.n(x)
        lines = ["[" + rows[0] + ","] + [" " + r + "," for r in rows[1:-1]] + [" " + rows[-1] + "]"]
        return "\n" + "\n".join("    " + line for line in lines)

    def say(self, key: str, **params) -> str:
        """A catalog sentence, its own words made safe for the format (`prose`), the
        pieces put in as they are."""
        prose = getattr(self.nar, "prose", None) if self.tex else None
        if prose is None:
            return t(key, self.lang, **params)
        out = []
        for literal, field, _spec, _conv in Formatter().parse(t(key, self.lang)):
            out.append(prose(literal))
            if field is not None:
                out.append(str(params.get(field, "{" + field + "}")))
        return "".join(out)

    @staticmethod
    def listed(symbols: list[str]) -> str:
        """One symbol as it is; several in brackets: (y1, y2)."""
        return symbols[0] if len(symbols) == 1 else "(" + ", ".join(symbols) + ")"

    def shape(self, i: int) -> str:
        shape = getattr(self.d.node_values[i], "shape", ())
        return " " + shape_tuple(shape) if shape else ""

    # ---- a pass, step by step -----------------------------------------------------------------
    def passes(self) -> list[Pass]:
        """The passes narrated, reverse mode's first: a Jacobian's reverse passes
        (one per output; one scalar output's is backward's, told as usual) and the
        forward passes (one per input)."""
        out = list(self.d.reverse) if "reverse" in self.d.narrated else []
        return out + (list(self.d.forward) if "forward" in self.d.narrated else [])

    def title(self, p: Pass) -> str:
        seeded = self.sym(p.about)
        if p.direction == "forward":
            return self.say("modes.forward_title", x=self.nar.who(p.about),
                            tangent=self.m(f"{self.dot('n')} = {self.partial_of('n', seeded)}"))
        return self.say("modes.reverse_title", y=self.nar.who(p.about), gradient=self.m(self.partial_of(seeded, "n")))

    def sentences(self, p: Pass) -> list[str]:
        """Every step of pass p as a sentence."""
        fan_in = [0] * len(self.nodes)
        for s in p.steps:
            if s.kind == "edge":
                fan_in[s.node if p.direction == "forward" else s.target] += 1
        step = self.forward_step if p.direction == "forward" else self.reverse_step
        return [step(p, s, fan_in) for s in p.steps]

    def forward_step(self, p: Pass, s, fan_in: list) -> str:
        nar, i, j = self.nar, s.node, s.target
        if s.kind == "seed":
            if p.matrix:
                formula = self.m(f"{self.dot(i)} = {self.partial(i, i)} = I") + self.block(self.flat(p, s.total, i))
            else:
                formula = self.m(f"{self.dot(i)} = {self.partial(i, i)} = 1")
            return self.say("modes.forward_seed", x=nar.who(i), formula=formula)
        if s.kind == "sum":
            terms = [p.steps[k] for k in s.terms]
            symbolic = " + ".join(f"{self.partial(i, e.target)}{self.times}{self.dot(e.target)}" for e in terms)
            if p.matrix:
                formula = self.m(f"{self.dot(i)} = {symbolic} =") + self.block(self.flat(p, s.total, i))
            else:
                numbers = " + ".join(paren(self.num(e.contribution)) if k else self.num(e.contribution)
                                     for k, e in enumerate(terms))
                formula = self.m(f"{self.dot(i)} = {symbolic} = {numbers} = {self.num(s.total)}")
            return self.say("modes.forward_sum", node=nar.who(i), count=len(terms), formula=formula)
        if p.matrix:
            rule = self.m(f"{self.dot(i)} = {self.partial(i, j)}{self.times}{self.dot(j)} = "
                          f"{self.local_matrix(s, i, j)}{self.times}{self.dot(j)} =") + \
                self.block(self.flat(p, s.contribution, i))
            text = self.say("modes.forward_matrix_edge", gate=nar.gate(i), shape=self.shape(i),
                            source=nar.who(j), sshape=self.shape(j), rule=rule)
            return text + self.diagonal_note(s, i, j)
        product = self.product(s.local, s.upstream, s.contribution)
        if fan_in[i] == 1:
            formula = self.m(f"{self.dot(i)} = {self.partial(i, j)}{self.times}{self.dot(j)} = {product}")
            return self.say("modes.forward_edge_one", gate=nar.gate(i), node=nar.who(i), local=nar.local_text(s),
                            incoming=nar.n(s.upstream), formula=formula)
        formula = self.m(f"{self.partial(i, j)}{self.times}{self.dot(j)} = {product}")
        return self.say("modes.forward_edge", gate=nar.gate(i), source=nar.who(j), local=nar.local_text(s),
                        incoming=nar.n(s.upstream), formula=formula)

    def reverse_step(self, p: Pass, s, fan_in: list) -> str:
        """A reverse pass from one of a Jacobian's outputs: backward's sentences,
        with that output in the place of f; stacked rows over a vector output."""
        nar, y, i, j = self.nar, p.about, s.node, s.target
        if s.kind == "seed":
            value = self.m(f"{self.partial(y, y)} = I") + self.block(self.flat(p, s.total, y)) if p.matrix \
                else self.m(f"{self.partial(y, y)} = 1")
            return self.say("modes.reverse_seed", y=nar.who(y), formula=value)
        if s.kind == "sum":
            terms = sorted((p.steps[k] for k in s.terms), key=lambda e: e.node)
            symbolic = " + ".join(f"{self.partial(y, e.node)}{self.times}{self.partial(e.node, j)}" for e in terms)
            if p.matrix:
                formula = self.m(f"{self.partial(y, j)} = {symbolic} =") + self.block(self.flat(p, s.total, j))
            else:
                numbers = " + ".join(paren(self.num(e.contribution)) if k else self.num(e.contribution)
                                     for k, e in enumerate(terms))
                formula = self.m(f"{self.partial(y, j)} = {symbolic} = {numbers} = {self.num(s.total)}")
            return self.say("render.sum", target=nar.who(j), count=len(terms), formula=formula)
        if p.matrix:
            rule = self.m(f"{self.partial(y, j)} = {self.partial(y, i)}{self.times}{self.partial(i, j)} = "
                          f"{self.partial(y, i)}{self.times}{self.local_matrix(s, i, j)} =") + \
                self.block(self.flat(p, s.contribution, j))
            text = self.say("modes.reverse_matrix_edge", gate=nar.gate(i), shape=self.shape(i), target=nar.who(j),
                            tshape=self.shape(j), rule=rule)
            return text + self.diagonal_note(s, i, j)
        key = "render.edge_one" if len(self.nodes[i].args) == 1 else "render.edge"
        if fan_in[j] > 1:
            key += "_path"
        return self.say(key, gate=nar.gate(i), node=nar.who(i), target=nar.who(j), local=nar.local_text(s),
                        upstream=nar.n(s.upstream), product=self.m(self.product(s.local, s.upstream, s.contribution)))

    # ---- matrices -------------------------------------------------------------------------------
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
        return not self.nodes[i].op.tensor and np.shape(self.d.node_values[i]) == np.shape(self.d.node_values[j]) \
            and np.size(self.d.node_values[i]) > 1

    def local_matrix(self, s, i: int, j: int) -> str:
        """The local Jacobian ∂node/∂input: diag(…) for an entrywise gate, the matrix
        when it is small, else its size."""
        import numpy as np
        local = s.local
        if local is None:
            return self.num_text(f"({np.size(self.d.node_values[i])}×{np.size(self.d.node_values[j])})")
        if self.entrywise(i, j):
            diagonal = np.diagonal(local)
            entries = ", ".join(self.num(float(v)) for v in diagonal) if diagonal.size <= 10 else \
                self.num(diagonal)
            return (r"\operatorname{diag}(" if self.tex else "diag(") + entries + ")"
        return self.num(local) if is_small(local) else \
            self.num_text(f"({local.shape[0]}×{local.shape[1]})")

    def num_text(self, text: str) -> str:
        return rf"\text{{{text}}}" if self.tex else text

    def diagonal_note(self, s, i: int, j: int) -> str:
        """Once per entrywise gate over arrays: its Jacobian is diagonal (sparse), never built."""
        if not self.entrywise(i, j) or (i, j) in self.noted:
            return ""
        self.noted.add((i, j))
        note = self.say("modes.diagonal", gate=self.nar.gate(i), jacobian=self.m(self.partial(i, j)))
        return ("\n    " if not self.tex else " ") + note

    # ---- forward mode's tangents against the central differences ---------------------------------
    def tangent_checks(self) -> list[str]:
        d = self.d
        grads = {c.name: c for c in d.checks}
        lines = []
        for c in d.forward_checks:
            lines.append(self.say("modes.tangent_check", name=self.nar.who(d.graph.inputs[c.name]),
                                  tangent=self.nar.n(c.analytic), gradient=self.nar.n(grads[c.name].analytic),
                                  numeric="" if c.numeric is None else self.nar.n(c.numeric),
                                  rel=rel_error(c.rel_error), verdict=self.prose(self.nar.verdict(c.verdict))))
        return lines

    # ---- the Jacobian ---------------------------------------------------------------------------
    def jacobian_lines(self) -> list[str]:
        """The title, the layout convention (once), what a scalar output's row is,
        and how the matrix was built both ways."""
        d, jac = self.d, self.d.jacobian
        ins = self.listed([self.sym(d.graph.inputs[x]) for x in jac.inputs])
        jacobian = self.partial_of(self.listed([self.sym(o) for o in jac.outputs]), ins)
        rows, columns = self.size()
        example = r"\frac{\partial L}{\partial W} = \frac{\partial L}{\partial q}\, x^\top" if self.tex else \
            "∂L/∂W = ∂L/∂q·xᵀ"
        lines = [self.say("modes.jacobian_title", jacobian=self.m(jacobian), rows=rows, columns=columns),
                 self.say("modes.layout", example=self.m(example))]
        if d.scalar:
            lines.append(self.say("modes.scalar_row", f=self.nar.who(d.graph.output), columns=columns))
        lines.append(self.say("modes.built", forward=d.cost["forward"].passes, reverse=d.cost["reverse"].passes,
                              agree=rel_error(jac.agree)))
        return lines

    def size(self) -> tuple[int, int]:
        import numpy as np
        jac = self.d.jacobian
        rows = sum(int(np.size(self.d.node_values[o])) for o in jac.outputs)
        return rows, sum(int(np.size(self.d.values[x])) for x in jac.inputs)

    def jacobian_tables(self) -> list:
        """The Jacobian in full when it has at most JACOBIAN_FULL rows and columns
        (one table: row labels, column labels, cells); else a table per input
        that fits and a sentence for each that does not."""
        jac = self.d.jacobian
        rows, columns = self.size()
        if rows <= JACOBIAN_FULL and columns <= JACOBIAN_FULL:
            return [self.table(jac.inputs)]
        out = []
        for x in jac.inputs:
            import numpy as np
            if rows <= JACOBIAN_FULL and np.size(self.d.values[x]) <= JACOBIAN_FULL:
                out.append(self.table((x,)))
            else:
                out.append(self.summary(x))
        return out

    def table(self, inputs) -> tuple:
        """(column labels, [(row label, cells)]) for the outputs by `inputs`."""
        import numpy as np
        jac = self.d.jacobian
        columns = [label for x in inputs for label in _entry_labels(x, np.shape(self.d.values[x]))]
        rows = []
        for o in jac.outputs:
            labels = _entry_labels(self.nodes[o].label, np.shape(self.d.node_values[o]))
            blocks = [np.reshape(jac.blocks[o, x], (len(labels), -1)) for x in inputs]
            for r, label in enumerate(labels):
                rows.append((label, [self.num(float(v)) for block in blocks for v in block[r]]))
        return columns, rows

    def summary(self, x: str) -> str:
        import numpy as np
        jac = self.d.jacobian
        blocks = [np.reshape(jac.blocks[o, x], (int(np.size(self.d.node_values[o])), -1)) for o in jac.outputs]
        stacked = np.concatenate(blocks, axis=0)
        block = self.partial_of(self.listed([self.sym(o) for o in jac.outputs]), self.sym(self.d.graph.inputs[x]))
        return self.say("modes.summary", block=self.m(block), rows=stacked.shape[0], columns=stacked.shape[1],
                        limit=JACOBIAN_FULL, nonzero=int(np.count_nonzero(stacked)), entries=stacked.size,
                        largest=self.nar.n(float(np.max(np.abs(stacked)))))

    def jacobian_checks(self) -> list[str]:
        d = self.d
        lines = []
        for c in d.jacobian.checks:
            block = self.m(self.partial(c.output, d.graph.inputs[c.input]))
            lines.append(self.say("modes.block_check", block=block, checked=c.checked, total=c.entries,
                                  rel=rel_error(c.rel_error), verdict=self.prose(self.nar.verdict(c.verdict))))
        return lines

    # ---- the cost -------------------------------------------------------------------------------
    def cost_lines(self) -> list[str]:
        """Both modes' passes and multiply-adds, and which is cheaper and why;
        nothing unless both modes ran."""
        cost = self.d.cost
        if set(cost) != {"forward", "reverse"}:
            return []
        forward, reverse = cost["forward"], cost["reverse"]
        lines = [self.say("modes.cost_forward", passes=forward.passes, multiply_adds=f"{forward.multiply_adds:,}"),
                 self.say("modes.cost_reverse", passes=reverse.passes, multiply_adds=f"{reverse.multiply_adds:,}")]
        verdict = "modes.tie" if forward.multiply_adds == reverse.multiply_adds else \
            "modes.reverse_wins" if reverse.multiply_adds < forward.multiply_adds else "modes.forward_wins"
        reason = "modes.same_passes" if forward.passes == reverse.passes else \
            "modes.more_inputs" if forward.passes > reverse.passes else "modes.more_outputs"
        space = "" if self.lang == "zh" else " "
        lines.append(self.say(verdict) + space + self.say(reason, inputs=forward.passes, outputs=reverse.passes))
        return lines


def _dotted(label: str) -> str:
    """A dot over the first letter: one character where Unicode has it (ẋ, ȧ)."""
    return unicodedata.normalize("NFC", label[0] + "\u0307") + label[1:]


def _entry_labels(name: str, shape: tuple) -> list[str]:
    """x for a number; x[0], x[1] for a vector; W[0,1] for a matrix."""
    if not shape:
        return [name]
    import numpy as np
    return [f"{name}[{','.join(str(int(k)) for k in index)}]" for index in np.ndindex(*shape)]
