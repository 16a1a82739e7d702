"""The words (render/words.py) typeset for the notes formats, Markdown, LaTeX
and HTML: formulas and numbers as LaTeX math between $…$, names as code. The
formats differ only in how they write code and prose, which each passes in
(HTML then turns each $…$ into MathML)."""
from __future__ import annotations

import re

from ..core.ops import fill
from ..i18n import t
from .numbers import num, paren, shape_tuple, short, tex_name, tex_num, tex_sci
from .plain import PlainText
from .words import (Aside, Block, Chain, Code, Equation, Formula, Joined, Math, Mark, Name, Num, Partial, PIECES,
                    Product, Rule, Sentence, Sign, chain, times)

TEX_COLUMNS = 10        # amsmath's bmatrix takes at most this many columns
_MARKER = re.compile("(?s).\x00(\\w+)\x00.")      # a piece's place in a filled-in sentence (see sentence())
# Sentences the notes word otherwise, where a formula leads ("because ∂f/∂f = 1, ...").
NOTES_KEYS = {"render.seed": "export.seed"}


class Typeset:
    """`code` writes program text (`x+y` in Markdown, \\texttt{x+y} in LaTeX);
    `prose` makes text safe for the format (LaTeX has no glyph for ᵀ or ⊙ in
    text mode; HTML escapes): the catalog's words, a lesson, a verdict."""

    def __init__(self, lang: str, digits: int, code=lambda s: f"`{s}`", prose=lambda s: s, note_sep: str = " "):
        self.lang, self.digits, self.code, self.prose = lang, digits, code, prose
        self.note_sep = note_sep        # before a note under a step: Markdown puts it on a line of its own
        self.plain = PlainText(lang, digits)

    # ---- numbers ------------------------------------------------------------------------------
    def tex(self, x, extra: int = 0, among=()) -> str:
        """x at --digits (`extra` decimals more: an equation's operand that needs
        them); a number in the format of the numbers `among` it (a table's column)."""
        shape = getattr(x, "shape", ())
        if len(shape) == 2 and shape[1] > TEX_COLUMNS:
            return rf"\text{{{shape_tuple(shape)}}}"
        if (extra or among) and not shape:
            return tex_sci(num(x, self.digits, among, extra))
        return tex_num(x, self.digits)

    def sign(self, equation: Equation | None) -> str:
        """= where the equation is true as shown, else ≈ (PlainText.decimals decides)."""
        return " = " if self.plain.decimals(equation) is not None else r" \approx "

    def given(self, v) -> str:
        """An input as the user gave it (0.5, not 0.50; a small array entry by entry so)."""
        shape = getattr(v, "shape", ())
        if not shape or len(shape) > 2 or v.size > 36:
            return tex_sci(short(v)) if isinstance(v, float) else self.tex(v)
        rows = v.tolist() if len(shape) == 2 else [[x] for x in v.tolist()]
        body = r" \\ ".join(" & ".join(tex_sci(short(float(x))) for x in row) for row in rows)
        return r"\begin{bmatrix}" + body + r"\end{bmatrix}"

    def n(self, x, among=()) -> str:
        """A value as inline math."""
        return f"${self.tex(x, among=among)}$"

    # ---- pieces -----------------------------------------------------------------------------------
    def math(self, piece) -> str:
        """A piece as LaTeX math, without the $…$."""
        kind = type(piece)
        if kind is Name:
            return tex_name(piece.label)
        if kind is Formula:
            return piece.latex
        if kind is Num:
            value = piece.value.reshape(1, -1) if piece.row else piece.value
            text = self.given(value) if piece.given else self.tex(value, self.plain.extra(piece.within), piece.among)
            return paren(text) if piece.paren else text
        if kind is Partial:
            return rf"\frac{{\partial {self.math(piece.top)}}}{{\partial {self.math(piece.bottom)}}}"
        if kind is Math:
            return "".join([self.math(p) for p in piece.parts if type(p) is not Aside])
        if kind is Rule:
            ops = [self.math(o) for o in piece.operands] + ["", ""]
            return fill(piece.op, piece.k, piece.c, ops[0], ops[1], latex=True, cfmt=short,
                        g=None if piece.g is None else self.math(piece.g), o="" if piece.o is None else self.math(piece.o))
        if kind is Product:
            p = piece
            equation = Equation(times, (p.local, p.upstream), p.result) if isinstance(p.local, float) else None
            extra = self.plain.extra(equation)
            return f"{self.tex(p.local, extra)} \\times {paren(self.tex(p.upstream, extra))}{self.sign(equation)}" \
                f"{self.tex(p.result)}"
        if kind is Chain:
            return chain([self.math(p) for p in piece.parts], self.sign(piece.within))
        if kind is Sign:
            return self.sign(piece.within)
        if kind is Block:
            return self.tex(piece.value)
        raise TypeError(f"not math: {piece!r}")

    def text(self, piece) -> str:
        """A piece inside a sentence: math between $…$; an aside left out."""
        kind = type(piece)
        if kind is Sentence:
            return self.sentence(piece)
        if kind is Code:
            return self.code(piece.text)
        if kind is Block:
            return f" ${self.tex(piece.value)}$"
        if kind is Mark:
            return self.prose(t(f"render.verdict_{piece.verdict}", self.lang))
        if kind is Aside:
            return ""
        if kind is Joined:
            sep = ("" if self.lang == "zh" else " ") if piece.sep == "space" else piece.sep
            return sep.join([self.text(p) for p in piece.parts])
        return "$" + self.math(piece) + "$"

    def sentence(self, s: Sentence) -> str:
        """The catalog's words made safe, the pieces typeset into them; notes after
        note_sep. The catalog fills the placeholders (so Chinese is spaced where a
        piece meets it, by the piece's first and last characters) with markers
        that are replaced by the pieces once the words around them are made safe."""
        pieces, marked = {}, {}
        for field, value in s.params.items():
            text = self.text(value) if type(value) in PIECES else str(value)
            pieces[field] = text
            marked[field] = f"{text[:1]}\x00{field}\x00{text[-1:]}" if text else ""
        parts = _MARKER.split(t(NOTES_KEYS.get(s.key, s.key), self.lang, **marked))
        out = [pieces[part] if k % 2 else self.prose(part) for k, part in enumerate(parts)]
        for note in s.notes:
            if type(note) is not Aside:
                out.append(self.note_sep + self.text(note))
        return "".join(out)

    def words_only(self, s: Sentence) -> str:
        """A sentence of words and plain values (a warning, a note under the check
        table), made safe as a whole: its values may hold `_` or `#`."""
        return self.prose(self.plain.sentence(s))
