"""The derivation for a terminal: plain.py's blocks as Rich renderables (Text
and Table, never string padding: Chinese characters are two cells wide; never
user text inside markup), wrapped to the window. Rich is imported only when
something is laid out by it: Document.ansi() lays the same blocks out without
Rich, as Rich would (the common case on a terminal; Rich costs half the run)."""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import namedtuple

from ..core.records import Derivation
from . import plain
from .plain import cells

# A Rich Text without Rich: a style over all of it and (text, style) pieces.
Styled = namedtuple("Styled", "style pieces")


def render(d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False) -> Document:
    return Document(plain.document(d, lang, digits, show_all))


def rich_blocks(blocks: list):
    from rich.console import Group
    return Group(*(rich_block(b) for b in blocks))


def rich_block(block):
    from rich.console import Group
    from rich.text import Text
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


def rich_table(block: plain.Table):
    from rich.table import Table
    from rich.text import Text
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for title, justify in block.columns:
        table.add_column(Text(title), justify=justify, header_style="bold")
    for row in block.rows:
        table.add_row(*(rich_text(as_styled(cell)) for cell in row))
    return table


def as_styled(cell) -> Styled:
    """A table cell, plain's (text, style) or stacked()'s Styled, as Styled."""
    return cell if type(cell) is Styled else Styled(cell[1], [(cell[0], "")])


def rich_text(cell: Styled):
    from rich.text import Text
    text = Text(style=cell.style)
    for piece, style in cell.pieces:
        text.append(piece, style=style)
    return text


def plain_of(cell) -> str:
    return "".join(piece for piece, _ in cell.pieces) if type(cell) is Styled else cell[0]


def natural_width(block: plain.Table) -> int:
    """Cells a table takes with no cell wrapped (2 between columns)."""
    widths = [cells(title) for title, _ in block.columns]
    for row in block.rows:
        for k, cell in enumerate(row):
            widths[k] = max([widths[k]] + [cells(line) for line in plain_of(cell).split("\n")])
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
        merged = Styled(first_style, [(first + "\n", ""), (second, second_style)])
        before, before_style = row[a - 1]
        lines = first.count("\n") + 1
        labelled = Styled(before_style, [(before + "\n" * (lines - before.count("\n")), ""), (label, "dim")])
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
    from rich.table import Table
    from rich.text import Text
    matrix, kept, widths = matrix_columns(block)
    for n, row in enumerate(block.rows):
        table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False, show_header=n == 0)
        for k, width in zip(kept, widths):
            title, justify = block.columns[k]
            table.add_column(Text(title), justify=justify, header_style="bold", width=width)
        table.add_row(*(Text(row[k][0], style=row[k][1]) for k in kept))
        yield table
        for k, is_matrix in enumerate(matrix):
            if is_matrix:
                yield Wrapped(rich_text(Styled("", labelled_matrix(block.columns[k][0], row[k]))))


def matrix_columns(block: plain.Table) -> tuple[list[bool], list[int], list[int]]:
    """For below(): which columns hold a matrix, the others' indices, and their widths."""
    matrix = [any("\n" in row[k][0] for row in block.rows) for k in range(len(block.columns))]
    kept = [k for k, is_matrix in enumerate(matrix) if not is_matrix]
    widths = [max([cells(block.columns[k][0])] + [cells(row[k][0]) for row in block.rows]) for k in kept]
    return matrix, kept, widths


def labelled_matrix(title: str, cell: tuple) -> list:
    """A matrix under its row: its column's title, dim, then the matrix indented, as pieces."""
    text, style = cell
    return [("  ", ""), (title, "dim"), ("\n", ""), ("\n".join("    " + line for line in text.split("\n")), style)]


def check_section(d: Derivation, lang: str, digits: int, show_all: bool = False):
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
    at = [0]                    # at[k]: the cells line[:k] takes (a slice's cells by subtraction)
    for ch in line:
        at.append(at[-1] + (1 if ch < "\u0300" else 0 if unicodedata.combining(ch) else 2 if _wide(ch) else 1))
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
                         or previous in ("=", "≈") and at[end] - at[start] <= SHORT):
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
                and at[end] - at[items[-1][0]] <= width - hang:
            items[-1] = (items[-1][0], end)
        else:
            items.append((start, end))
    out, line_start, indent = [], 0, 0
    for start, end in items:
        if start > line_start and indent + at[end] - at[line_start] > width:
            out.append(start)
            line_start, indent = start, hang
    return out


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


class Wrapped:
    """Rich Text wrapped by breaks() to the width it is given (a terminal's, a
    table column's), with its styles."""

    def __init__(self, text, extra: int = 0):
        self.text, self.extra = text, extra

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement
        lines = self.text.plain.split("\n")
        widest = max(cells(line) for line in lines)
        unit = max((cells(w) for line in lines for w in line.split()), default=0)
        return Measurement(min(unit, widest), widest).with_maximum(options.max_width)

    def __rich_console__(self, console, options):
        from rich.text import Text
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


