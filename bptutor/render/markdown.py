"""--format md: the derivation as a Markdown document with inline LaTeX and a
mermaid graph, to paste into notes (Obsidian, Typora, GitHub). It reads like
the seed notes: the expression, the forward values, every backward step as a
list item, the fan-out sums written out, and the check table."""
from __future__ import annotations

from ..i18n import t
from ..core.records import Derivation
from . import mermaid
from .numbers import tex_name
from .typeset import Typeset
from .words import Mark, Num, Sentence, Words


def render(d: Derivation, lang: str = "en", digits: int = 4) -> str:
    words, ts = Words(d), Typeset(lang, digits, note_sep="\n")
    shown = {
        "backward": lambda steps: steps_list(t("render.backward_title", lang), [ts.sentence(s) for s in steps]),
        "pass": lambda p: steps_list(ts.sentence(words.pass_title(p)), [ts.sentence(s) for s in words.pass_steps(p)]),
        "check": lambda _: check_section(words, ts),
        "tangent_checks": lambda checks: paragraphs(t("modes.tangents_title", lang), [ts.sentence(s) for s in checks]),
        "jacobian": lambda _: jacobian_section(words, ts),
        "cost": lambda lines: paragraphs(t("modes.cost_title", lang), [ts.text(s) for s in lines]),
        "warnings": lambda warnings: "\n".join(f"> {_cell(ts.words_only(w))}" for w in warnings),
    }
    parts = [header(d, words, ts), graph_section(d, lang, digits), forward_section(words, ts)]
    parts += [shown[kind](content) for kind, content in words.sections()]
    return "\n\n".join(parts) + "\n"


def values_tex(words: Words, ts: Typeset) -> str:
    """w_{0} = 2,\\ x_{0} = -1,\\ …"""
    return r",\ ".join(f"{tex_name(name)} = {ts.given(v)}" for name, v in words.values())


def forward_tex(words: Words, ts: Typeset) -> list[list[str]]:
    """Each computed node as [expression, value] (a named one as [name, expression, value])."""
    return [[ts.math(term) for term in words.forward_terms(i)] + [ts.tex(value)]
            for i, _label, value in words.forward()]


def header(d: Derivation, words: Words, ts: Typeset) -> str:
    equation = words.equation()
    if equation is None:
        lines = [f"## {t('export.program', ts.lang)}", "", fence(d.source), d.source.strip(), fence(d.source)]
    else:
        lines = [f"## ${equation.latex}$"]
    lines += ["", t("export.values", ts.lang, values=f"${values_tex(words, ts)}$")]
    return "\n".join(lines)


def graph_section(d: Derivation, lang: str, digits: int) -> str:
    title = t("export.graph_title_md", lang)
    if d.mode == "forward":                     # the wires carry the first input's tangents
        title = t("modes.graph_title_md", lang, x=d.graph.nodes[d.forward[0].about].label)
    return "\n".join([f"### {title}", "", "```mermaid", mermaid.render(d, digits).rstrip("\n"), "```"])


def forward_section(words: Words, ts: Typeset) -> str:
    lines = [f"### {t('render.forward_title', ts.lang)}", ""]
    lines += [f"- ${' = '.join(parts)}$" for parts in forward_tex(words, ts)]
    return "\n".join(lines)


def steps_list(title: str, sentences: list[str]) -> str:
    lines = [f"### {title}", ""]
    # a note under a step on a line of its own in the item (a hard break), not glued after the math
    lines += [f"{k}. " + "  \n   ".join(_cell(part) for part in sentence.split("\n"))
              for k, sentence in enumerate(sentences, 1)]
    return "\n".join(lines)


def paragraphs(title: str, lines: list[str]) -> str:
    return "\n".join([f"### {title}", ""] + [f"- {_cell(line)}" for line in lines])


def jacobian_section(words: Words, ts: Typeset) -> str:
    """The Jacobian: what it is and how it was built, the matrix with its row and
    column labels (or a summary), its numeric check."""
    title, *notes = [ts.sentence(s) for s in words.jacobian_lines()]
    lines = [f"### {title}", ""] + [f"{_cell(note)}  " for note in notes]
    for table in words.jacobian_tables():
        lines.append("")
        if type(table) is Sentence:
            lines.append(_cell(ts.sentence(table)))
            continue
        lines += ["| | " + " | ".join(f"`{c}`" for c in table.columns) + " |",
                  "|:--|" + "--:|" * len(table.columns)]
        among = table.columns_values()
        lines += ["| " + " | ".join([f"`{label}`"] + [ts.n(c, among[k]) for k, c in enumerate(cells)]) + " |"
                  for label, cells in table.rows]
    checks = words.jacobian_checks()
    if checks:
        lines += ["", f"#### {t('modes.check_title', ts.lang)}", ""] + [f"- {_cell(ts.sentence(c))}" for c in checks]
    return "\n".join(lines)


def check_section(words: Words, ts: Typeset) -> str:
    lang = ts.lang
    table = words.check_table()
    cols = table.columns
    lines = [f"### {ts.plain.sentence(table.title)}", "",
             "| " + " | ".join(t(f"render.col_{c}", lang) for c in cols) + " |",
             "|:--|" + "--:|" * (len(cols) - 2) + ":--|"]
    for row in table.rows:
        cells = [ts.text(words.who(row.index)), f"${ts.given(row.value)}$", ts.n(row.gradient, table.among["gradient"])]
        if row.check is None:
            cells += [""] * (len(cols) - 4) + [t("render.verdict_unchecked", lang)]
        else:
            cells += ["" if x is None else ts.n(x.value, x.among) if type(x) is Num else x
                      for x in words.check_cells(table, row.check)]
            cells.append(ts.plain.text(Mark(row.check.verdict)))
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    if table.notes:
        lines += [""] + [f"> {_cell(ts.plain.sentence(note))}  " for note in table.notes]
    return "\n".join(lines)


def fence(code: str) -> str:
    """A code fence longer than any run of backticks in `code`: a comment
    holding ``` must not end the block and turn the rest into Markdown."""
    import re
    return "`" * max(3, 1 + max((len(run) for run in re.findall("`+", code)), default=0))


def _cell(text: str) -> str:
    """One line, and no bare | that would split a table cell."""
    return " ".join(text.split()).replace("|", r"\|")
