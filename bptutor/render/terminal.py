"""The derivation for a terminal: plain.py's blocks as Rich renderables (Text
and Table, never string padding: Chinese characters are two cells wide; never
user text inside markup), wrapped to the window."""
from __future__ import annotations

import re
import unicodedata

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..core.records import Derivation
from . import plain
from .plain import cells


def render(d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False) -> Group:
    return rich_blocks(plain.document(d, lang, digits, show_all))


def rich_blocks(blocks: list) -> Group:
    return Group(*(rich_block(b) for b in blocks))


def rich_block(block):
    kind = type(block)
    if kind is plain.Lines:
        text = Text()
        for span, style in block.spans:
            text.append(span, style=style)
        return Wrapped(text, 2)
    if kind is plain.Grid:      # numbered steps: Texts with a hanging indent (a Rich grid costs 10x the time)
        width = max(cells(number) for number, _, _ in block.rows)
        lines = []
        for number, text, style in block.rows:
            first, *more = text.split("\n")
            line = Text(" " * (width - cells(number)))
            line.append(number, style="dim")            # the step's number dim, its sentence in its own style
            line.append(" ")
            line.append(first, style=style)
            lines.append(Wrapped(line, cells(number) + 1))
            lines.extend(Wrapped(Text(" " * (width + 1) + line, style=style)) for line in more)
        return Group(*lines)
    return Fitted(block)


def rich_table(block: plain.Table) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for title, justify in block.columns:
        table.add_column(Text(title), justify=justify, header_style="bold")
    for row in block.rows:
        table.add_row(*(cell if isinstance(cell, Text) else Text(cell[0], style=cell[1]) for cell in row))
    return table


def natural_width(block: plain.Table) -> int:
    """Cells a table takes with no cell wrapped (2 between columns)."""
    widths = [cells(title) for title, _ in block.columns]
    for row in block.rows:
        for k, cell in enumerate(row):
            text = cell.plain if isinstance(cell, Text) else cell[0]        # stacked()'s cells are Texts
            widths[k] = max([widths[k]] + [cells(line) for line in text.split("\n")])
    return sum(widths) + 2 * (len(widths) - 1)


def stacked(block: plain.Table) -> plain.Table | None:
    """The table with the first two neighbouring columns of matrices made one:
    the second's value under the first's, its title beside it in the column
    before (the check table's numeric gradient under the gradient), so a matrix
    row is never broken; None where no two such columns are side by side."""
    matrix = [any("\n" in row[k][0] for row in block.rows) for k in range(len(block.columns))]
    a = next((k for k in range(1, len(matrix) - 1) if matrix[k] and matrix[k + 1]), None)
    if a is None:
        return None
    label = block.columns[a + 1][0]
    rows = []
    for row in block.rows:
        (first, first_style), (second, second_style) = row[a], row[a + 1]
        merged = Text(first, style=first_style) + "\n" + Text(second, style=second_style)
        before, before_style = row[a - 1]
        lines = first.count("\n") + 1
        labelled = Text(before, style=before_style) + "\n" * (lines - before.count("\n")) + Text(label, style="dim")
        rows.append([*row[:a - 1], labelled, merged, *row[a + 2:]])
    return plain.Table(block.columns[:a + 1] + block.columns[a + 2:], rows)


class Fitted:
    """A table of plain's at the width it is given: as it is where it fits,
    else with its matrix columns stacked (see stacked())."""

    def __init__(self, block: plain.Table):
        self.block = block

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement
        return Measurement.get(console, options, rich_table(self.block))

    def __rich_console__(self, console, options):
        block = self.block
        if natural_width(block) <= options.max_width:
            yield rich_table(block)
            return
        merged = stacked(block)
        if merged is None:
            yield rich_table(block)
        elif natural_width(merged) <= options.max_width:
            yield rich_table(merged)
        else:
            yield from below(block)


def below(block: plain.Table):
    """The table without its matrix columns, each row followed by its matrices
    on lines of their own, labelled by their columns' titles (a matrix too wide
    to stand beside the other columns even alone)."""
    matrix = [any("\n" in row[k][0] for row in block.rows) for k in range(len(block.columns))]
    kept = [k for k, is_matrix in enumerate(matrix) if not is_matrix]
    widths = [max([cells(block.columns[k][0])] + [cells(row[k][0]) for row in block.rows]) for k in kept]
    for n, row in enumerate(block.rows):
        table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False, show_header=n == 0)
        for k, width in zip(kept, widths):
            title, justify = block.columns[k]
            table.add_column(Text(title), justify=justify, header_style="bold", width=width)
        table.add_row(*(Text(row[k][0], style=row[k][1]) for k in kept))
        yield table
        for k, is_matrix in enumerate(matrix):
            if is_matrix:
                yield Wrapped(Text("  ") + Text(block.columns[k][0], style="dim") + "\n" +
                              Text("\n".join("    " + line for line in row[k][0].split("\n")), style=row[k][1]))


