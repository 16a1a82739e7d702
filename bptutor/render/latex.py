"""--format latex: the derivation as a LaTeX fragment to \\input into a report:
the forward values and the gradients in align* environments, the backward
steps as an enumerate, the numeric check as a tabular. Standard packages
only (amsmath, amssymb, graphicx); Chinese text needs xelatex with ctex."""
from __future__ import annotations

from ..i18n import t
from .numbers import shape_tuple, tex_escape, tex_name, tex_sci, tex_unicode_setup
from ..core.records import Derivation
from .markdown import forward_tex
from .typeset import Typeset
from .words import Block, Chain, Mark, Math, Num, Sentence, Words

# Symbols the catalogs use in plain text, as LaTeX (pdflatex has no glyphs for them).
_TEXT_SYMBOLS = {"✓": r"$\checkmark$", "✗": r"$\times$", "…": r"\dots{}", "±": r"$\pm$", "×": r"$\times$",
                 "≈": r"$\approx$", "−": "-", "²": r"$^2$", "∂": r"$\partial$", "ᵀ": r"$^\top$",
                 "⊙": r"$\odot$", "‖": r"$\|$", "𝟏": r"$\mathbf{1}$", "·": r"$\cdot$",
                 "<": "$<$", ">": "$>$"}


# A box shrunk to the line where it is wider, as it is elsewhere (graphicx's \width is the box's own).
FIT = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}"


class LatexTypeset(Typeset):
    """Typeset, with a formula holding a matrix (or a row vector) set on a line
    of its own, shrunk to the line where it is wider: inline, TeX cannot break
    a matrix and it runs off the page."""

    def text(self, piece) -> str:
        if type(piece) in (Math, Block) and holds_matrix(piece):
            return rf"\[{FIT}{{$\displaystyle {self.math(piece)}$}}\]"
        return super().text(piece)


def holds_matrix(piece) -> bool:
    """A matrix or a row vector in the piece's formula (what a display is for)."""
    todo = [piece]
    while todo:
        p = todo.pop()
        kind = type(p)
        if kind in (Num, Block):
            shape = getattr(p.value, "shape", ())
            if len(shape) == 2 or len(shape) == 1 and kind is Num and p.row and shape[0] > 1:
                return True
        elif kind in (Math, Chain):
            todo.extend(p.parts)
    return False


def render(d: Derivation, lang: str = "en", digits: int = 4) -> str:
    words, ts = Words(d), LatexTypeset(lang, digits, code=latex_code, prose=text)
    shown = {
        "backward": lambda steps: steps_list(t("render.backward_title", lang), [ts.sentence(s) for s in steps]),
        "pass": lambda p: steps_list(ts.sentence(words.pass_title(p)), [ts.sentence(s) for s in words.pass_steps(p)]),
        "check": lambda _: gradient_section(d, words, ts) + "\n\n" + check_section(words, ts),
        "tangent_checks": lambda checks: paragraphs(text(t("modes.tangents_title", lang)),
                                                    [ts.sentence(s) for s in checks]),
        "jacobian": lambda _: jacobian_section(words, ts),
        "cost": lambda lines: paragraphs(text(t("modes.cost_title", lang)), [ts.text(s) for s in lines]),
        "warnings": lambda warnings: "\n".join(rf"\noindent\textbf{{!}} {ts.words_only(w)}\par" for w in warnings),
    }
    parts = [header(d, words, ts), forward_section(words, ts)]
    parts += [shown[kind](content) for kind, content in words.sections()]
    # \sloppy: a line of formulas TeX cannot break at its width is set loose rather than run off the page
    body = "{\\sloppy\n" + "\n\n".join(parts) + "\n\\par}\n"
    return body if lang == "zh" else tex_unicode_setup(body) + body      # zh needs xelatex anyway


def text(s: str) -> str:
    """Catalog text (verdicts, warnings) for LaTeX text mode."""
    return "".join(_TEXT_SYMBOLS.get(ch, ch) for ch in tex_escape(s))


def latex_code(s: str) -> str:
    return r"\texttt{" + tex_escape(s) + "}"


def header(d: Derivation, words: Words, ts: Typeset) -> str:
    lines = ["% bptutor --format latex", f"% {t('export.latex_needs', ts.lang)}"]
    equation = words.equation()
    if equation is None:
        # The statements without their comments: pdflatex has no glyphs for what
        # comments may hold (∂, Σ, Chinese).
        # A statement per line: verbatim lines never break.
        code = [statement.rstrip() if k == 0 else statement.strip() for line in d.source.strip().splitlines()
                for k, statement in enumerate(line.split("#", 1)[0].split(";"))]
        lines += [r"\begin{verbatim}", *[c for c in code if c], r"\end{verbatim}"]
    else:
        lines += [r"\[", equation.latex, r"\]"]
    values = ", ".join(f"${tex_name(name)} = {ts.given(v)}$" for name, v in words.values())    # a break between each
    lines.append(rf"\noindent {t('export.values', ts.lang, values=values)}\par")
    return "\n".join(lines)


