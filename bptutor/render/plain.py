"""The derivation as plain text: the words (render/words.py) printed with
numbers at --digits and formulas as text (∂f/∂x, xᵀ). This module never
imports Rich: piped output (`bptutor EXPR --vals … | less`) is written from
here, and terminal.py lays out the same blocks with Rich's styles.

A document is a list of blocks: Lines (styled spans), Grid (numbered steps) and
Table (a header and rows of styled cells); styles are Rich's names, which
plain text leaves out."""
from __future__ import annotations

import unicodedata
from collections import namedtuple

from ..core.ops import fill
from ..core.records import Derivation
from ..i18n import t
from .numbers import array_text, is_small, matrix_rows, num, paren, shape_tuple, short, true_decimals
from .words import (Aside, Block, Chain, Code, Equation, Formula, Joined, Math, Mark, Name, Num, Partial, Product,
                    PIECES, Rule, Sentence, Sign, Words, chain, shape_of, times)

HEAD, TAIL = 25, 15          # steps shown of a large derivation without --all
MAX_FORWARD = 40             # forward items shown before eliding
MAX_ROWS = 40                # check-table rows shown before eliding
MAX_LINES, MAX_LINE = 40, 300   # header: program lines and characters per line shown
MAX_VALUES = 40              # header: input values shown
INDENT = "    "              # a note under a step, a matrix's rows

Lines = namedtuple("Lines", "spans")            # (text, style) pairs; text may hold newlines
Grid = namedtuple("Grid", "rows")               # (number, text, style) per row
Table = namedtuple("Table", "columns rows")     # columns: (title, justify); rows: [(text, style), ...]


