"""Terminal cell width of text (CJK characters take two cells), without Rich."""
from __future__ import annotations

import unicodedata


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
