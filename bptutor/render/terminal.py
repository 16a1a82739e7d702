"""The derivation for a terminal: plain.py's blocks as Rich renderables (Text
and Table, never string padding: Chinese characters are two cells wide; never
user text inside markup), wrapped to the window."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..core.records import Derivation
from . import plain


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
        return text
    if kind is plain.Grid:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for number, text, style in block.rows:
            grid.add_row(Text(number), Text(text, style=style))
        return grid
    table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
    for title, justify in block.columns:
        table.add_column(Text(title), justify=justify, header_style="bold")
    for row in block.rows:
        table.add_row(*(Text(text, style=style) for text, style in row))
    return table


def check_section(d: Derivation, lang: str, digits: int, show_all: bool = False) -> Group:
    """The numeric check alone (after --step's last step)."""
    from .words import Words
    return rich_blocks(plain.check_section(Words(d), plain.PlainText(lang, digits, True), show_all))