class PlainText:
    """Pieces as plain text: ∂f/∂x, -1/u² = -1/1.37² = -0.53, 2 × 0.20 ≈ 0.39;
    arrays on one line ([0.2, 0.4]), summarised when large unless `show_all`."""

    def __init__(self, lang: str = "en", digits: int = 4, show_all: bool = False):
        self.lang, self.digits, self.show_all = lang, digits, show_all
        self.last = (None, None)        # the last equation asked about, and its decimals

    def n(self, x, extra: int = 0) -> str:
        if shape_of(x):
            return array_text(x, self.digits, full=self.show_all, extra=extra)
        return num(x, self.digits, extra=extra)

    def decimals(self, equation: Equation | None) -> int | None:
        """The digits equation's operands are shown at for it to be true as
        shown (numbers.true_decimals); None where none does (≈, at --digits).
        Its operands and its sign ask in turn: the last answer is kept."""
        if equation is None:
            return self.digits
        if self.last[0] is not equation:
            self.last = (equation, true_decimals(equation.compute, equation.operands, equation.result, self.digits))
        return self.last[1]

    def extra(self, equation: Equation | None) -> int:
        """The decimals equation's operands are shown with beyond --digits (num's `extra`)."""
        d = self.decimals(equation)
        return 0 if d is None else d - self.digits

    def sign(self, equation: Equation | None, block: bool = False) -> str:
        """ = or ≈ (before a Block, which brings its own space: " =")."""
        sign = " =" if self.decimals(equation) is not None else " ≈"
        return sign if block else sign + " "

    def given(self, v) -> str:
        """An input as the user gave it: 0.5, not 0.5000 (an array by its shape in a table)."""
        return shape_tuple(v.shape) if shape_of(v) else short(v) if isinstance(v, float) else self.n(v)

    def value_text(self, v) -> str:
        """An input in the header: [[0.1, 0.5], [-0.3, 0.8]]; large ones summarised."""
        return array_text(v, self.digits, self.show_all, entry=short) if shape_of(v) else self.given(v)

    def cell(self, x, among=()) -> str:
        """A value in a table cell: a small matrix one row per line; a sampled
        numeric gradient by how many entries were checked; a number in the
        format of the numbers `among` it (its column)."""
        shape = shape_of(x)
        if not shape:
            return num(x, self.digits, among)
        if shape and x.dtype.kind == "f" and (x != x).any():
            return t("tensor.checked_entries", self.lang, checked=int((x == x).sum()), total=x.size)
        if len(shape) == 2 and shape[0] > 1 and (self.show_all or is_small(x)):
            return "\n".join(matrix_rows(x, self.digits))
        return self.n(x)

    def block(self, x) -> str:
        """A value ending a rule: a matrix one row per line, columns aligned."""
        shape = shape_of(x)
        if len(shape) != 2 or shape[0] < 2 or not (self.show_all or is_small(x)):
            return " " + self.n(x)
        rows = matrix_rows(x, self.digits)
        lines = ["[" + rows[0] + ","] + [" " + r + "," for r in rows[1:-1]] + [" " + rows[-1] + "]"]
        return "\n" + "\n".join(INDENT + line for line in lines)

    def text(self, piece) -> str:
        kind = type(piece)
        if kind is Sentence:
            return self.sentence(piece)
        if kind is Name:
            return piece.label
        if kind is Code:
            return piece.text
        if kind is Num:
            text = self.value_text(piece.value) if piece.given else \
                self.cell(piece.value, piece.among) if piece.among else self.n(piece.value, self.extra(piece.within))
            return paren(text) if piece.paren else text
        if kind is Formula:
            return piece.plain
        if kind is Math:
            return "".join([self.text(p) for p in piece.parts])
        if kind is Partial:
            return f"∂{self.text(piece.top)}/∂{self.text(piece.bottom)}"
        if kind is Rule:
            ops = [self.text(o) for o in piece.operands] + ["", ""]
            return fill(piece.op, piece.k, piece.c, ops[0], ops[1], cfmt=short,
                        g=None if piece.g is None else self.text(piece.g), o="" if piece.o is None else self.text(piece.o))
        if kind is Product:
            return self.product(piece)
        if kind is Chain:
            return chain([self.text(p) for p in piece.parts], self.sign(piece.within))
        if kind is Sign:
            return self.sign(piece.within, piece.block)
        if kind is Block:
            return self.block(piece.value)
        if kind is Aside:
            return self.text(piece.piece)
        if kind is Mark:
            return t(f"render.verdict_{piece.verdict}", self.lang)
        if kind is Joined:
            sep = ("" if self.lang == "zh" else " ") if piece.sep == "space" else piece.sep
            return sep.join([self.text(p) for p in piece.parts])
        return str(piece)

    def product(self, p: Product) -> str:
        """2 × 7.38906 = 14.7781: the factors with the digits that give the
        product as shown; ≈ where none do."""
        equation = Equation(times, (p.local, p.upstream), p.result) if isinstance(p.local, float) else None
        extra = self.extra(equation)
        return f"{self.n(p.local, extra)} × {paren(self.n(p.upstream, extra))}{self.sign(equation)}{self.n(p.result)}"

    def sentence(self, s: Sentence) -> str:
        params = {key: self.text(value) if type(value) in PIECES else value for key, value in s.params.items()}
        text = t(s.key, self.lang, **params)
        for note in s.notes:
            text += "\n" + INDENT + self.text(note)
        return text


class Narration:
    """A derivation's words printed as plain text, for the front ends that quote
    single sentences (answers, the quiz): `sentence(step)`, `n(x)`, `who(i)`."""

    def __init__(self, d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False):
        self.d, self.lang, self.digits = d, lang, digits
        self.words = Words(d)
        self.printer = PlainText(lang, digits, show_all)
        self.nodes = d.graph.nodes

    def sentence(self, step) -> str:
        return self.printer.sentence(self.words.step(step))

    def n(self, x) -> str:
        return self.printer.n(x)

    def who(self, i: int) -> str:
        return self.printer.text(self.words.who(i))

    def gate(self, i: int) -> str:
        return self.words.gate(i).text

    def forward_items(self) -> list[tuple[str, str]]:
        return forward_items(self.words, self.printer)

    def warnings(self) -> list[str]:
        return [self.printer.sentence(w) for w in self.words.warnings()]


# ---- the document -----------------------------------------------------------------------------
def document(d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False) -> list:
    """The derivation as blocks, in the order printed (an empty Lines: a blank line)."""
    words, pr = Words(d), PlainText(lang, digits, show_all)
    blank = Lines([])
    blocks = [header(d, words, pr), blank, forward_section(words, pr, show_all)]
    if d.scalar and "reverse" in d.narrated:
        blocks += [blank, *steps_grid(t("render.backward_title", lang), d.steps, words.step, pr, show_all)]
    for p in words.passes():
        blocks += [blank, *steps_grid(pr.sentence(words.pass_title(p)), words.pass_steps(p), None, pr, show_all)]
    if d.scalar:
        blocks += [blank, *check_section(words, pr, show_all)]
    if d.forward_checks and "forward" in d.narrated:
        blocks += [blank, *lines_section(t("modes.tangents_title", lang), words.tangent_checks(), pr)]
    if d.jacobian is not None:
        blocks += [blank, *jacobian_section(words, pr)]
    cost = words.cost_lines()
    if cost:
        blocks += [blank, *lines_section(t("modes.cost_title", lang), cost, pr)]
    warnings = words.warnings()
    if warnings:
        blocks.append(blank)
        blocks += [Lines([("! " + pr.sentence(w), "yellow")]) for w in warnings]
    return blocks