def forward_section(words: Words, ts: Typeset) -> str:
    rows = [parts[0] + " &= " + " = ".join(parts[1:]) for parts in forward_tex(words, ts)]
    return "\n".join([rf"\subsubsection*{{{t('render.forward_title', ts.lang)}}}", r"\begin{align*}",
                      " \\\\\n".join(rows), r"\end{align*}"])


def steps_list(title: str, sentences: list[str]) -> str:
    items = [rf"  \item {sentence}" for sentence in sentences]
    return "\n".join([rf"\subsubsection*{{{title}}}", r"\begin{enumerate}", *items, r"\end{enumerate}"])


def paragraphs(title: str, lines: list[str]) -> str:
    return "\n".join([rf"\subsubsection*{{{title}}}"] + [rf"\noindent {line}\par" for line in lines])


def jacobian_section(words: Words, ts: Typeset) -> str:
    """The Jacobian: what it is and how it was built, the matrix in a tabular
    with its row and column labels (or a summary), its numeric check."""
    title, *notes = [ts.sentence(s) for s in words.jacobian_lines()]
    lines = [rf"\subsubsection*{{{title}}}"] + [rf"\noindent {note}\par" for note in notes]
    for table in words.jacobian_tables():
        if type(table) is Sentence:
            lines.append(rf"\noindent {ts.sentence(table)}\par")
            continue
        lines += [r"\begin{tabular}{l" + "r" * len(table.columns) + "}", r"\hline",
                  " & ".join([""] + [latex_code(c) for c in table.columns]) + r" \\", r"\hline"]
        among = table.columns_values()
        lines += [" & ".join([latex_code(label)] + [ts.n(c, among[k]) for k, c in enumerate(cells)]) + r" \\"
                  for label, cells in table.rows]
        lines += [r"\hline", r"\end{tabular}\par"]
    checks = words.jacobian_checks()
    if checks:
        lines += [rf"\paragraph*{{{text(t('modes.check_title', ts.lang))}}}"] + \
            [rf"\noindent {ts.sentence(c)}\par" for c in checks]
    return "\n".join(lines)


def gradient_section(d: Derivation, words: Words, ts: Typeset) -> str:
    rows = [f"{ts.math(words.grad(d.graph.inputs[name]))} &= {ts.tex(g)}" for name, g in d.gradients.items()]
    return "\n".join([rf"\subsubsection*{{{t('export.gradients_title', ts.lang)}}}", r"\begin{align*}",
                      " \\\\\n".join(rows), r"\end{align*}"])


def check_section(words: Words, ts: Typeset) -> str:
    """The check table; where a gradient is a vector or a matrix, two tables
    (the inputs' shapes and gradients; then their numeric check), so it fits the page."""
    lang = ts.lang
    table = words.check_table()
    cols = table.columns
    wide = any(getattr(r.gradient, "shape", ()) for r in table.rows)
    rows = []
    for r in table.rows:
        shape = getattr(r.value, "shape", ())
        value = rf"$\text{{{shape_tuple(shape)}}}$" if wide and shape else f"${ts.given(r.value)}$"   # the header has it
        row = [ts.text(words.who(r.index)), value, ts.n(r.gradient, table.among["gradient"])]
        if r.check is None:
            row += [""] * (len(cols) - 4) + [text(t("render.verdict_unchecked", lang))]
        else:
            numeric, *sci = words.check_cells(table, r.check)
            row += ["" if numeric is None else ts.n(numeric.value, numeric.among)] + [f"${tex_sci(x)}$" if x else "" for x in sci]
            row.append(ts.text(Mark(r.check.verdict)))
        rows.append(row)
    heads = [text(t(f"render.col_{c}", lang)) for c in cols]
    parts = [[0, 1, 2], [0, *range(3, len(cols))]] if wide else [list(range(len(cols)))]
    lines = [rf"\subsubsection*{{{ts.words_only(table.title)}}}"]
    for k, part in enumerate(parts):
        if k:
            lines.append(r"\par\medskip")
        align = "".join("l" if cols[c] in ("input", "verdict") else "r" for c in part)
        small = r"{\small\setlength{\tabcolsep}{4pt}" if wide else ""       # matrices in cells: a little smaller
        lines += [rf"\noindent{small}{FIT}{{\begin{{tabular}}{{{align}}}", r"\hline",
                  " & ".join(heads[c] for c in part) + r" \\", r"\hline"]
        lines += [" & ".join(row[c] for c in part) + r" \\" for row in rows]
        lines += [r"\hline", r"\end{tabular}}" + ("}" if wide else "")]
    lines += [rf"\par\noindent {ts.words_only(note)}" for note in table.notes]
    return "\n".join(lines)