# ---- the same layout without Rich ----------------------------------------------------------
class Document:
    """The derivation's blocks for a terminal: a Rich renderable (laid out as
    above), and ansi(), the same bytes Rich would write, laid out here."""

    def __init__(self, blocks: list):
        self.blocks = blocks
        self._group = None

    def group(self):
        if self._group is None:
            self._group = rich_blocks(self.blocks)
        return self._group

    def __rich_console__(self, console, options):
        yield self.group()

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement
        return Measurement.get(console, options, self.group())

    def ansi(self, width: int, styles: bool = True, colours: bool = True) -> str | None:
        """The text Rich writes for it to a terminal `width` cells wide (with
        `styles` as SGR codes, without colours unless `colours`: NO_COLOR);
        None where only Rich lays it out so: a table wider than the window, a
        line no break fits in, a character whose width Rich may count otherwise."""
        lines = []
        for block in self.blocks:
            laid = block_lines(block, width)
            if laid is None:
                return None
            lines += laid
        if not is_sure("".join(text for segments in lines for text, _ in segments)):
            return None
        out = []
        for segments in lines:
            for text, style in segments:
                code = sgr(style, colours) if styles and style else ""
                out.append(f"\x1b[{code}m{text}\x1b[0m" if code else text)
            out.append("\n")
        return "".join(out)


# Characters whose cells plain.cells counts as Rich does (tests/test_terminal_layout.py checks
# it against rich.cells): ASCII, Latin, Greek, subscripts, math, arrows, the marks, Chinese;
# as the bounds of half-open ranges (a regex of them costs a run 1 ms to compile).
_SURE = (0x20, 0x7f, 0xa0, 0xad, 0xae, 0x300, 0x391, 0x3a2, 0x3a3, 0x3aa, 0x3b1, 0x3ca, 0x1d00, 0x1dc0,
         0x2010, 0x2028, 0x2030, 0x205f, 0x2070, 0x2072, 0x2074, 0x208f, 0x2090, 0x209d, 0x2100, 0x218c,
         0x2190, 0x2300, 0x2713, 0x2714, 0x2717, 0x2718, 0x3001, 0x302a, 0x3030, 0x303f, 0x4e00, 0xa000,
         0xff01, 0xff61, 0x1d7ce, 0x1d800)


def is_sure(text: str) -> bool:
    """Every character of text is one whose cells Rich counts as plain.cells does."""
    return all(bisect_right(_SURE, ord(ch)) % 2 for ch in set(text))


SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33"}     # Rich's codes for plain's styles
_ATTRIBUTES = ("bold", "dim")                   # in the order Rich writes them, before the colour


def sgr(style: str, colours: bool) -> str:
    """The SGR parameters of a style (words, later colours overriding earlier)."""
    words = style.split()
    codes = [SGR[word] for word in _ATTRIBUTES if word in words]
    colour = [word for word in words if word not in _ATTRIBUTES]
    if colours and colour:
        codes.append(SGR[colour[-1]])
    return ";".join(codes)


def block_lines(block, width: int) -> list | None:
    """A block as Rich lays it out at `width`: lines of (text, style) segments."""
    kind = type(block)
    if kind is plain.Lines:
        pieces = [(text, style) for text, style in block.spans]
        return wrapped_lines("", pieces, width, 2)
    if kind is plain.Grid:
        widest = max(cells(number) for number, _, _ in block.rows)
        out = []
        for number, text, style in block.rows:
            first, *more = text.split("\n")
            pieces = [(" " * (widest - cells(number)), ""), (number, "dim"), (" ", ""), (first, style)]
            out += wrapped_lines("", pieces, width, cells(number) + 1) or [None]
            for line in more:
                out += wrapped_lines(style, [(" " * (widest + 1) + line, "")], width) or [None]
        return None if None in out else out
    if natural_width(block) <= width:
        return table_lines(block)
    merged = stacked(block)
    if merged is None:
        return None             # its cells wrapped: Rich's layout
    if natural_width(merged) <= width:
        return table_lines(merged)
    return below_lines(block, width)


def below_lines(block: plain.Table, width: int) -> list | None:
    """below() laid out here: None where the other columns do not fit either."""
    matrix, kept, widths = matrix_columns(block)
    if sum(widths) + 2 * (len(widths) - 1) > width:
        return None
    out = []
    for n, row in enumerate(block.rows):
        table = plain.Table([block.columns[k] for k in kept], [[row[k] for k in kept]])
        out += table_lines(table, widths, header=n == 0) or [None]
        for k, is_matrix in enumerate(matrix):
            if is_matrix:
                out += wrapped_lines("", labelled_matrix(block.columns[k][0], row[k]), width) or [None]
    return None if None in out else out