def check_section(d: Derivation, lang: str, digits: int, show_all: bool = False) -> Group:
    """The numeric check alone (after --step's last step)."""
    from .words import Words
    return rich_blocks(plain.check_section(Words(d), plain.PlainText(lang, digits, True), show_all))


# ---- wrapping as the notes would ------------------------------------------------------------
_OPERATORS = frozenset(("=", "≈", "×", "⊙", "+", "·"))    # stay at the end of a line, never start one
_CLOSING = frozenset("，。：；）、」》？！,.:;)]")            # never start a line
_OPENING = frozenset("（「《([")                              # never end one
SHORT = 12              # cells: a value after = stays with it (`+₁ = 1.455` is never split)


def hang_of(line: str, extra: int) -> int:
    """The indent of `line`'s continuation lines: its own, `extra` more (a matrix row: under its first entry)."""
    body = len(line) - len(line.lstrip(" "))
    return body + (2 if line[body:body + 1] == "[" else extra)


def breaks(line: str, width: int, extra: int = 0) -> list[int]:
    """Where the continuation lines of `line` start when it is wrapped to
    `width` cells: at spaces, and between Chinese characters; an operator
    stays with what precedes it, a short value with the = before it, so no
    line starts with = and no number is cut; items two spaces apart (the
    header's values, the forward pass) stay whole when they fit on a line.
    Continuation lines are indented by hang_of()."""
    if cells(line) <= width:
        return []
    hang = hang_of(line, extra)
    pieces = []                 # (start, end): the units a line may break between
    for m in re.finditer(r"\S+", line):
        start = m.start()
        for p in range(m.start() + 1, m.end()):
            if (_wide(line[p]) or _wide(line[p - 1])) and line[p] not in _CLOSING and line[p - 1] not in _OPENING:
                pieces.append((start, p))
                start = p
        pieces.append((start, m.end()))
    segments = []               # pieces glued into what may not be split
    for k, (start, end) in enumerate(pieces):
        text = line[start:end]
        previous = line[pieces[k - 1][0]:pieces[k - 1][1]] if k else ""
        if segments and (text in _OPERATORS or line[start] in _CLOSING and start == pieces[k - 1][1]
                         or previous in ("=", "≈") and cells(text) <= SHORT):
            segments[-1] = (segments[-1][0], end)
        else:
            segments.append((start, end))
    outer, depth, opened = [], 0, -1        # per character: where the outermost open bracket around it opened
    for k, ch in enumerate(line):
        outer.append(opened if depth else -1)
        if ch == "[":
            opened = k if depth == 0 else opened
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
    spaced = "  " in line.strip()           # items two spaces apart: the header's values, the forward pass
    items = []                  # kept whole when they fit: a bracketed value, an item
    for start, end in segments:
        if items and (outer[start] >= 0 or spaced and not line.startswith("  ", items[-1][1])) \
                and cells(line[items[-1][0]:end]) <= width - hang:
            items[-1] = (items[-1][0], end)
        else:
            items.append((start, end))
    out, line_start, indent = [], 0, 0
    for start, end in items:
        if start > line_start and indent + cells(line[line_start:end]) > width:
            out.append(start)
            line_start, indent = start, hang
    return out


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


class Wrapped:
    """Rich Text wrapped by breaks() to the width it is given (a terminal's, a
    table column's), with its styles."""

    def __init__(self, text: Text, extra: int = 0):
        self.text, self.extra = text, extra

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement
        lines = self.text.plain.split("\n")
        widest = max(cells(line) for line in lines)
        unit = max((cells(w) for line in lines for w in line.split()), default=0)
        return Measurement(min(unit, widest), widest).with_maximum(options.max_width)

    def __rich_console__(self, console, options):
        width = options.max_width
        for line in self.text.split("\n", allow_blank=True):
            plain = line.plain
            offsets = breaks(plain, width, self.extra)
            if not offsets:
                yield line
                continue
            hang = " " * hang_of(plain, self.extra)
            for k, part in enumerate(line.divide(offsets)):
                part.rstrip()
                yield part if k == 0 else Text(hang) + part