def render(d: Derivation, lang: str = "en", digits: int = 4, show_all: bool = False) -> str:
    """The narration as plain text (what a pipe gets)."""
    return text_of(document(d, lang, digits, show_all))


def header(d: Derivation, words: Words, pr: PlainText) -> Lines:
    lines = [line for line in d.source.strip().splitlines() if not line.lstrip().startswith("#")]
    source = "\n".join(_shorten(lines, pr.lang))
    spans = []
    if not ("\n" in source or ";" in source or "=" in source):
        spans.append((f"{words.nodes[words.out].label} = ", "bold"))
    spans += [(source, "bold"), ("\n", "")]
    items = words.values()
    shown = [f"{k} = {pr.value_text(v)}" for k, v in items[:MAX_VALUES]]
    if len(items) > MAX_VALUES:
        shown.append(t("render.hidden", pr.lang, count=len(items) - MAX_VALUES))
    spans += [("   ".join(shown), "green"), ("\n", "")]
    spans.append(("\n".join(t("render.value_line", pr.lang, f=label, value=pr.n(value))
                            for label, value in words.outputs()), ""))
    return Lines(spans)


def _shorten(lines: list[str], lang: str) -> list[str]:
    """A huge program in the header: long lines cut, the middle lines left out."""
    cut = [line if len(line) <= MAX_LINE else line[:MAX_LINE - 20] + " … " + line[-15:] for line in lines]
    if len(cut) > MAX_LINES:
        hidden = len(cut) - MAX_LINES
        cut = cut[:MAX_LINES - 5] + [t("render.hidden", lang, count=hidden)] + cut[-5:]
    return cut


def forward_items(words: Words, pr: PlainText) -> list[tuple[str, str]]:
    """(label, value) of every computed node, in evaluation order (an array's label with its shape)."""
    items = []
    for i, label, value in words.forward():
        if shape_of(value) and (pr.show_all or is_small(value)):      # a summary starts with the shape
            label += words.shape(i)
        items.append((label, pr.n(value)))
    return items


def forward_section(words: Words, pr: PlainText, show_all: bool) -> Lines:
    items = forward_items(words, pr)
    hidden = 0
    if not show_all and len(items) > MAX_FORWARD:
        hidden = len(items) - MAX_FORWARD
        items = items[:MAX_FORWARD - 5] + [("…", "")] + items[-5:]
    spans = [(t("render.forward_title", pr.lang), "bold"), ("\n", "")]
    for k, (label, value) in enumerate(items):
        if k:
            spans.append(("  ·  ", "dim"))
        if label == "…":
            spans.append((t("render.hidden", pr.lang, count=hidden), "dim"))
            continue
        spans += [(f"{label} = ", ""), (value, "green")]
    return Lines(spans)


def steps_grid(title: str, steps: list, sentence, pr: PlainText, show_all: bool) -> list:
    """Numbered steps under a title: `sentence(step)` gives each one's words (or,
    None, `steps` are the sentences); the middle of a long list is left out
    unless `show_all`."""
    numbered = list(enumerate(steps, 1))
    hidden = 0
    if not show_all and len(numbered) > HEAD + TAIL + 5:
        hidden = len(numbered) - HEAD - TAIL
        numbered = numbered[:HEAD] + [None] + numbered[-TAIL:]
    rows = []
    for item in numbered:
        if item is None:
            rows.append(("…", t("render.steps_hidden", pr.lang, count=hidden), "yellow"))
            continue
        k, s = item
        if sentence is None:
            rows.append((str(k), pr.sentence(s), ""))
        else:
            rows.append((str(k), pr.sentence(sentence(s)), "bold" if s.kind == "sum" else ""))
    return [Lines([(title, "bold")]), Grid(rows)]


