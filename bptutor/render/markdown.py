"""--format md: the derivation as a Markdown document with inline LaTeX and a
mermaid graph, to paste into notes (Obsidian, Typora, GitHub). It reads like
the seed notes: the expression, the forward values, every backward step as a
list item, the fan-out sums written out, and the check table."""
from __future__ import annotations

from ..i18n import t
from ..core.records import Derivation
from . import mermaid
from .modewords import ModeWords
from .texnarrate import TexNarrator


def render(d: Derivation, lang: str = "en", digits: int = 4) -> str:
    nar = TexNarrator(d, lang, digits)
    words = ModeWords(d, nar, tex=True)
    parts = [header(d, nar), graph_section(d, nar), forward_section(nar)]
    if d.scalar and "reverse" in d.narrated:
        parts.append(backward_section(d, nar))
    parts += [steps_list(words.title(p), words.sentences(p)) for p in words.passes()]
    if d.scalar:
        parts.append(check_section(d, nar))
    if d.forward_checks and "forward" in d.narrated:
        parts.append(paragraphs(t("modes.tangents_title", lang), words.tangent_checks()))
    if d.jacobian is not None:
        parts.append(jacobian_section(words))
    cost = words.cost_lines()
    if cost:
        parts.append(paragraphs(t("modes.cost_title", lang), cost))
    warnings = nar.warnings()
    if warnings:
        parts.append("\n".join(f"> {_cell(w)}" for w in warnings))
    return "\n\n".join(parts) + "\n"


def header(d: Derivation, nar: TexNarrator) -> str:
    formula = nar.source_tex()
    if formula is None:
        lines = [f"## {t('export.program', nar.lang)}", "", fence(d.source), d.source.strip(), fence(d.source)]
    else:
        lines = [f"## ${formula}$"]
    lines += ["", f"{t('export.values', nar.lang)}: ${nar.values_tex()}$"]
    return "\n".join(lines)


def graph_section(d: Derivation, nar: TexNarrator) -> str:
    title = t("export.graph_title_md", nar.lang)
    if d.mode == "forward":                     # the wires carry the first input's tangents
        title = t("modes.graph_title_md", nar.lang, x=d.graph.nodes[d.forward[0].about].label)
    return "\n".join([f"### {title}", "", "```mermaid",
                      mermaid.render(d, nar.digits).rstrip("\n"), "```"])


def forward_section(nar: TexNarrator) -> str:
    lines = [f"### {t('render.forward_title', nar.lang)}", ""]
    lines += [f"- ${' = '.join(parts)}$" for parts in nar.forward_tex()]
    return "\n".join(lines)


def backward_section(d: Derivation, nar: TexNarrator) -> str:
    return steps_list(t("render.backward_title", nar.lang), [nar.sentence(s) for s in d.steps])


def steps_list(title: str, sentences: list[str]) -> str:
    lines = [f"### {title}", ""]
    lines += [f"{k}. {_cell(sentence)}" for k, sentence in enumerate(sentences, 1)]
    return "\n".join(lines)


def paragraphs(title: str, lines: list[str]) -> str:
    return "\n".join([f"### {title}", ""] + [f"- {_cell(line)}" for line in lines])


def jacobian_section(words: ModeWords) -> str:
    """The Jacobian: what it is and how it was built, the matrix with its row and
    column labels (or a summary), its numeric check."""
    title, *notes = words.jacobian_lines()
    lines = [f"### {title}", ""] + [f"{_cell(note)}  " for note in notes]
    for table in words.jacobian_tables():
        lines.append("")
        if isinstance(table, str):
            lines.append(_cell(table))
            continue
        columns, rows = table
        lines += ["| | " + " | ".join(f"`{c}`" for c in columns) + " |", "|:--|" + "--:|" * len(columns)]
        lines += ["| " + " | ".join([f"`{label}`"] + [f"${c}$" for c in cells]) + " |" for label, cells in rows]
    checks = words.jacobian_checks()
    if checks:
        lines += ["", f"#### {t('modes.check_title', words.lang)}", ""] + [f"- {_cell(c)}" for c in checks]
    return "\n".join(lines)


def check_section(d: Derivation, nar: TexNarrator) -> str:
    lang = nar.lang
    cols = nar.check_columns()
    lines = [f"### {nar.check_title()}", "",
             "| " + " | ".join(t(f"render.col_{c}", lang) for c in cols) + " |",
             "|:--|" + "--:|" * (len(cols) - 2) + ":--|"]
    checks = {c.name: c for c in d.checks}
    for name in d.wrt:
        c = checks.get(name)
        grad = nar.n(d.node_grads[d.graph.inputs[name]])
        row = [nar.who(d.graph.inputs[name]), f"${nar.given_tex(d.values[name])}$", grad]
        if c is None:
            row += [""] * (len(cols) - 4) + [t("render.verdict_unchecked", lang)]
        else:
            row += nar.check_cells(c)
        lines.append("| " + " | ".join(_cell(x) for x in row) + " |")
    notes = nar.check_notes()
    if notes:
        lines += [""] + [f"> {_cell(note)}  " for note in notes]
    return "\n".join(lines)


def fence(code: str) -> str:
    """A code fence longer than any run of backticks in `code`: a comment
    holding ``` must not end the block and turn the rest into Markdown."""
    import re
    return "`" * max(3, 1 + max((len(run) for run in re.findall("`+", code)), default=0))


def _cell(text: str) -> str:
    """One line, and no bare | that would split a table cell."""
    return " ".join(text.split()).replace("|", r"\|")