def tidy(pieces: list) -> list:
    """Pieces as a Rich Text holds them: empty ones dropped, unstyled neighbours one."""
    out = []
    for text, style in pieces:
        if not text:
            continue
        if not style and out and not out[-1][1]:
            out[-1] = (out[-1][0] + text, "")
        else:
            out.append((text, style))
    return out


def split_pieces(pieces: list, offsets: list[int]) -> list[list]:
    """Pieces cut at character offsets (Text.divide)."""
    parts, part, at, cuts = [], [], 0, list(offsets)
    for text, style in pieces:
        while cuts and cuts[0] < at + len(text):
            k = cuts.pop(0) - at
            part.append((text[:k], style))
            parts.append(part)
            part, text, at = [], text[k:], at + k
        part.append((text, style))
        at += len(text)
    parts.append(part)
    parts += [[] for _ in cuts]             # a cut at the very end: an empty last line
    return [tidy(p) for p in parts]


def rstripped(pieces: list) -> list:
    """Trailing blanks removed (Text.rstrip)."""
    pieces = list(pieces)
    while pieces:
        text, style = pieces[-1]
        if text.rstrip():
            pieces[-1] = (text.rstrip(), style)
            break
        pieces.pop()
    return pieces


def styled(base: str, pieces: list) -> list:
    """Segments: each piece in the base style combined with its own."""
    return [(text, f"{base} {style}".strip()) for text, style in pieces]


def wrapped_lines(base: str, pieces: list, width: int, extra: int = 0) -> list | None:
    """Wrapped(Text) at `width`: a Text in style `base` cut into lines at "\\n",
    each wrapped by breaks(); None where a line is still too wide (Rich would
    cut it again)."""
    out = []
    for line in lines_of(pieces):
        plain_line = "".join(piece for piece, _ in line)
        offsets = breaks(plain_line, width, extra)
        if not offsets:
            out.append((plain_line, styled(base, line)))
            continue
        hang = " " * hang_of(plain_line, extra)
        for k, part in enumerate(split_pieces(line, offsets)):
            part = rstripped(part)
            row = styled(base, part)
            if k:
                row = [(hang, "")] + row if base else styled("", tidy([(hang, "")] + part))
            out.append(("".join(piece for piece, _ in row), row))
    if any(cells(plain_line) > width for plain_line, _ in out):
        return None
    return [row for _, row in out]


def table_lines(table: plain.Table, widths: list[int] | None = None, header: bool = True) -> list | None:
    """A table of plain's as Rich lays it out at its natural width (or at
    `widths`): cells two apart, headers bold, left or right justified, blank
    under a shorter cell."""
    titles = [[Styled("", [(title, "")]) for title, _ in table.columns]] if header else []
    rows = titles + [[as_styled(cell) for cell in row] for row in table.rows]
    split = [[[(cell.style, line) for line in lines_of(cell.pieces)] for cell in row] for row in rows]
    count = len(table.columns)
    if widths is None:
        widths = [max(cells("".join(p for p, _ in line)) for row in split for _, line in row[k]) for k in range(count)]
    if 0 in widths:
        return None             # Rich gives an empty column one cell
    out = []
    for r, row in enumerate(split):
        cell_style = "bold" if header and r == 0 else ""
        for i in range(max(len(lines) for lines in row)):
            segments = []
            for k, lines in enumerate(row):
                pad = "  " if k < count - 1 else ""
                if i >= len(lines):
                    segments.append((" " * widths[k] + pad, cell_style))
                    continue
                base, line = lines[i]
                line = justified(line, widths[k], table.columns[k][1])
                segments += styled(cell_style, styled(base, line))
                if pad:
                    segments.append((pad, cell_style))
            out.append(segments)
    return out


def lines_of(pieces: list) -> list[list]:
    """Pieces cut into lines at their newlines (Text.split("\\n", allow_blank=True))."""
    text = "".join(piece for piece, _ in pieces)
    out = []
    for line in split_pieces(tidy(pieces), [k + 1 for k, ch in enumerate(text) if ch == "\n"]):
        if line and line[-1][0].endswith("\n"):
            line = tidy(line[:-1] + [(line[-1][0][:-1], line[-1][1])])
        out.append(line)
    return out


def justified(pieces: list, width: int, justify: str) -> list:
    """A cell's line padded to its column's width on the side its justification asks."""
    if justify == "right":
        pieces = rstripped(pieces)
    pad = " " * (width - cells("".join(piece for piece, _ in pieces)))
    return tidy([(pad, "")] + pieces) if justify == "right" else tidy(pieces + [(pad, "")])