def lines_section(title: str, sentences: list, pr: PlainText) -> list:
    return [Lines([(title, "bold")])] + [Lines([(pr.text(s), "")]) for s in sentences]


def jacobian_section(words: Words, pr: PlainText) -> list:
    """The Jacobian: what it is and how it was built, the matrix with row and
    column labels (or a summary), its numeric check."""
    title, *notes = [pr.sentence(s) for s in words.jacobian_lines()]
    blocks = [Lines([(title, "bold")])] + [Lines([(note, "dim" if k == 0 else "")]) for k, note in enumerate(notes)]
    for table in words.jacobian_tables():
        if type(table) is Sentence:
            blocks.append(Lines([(pr.sentence(table), "")]))
            continue
        columns = [("", "left")] + [(label, "right") for label in table.columns]
        among = table.columns_values()
        rows = [[(label, "bold")] + [(pr.cell(v, among[k]), "") for k, v in enumerate(cells)]
                for label, cells in table.rows]
        blocks.append(Table(columns, rows))
    checks = words.jacobian_checks()
    if checks:
        blocks += [Lines([(t("modes.check_title", pr.lang), "bold")])] + [Lines([(pr.sentence(c), "")]) for c in checks]
    return blocks


VERDICT_STYLE = {"ok": "green", "fail": "bold red", "kink": "yellow", "skipped": "yellow"}


def check_section(words: Words, pr: PlainText, show_all: bool) -> list:
    lang = pr.lang
    table = words.check_table()
    columns = [(t(f"render.col_{key}", lang), "left" if key in ("input", "verdict") else "right")
               for key in table.columns]
    rows = table.rows if show_all or len(table.rows) <= MAX_ROWS else table.rows[:MAX_ROWS]
    cells = []
    for row in rows:
        line = [(row.name, ""), (pr.given(row.value), ""), (pr.cell(row.gradient, table.among["gradient"]), "")]
        c = row.check
        if c is None:
            line += [("", "")] * (len(columns) - 4) + [(t("render.verdict_unchecked", lang), "")]
        else:
            line += [("" if x is None else pr.cell(x.value, x.among) if type(x) is Num else x, "")
                     for x in words.check_cells(table, c)]
            line.append((pr.text(Mark(c.verdict)), VERDICT_STYLE[c.verdict]))
        cells.append(line)
    blocks = [Lines([(pr.sentence(table.title), "bold")]), Table(columns, cells)]
    if len(rows) < len(table.rows):
        blocks.append(Lines([(t("render.rows_hidden", lang, count=len(table.rows) - len(rows)), "yellow")]))
    blocks += [Lines([(pr.sentence(note), "dim" if k == 0 else "yellow")]) for k, note in enumerate(table.notes)]
    return blocks


# ---- blocks as text ----------------------------------------------------------------------------
def cells(text: str) -> int:
    """Terminal cells of text: CJK characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def text_of(blocks: list) -> str:
    """Blocks laid out as a terminal of unlimited width lays them out: a grid's
    number right-aligned before its text, a table's cells two cells apart;
    no trailing blanks."""
    out = []
    for block in blocks:
        kind = type(block)
        if kind is Lines:
            out += "".join(text for text, _style in block.spans).split("\n")
        elif kind is Grid:
            width = max((cells(number) for number, _, _ in block.rows), default=0)
            for number, text, _style in block.rows:
                first, *rest = text.split("\n")
                out.append(" " * (width - cells(number)) + number + " " + first)
                out += [" " * (width + 1) + line for line in rest]
        else:
            out += table_lines(block)
    return "\n".join(line.rstrip() for line in out) + "\n"


def table_lines(table: Table) -> list[str]:
    columns = [title for title, _ in table.columns]
    rows = [[(title, "bold") for title in columns]] + table.rows
    split = [[text.split("\n") for text, _style in row] for row in rows]
    widths = [max(cells(line) for row in split for line in row[k]) for k in range(len(columns))]
    lines = []
    for row in split:
        for r in range(max(len(cell) for cell in row)):
            parts = []
            for k, cell in enumerate(row):
                line = cell[r] if r < len(cell) else ""
                pad = " " * (widths[k] - cells(line))
                parts.append(line + pad if table.columns[k][1] == "left" else pad + line)
            lines.append("  ".join(parts))
    return lines
