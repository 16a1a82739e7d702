"""--format latex: the derivation as a LaTeX fragment to \\input into a report:
the forward values and the gradients in align* environments, the backward
steps as an enumerate, the numeric check as a tabular. Standard packages
only (amsmath, amssymb); Chinese text needs xelatex with ctex."""
from __future__ import annotations

from ..i18n import t
from .numbers import tex_escape, tex_sci, tex_unicode_setup
from ..core.records import Derivation
from .modewords import ModeWords
from .texnarrate import TexNarrator, latex_code

# Symbols the catalogs use in plain text, as LaTeX (pdflatex has no glyphs for them).
_TEXT_SYMBOLS = {"✓": r"$\checkmark$", "✗": r"$\times$", "…": r"\dots{}", "±": r"$\pm$", "×": r"$\times$",
                 "≈": r"$\approx$", "−": "-", "²": r"$^2$", "∂": r"$\partial$", "ᵀ": r"$^\top$",
                 "⊙": r"$\odot$", "‖": r"$\|$", "𝟏": r"$\mathbf{1}$", "·": r"$\cdot$",
                 "<": "$<$", ">": "$>$"}


def render(d: Derivation, lang: str = "en", digits: int = 4) -> str:
    nar = TexNarrator(d, lang, digits, code=latex_code, prose=text)
    words = ModeWords(d, nar, tex=True)
    parts = [header(d, nar), forward_section(nar)]
    if d.scalar and "reverse" in d.narrated:
        parts.append(backward_section(d, nar))
    parts += [steps_list(words.title(p), words.sentences(p)) for p in words.passes()]
    if d.scalar:
        parts += [gradient_section(d, nar), check_section(d, nar)]
    if d.forward_checks and "forward" in d.narrated:
        parts.append(paragraphs(text(t("modes.tangents_title", lang)), words.tangent_checks()))
    if d.jacobian is not None:
        parts.append(jacobian_section(words))
    cost = words.cost_lines()
    if cost:
        parts.append(paragraphs(text(t("modes.cost_title", lang)), cost))
    warnings = nar.warnings()
    if warnings:
        parts.append("\n".join(rf"\noindent\textbf{{!}} {text(w)}\par" for w in warnings))
    body = "\n\n".join(parts) + "\n"
    return body if lang == "zh" else tex_unicode_setup(body) + body      # zh needs xelatex anyway


def text(s: str) -> str:
    """Catalog text (verdicts, warnings) for LaTeX text mode."""
    return "".join(_TEXT_SYMBOLS.get(ch, ch) for ch in tex_escape(s))


def header(d: Derivation, nar: TexNarrator) -> str:
    lines = ["% bptutor --format latex", f"% {t('export.latex_needs', nar.lang)}"]
    formula = nar.source_tex()
    if formula is None:
        # The statements without their comments: pdflatex has no glyphs for what
        # comments may hold (∂, Σ, Chinese).
        code = [line.split("#", 1)[0].rstrip() for line in d.source.strip().splitlines()]
        lines += [r"\begin{verbatim}", *[c for c in code if c], r"\end{verbatim}"]
    else:
        lines += [r"\[", formula, r"\]"]
    lines.append(rf"\noindent {t('export.values', nar.lang)}: ${nar.values_tex()}$\par")
    return "\n".join(lines)


def forward_section(nar: TexNarrator) -> str:
    rows = [parts[0] + " &= " + " = ".join(parts[1:]) for parts in nar.forward_tex()]
    return "\n".join([rf"\subsubsection*{{{t('render.forward_title', nar.lang)}}}", r"\begin{align*}",
                      " \\\\\n".join(rows), r"\end{align*}"])


def backward_section(d: Derivation, nar: TexNarrator) -> str:
    return steps_list(t("render.backward_title", nar.lang), [nar.sentence(s) for s in d.steps])


def steps_list(title: str, sentences: list[str]) -> str:
    items = [rf"  \item {sentence}" for sentence in sentences]
    return "\n".join([rf"\subsubsection*{{{title}}}", r"\begin{enumerate}", *items, r"\end{enumerate}"])


def paragraphs(title: str, lines: list[str]) -> str:
    return "\n".join([rf"\subsubsection*{{{title}}}"] + [rf"\noindent {line}\par" for line in lines])


def jacobian_section(words: ModeWords) -> str:
    """The Jacobian: what it is and how it was built, the matrix in a tabular
    with its row and column labels (or a summary), its numeric check."""
    title, *notes = words.jacobian_lines()
    lines = [rf"\subsubsection*{{{title}}}"] + [rf"\noindent {note}\par" for note in notes]
    for table in words.jacobian_tables():
        if isinstance(table, str):
            lines.append(rf"\noindent {table}\par")
            continue
        columns, rows = table
        lines += [r"\begin{tabular}{l" + "r" * len(columns) + "}", r"\hline",
                  " & ".join([""] + [latex_code(c) for c in columns]) + r" \\", r"\hline"]
        lines += [" & ".join([latex_code(label)] + [f"${c}$" for c in cells]) + r" \\" for label, cells in rows]
        lines += [r"\hline", r"\end{tabular}\par"]
    checks = words.jacobian_checks()
    if checks:
        lines += [rf"\paragraph*{{{text(t('modes.check_title', words.lang))}}}"] + \
            [rf"\noindent {c}\par" for c in checks]
    return "\n".join(lines)


def gradient_section(d: Derivation, nar: TexNarrator) -> str:
    out = d.graph.output
    rows = [f"{nar.partial(out, d.graph.inputs[name])} &= {nar.tex(g)}" for name, g in d.gradients.items()]
    return "\n".join([rf"\subsubsection*{{{t('export.gradients_title', nar.lang)}}}", r"\begin{align*}",
                      " \\\\\n".join(rows), r"\end{align*}"])


def check_section(d: Derivation, nar: TexNarrator) -> str:
    lang = nar.lang
    cols = nar.check_columns()
    lines = [rf"\subsubsection*{{{text(nar.check_title())}}}",
             rf"\begin{{tabular}}{{l{'r' * (len(cols) - 2)}l}}", r"\hline",
             " & ".join(text(t(f"render.col_{c}", lang)) for c in cols) + r" \\", r"\hline"]
    checks = {c.name: c for c in d.checks}
    for name in d.wrt:
        c = checks.get(name)
        index = d.graph.inputs[name]
        row = [nar.who(index), f"${nar.given_tex(d.values[name])}$", nar.n(d.node_grads[index])]
        if c is None:
            row += [""] * (len(cols) - 4) + [text(t("render.verdict_unchecked", lang))]
        else:
            numeric, *sci, verdict = nar.check_cells(c)
            row += [numeric] + [f"${tex_sci(x)}$" if x else "" for x in sci] + [text(verdict)]
        lines.append(" & ".join(row) + r" \\")
    lines += [r"\hline", r"\end{tabular}"]
    lines += [rf"\par\noindent {text(note)}" for note in nar.check_notes()]
    return "\n".join(lines)
