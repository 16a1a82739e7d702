"""The derivation for a terminal, as Rich renderables (Text and Table, never
string padding: Chinese characters are two cells wide; never user text
inside markup)."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..i18n import t
from ..core.records import Derivation
from .modewords import ModeWords
from .narrate import Narrator, narrator

HEAD, TAIL = 25, 15          # steps shown of a large derivation without --all
MAX_FORWARD = 40             # forward items shown before eliding
MAX_ROWS = 40                # check-table rows shown before eliding
MAX_LINES, MAX_LINE = 40, 300   # header: program lines and characters per line shown
MAX_VALUES = 40              # header: input values shown


def render(d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False) -> Group:
    nar = narrator(d, lang, digits, show_all)
    words = ModeWords(d, nar)
    parts = [header(d, nar), Text(""), forward_section(nar, show_all)]
    if d.scalar and "reverse" in d.narrated:
        parts += [Text(""), backward_section(d, nar, show_all)]
    for p in words.passes():
        parts += [Text(""), steps_grid(Text(words.title(p), style="bold"), p.steps, words.sentences(p), lang,
                                       show_all)]
    if d.scalar:
        parts += [Text(""), check_section(d, nar, show_all)]
    if d.forward_checks and "forward" in d.narrated:
        parts += [Text(""), lines_section(t("modes.tangents_title", lang), words.tangent_checks())]
    if d.jacobian is not None:
        parts += [Text(""), jacobian_section(words)]
    cost = words.cost_lines()
    if cost:
        parts += [Text(""), lines_section(t("modes.cost_title", lang), cost)]
    warnings = nar.warnings()
    if warnings:
        parts.append(Text(""))
        parts.extend(Text("! " + w, style="yellow") for w in warnings)
    return Group(*parts)


def header(d: Derivation, nar: Narrator) -> Text:
    out = d.graph.nodes[d.graph.output]
    text = Text()
    lines = [line for line in d.source.strip().splitlines() if not line.lstrip().startswith("#")]
    source = "\n".join(_shorten(lines, nar.lang))
    if "\n" in source or ";" in source or "=" in source:
        text.append(source, style="bold")
    else:
        text.append(f"{out.label} = ", style="bold")
        text.append(source, style="bold")
    text.append("\n")
    items = nar.value_items()
    shown = [f"{k} = {v}" for k, v in items[:MAX_VALUES]]
    if len(items) > MAX_VALUES:
        shown.append(t("render.hidden", nar.lang, count=len(items) - MAX_VALUES))
    text.append("   ".join(shown), style="green")
    text.append("\n")
    outputs = d.outputs or (d.graph.output,)
    text.append("\n".join(t("render.value_line", nar.lang, f=d.graph.nodes[o].label, value=nar.n(d.node_values[o]))
                          for o in outputs))
    return text


def _shorten(lines: list[str], lang: str) -> list[str]:
    """A huge program in the header: long lines cut, the middle lines left out."""
    cut = [line if len(line) <= MAX_LINE else line[:MAX_LINE - 20] + " … " + line[-15:] for line in lines]
    if len(cut) > MAX_LINES:
        hidden = len(cut) - MAX_LINES
        cut = cut[:MAX_LINES - 5] + [t("render.hidden", lang, count=hidden)] + cut[-5:]
    return cut


def forward_section(nar: Narrator, show_all: bool) -> Text:
    items = nar.forward_items()
    hidden = 0
    if not show_all and len(items) > MAX_FORWARD:
        hidden = len(items) - MAX_FORWARD
        items = items[:MAX_FORWARD - 5] + [("…", "")] + items[-5:]
    text = Text(t("render.forward_title", nar.lang), style="bold")
    text.append("\n")
    for k, (label, value) in enumerate(items):
        if k:
            text.append("  ·  ", style="dim")
        if label == "…":
            text.append(t("render.hidden", nar.lang, count=hidden), style="dim")
            continue
        text.append(f"{label} = ")
        text.append(value, style="green")
    return text


def backward_section(d: Derivation, nar: Narrator, show_all: bool) -> Group:
    return steps_grid(Text(t("render.backward_title", nar.lang), style="bold"), d.steps, nar.sentence, nar.lang,
                      show_all)


def steps_grid(title: Text, steps: list, sentence, lang: str, show_all: bool) -> Group:
    """Numbered steps under a title: `sentence(step)` words each (or `sentence`
    is their list); the middle of a long list is left out unless `show_all`."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    numbered = list(enumerate(steps, 1))
    hidden = 0
    if not show_all and len(numbered) > HEAD + TAIL + 5:
        hidden = len(numbered) - HEAD - TAIL
        numbered = numbered[:HEAD] + [None] + numbered[-TAIL:]
    for item in numbered:
        if item is None:
            grid.add_row(Text("…"), Text(t("render.steps_hidden", lang, count=hidden), style="yellow"))
            continue
        k, s = item
        style = "bold" if s.kind == "sum" else ""
        text = sentence[k - 1] if isinstance(sentence, list) else sentence(s)
        grid.add_row(Text(str(k)), Text(text, style=style))
    return Group(title, grid)


def lines_section(title: str, lines: list[str]) -> Group:
    return Group(Text(title, style="bold"), *(Text(line) for line in lines))


def jacobian_section(words: ModeWords) -> Group:
    """The Jacobian: what it is and how it was built, the matrix with row and
    column labels (or a summary), its numeric check."""
    lines = words.jacobian_lines()
    parts = [Text(lines[0], style="bold"), *(Text(line, style="dim" if k == 0 else "") for k, line in
                                             enumerate(lines[1:]))]
    for table in words.jacobian_tables():
        if isinstance(table, str):
            parts.append(Text(table))
            continue
        columns, rows = table
        grid = Table(box=None, padding=(0, 1, 0, 1), show_edge=False, pad_edge=False)
        grid.add_column("", style="bold", no_wrap=True)
        for label in columns:
            grid.add_column(label, justify="right", header_style="bold", no_wrap=True)
        for label, cells in rows:
            grid.add_row(Text(label), *(Text(c) for c in cells))
        parts.append(grid)
    checks = words.jacobian_checks()
    if checks:
        parts += [Text(t("modes.check_title", words.lang), style="bold"), *(Text(line) for line in checks)]
    return Group(*parts)


def check_section(d: Derivation, nar: Narrator, show_all: bool) -> Group:
    lang = nar.lang
    title = Text(nar.check_title(), style="bold")
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    columns = nar.check_columns()
    for key in columns:
        justify = "left" if key in ("input", "verdict") else "right"
        table.add_column(Text(t(f"render.col_{key}", lang)), justify=justify, header_style="bold")
    checks = {c.name: c for c in d.checks}
    names = d.wrt
    if not show_all and len(names) > MAX_ROWS:
        names = names[:MAX_ROWS]
    for name in names:
        c = checks.get(name)
        grad = nar.cell(d.grad(d.graph.inputs[name]))
        value = nar.given(d.values[name])
        if c is None:
            blanks = [Text("")] * (len(columns) - 4)
            table.add_row(Text(name), Text(value), Text(grad), *blanks, Text(t("render.verdict_unchecked", lang)))
            continue
        *cells, verdict = nar.check_cells(c)
        style = {"ok": "green", "fail": "bold red", "kink": "yellow", "skipped": "yellow"}[c.verdict]
        table.add_row(Text(name), Text(value), Text(grad), *map(Text, cells), Text(verdict, style=style))
    parts = [title, table]
    if len(names) < len(d.wrt):
        parts.append(Text(t("render.rows_hidden", lang, count=len(d.wrt) - len(names)), style="yellow"))
    parts += [Text(note, style="dim" if k == 0 else "yellow") for k, note in enumerate(nar.check_notes())]
    return Group(*parts)
