"""Source text before it is parsed: the size limit, control characters, full-width
and look-alike characters folded to ASCII, scanning outside comments, and
"did you mean" for a mistyped name."""
from __future__ import annotations

import re
from itertools import accumulate

from ..errors import BptutorError, BptutorSyntaxError

# Characters (and bytes of a file): a bigger input is refused, not parsed slowly.
# Lark parses ~100k tokens/s here, so the worst input this admits (a million
# one-character tokens) takes ~10 s; graph.MAX_NODES stops big graphs sooner.
MAX_SOURCE = 1_000_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")      # all but tab, newline, carriage return

# One character for one: positions in the folded text are positions in the input.
# (· and ⋅ stay: the grammar reads them as a product that is the inner product of vectors.)
_FOLD = {0x0D: "\n", 0x3000: " ", 0x00A0: " ", 0x00D7: "*", 0x00F7: "/", 0x2217: "*", 0x2219: "*", 0x2212: "-", 0x2013: "-", 0x2010: "-", 0x2011: "-", 0x2012: "-",
         0xFE63: "-", 0x2044: "/", 0x2215: "/", 0x3010: "[", 0x3011: "]", 0x3001: ","}
_FOLD.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)})
_FOLD.update({cp: " " for cp in (*range(0x2000, 0x200B), 0x202F, 0x205F)})     # thin spaces from PDFs


def check_source(text: str) -> None:
    """Refuse a text too large to parse in reasonable time, or holding a control
    character (pointed at, with the text attached for the caret)."""
    if len(text) > MAX_SOURCE:
        raise BptutorError("input.too_large", None, size=f"{len(text):,}", limit=f"{MAX_SOURCE:,}")
    m = _CONTROL.search(text)
    if m:
        bad = m.start()
        raise BptutorSyntaxError("syntax.control_char", (bad, bad + 1),
                                 code=f"U+{ord(text[bad]):04X}").with_source(text)


def fold(text: str) -> str:
    """Full-width (Chinese IME) and look-alike characters -> ASCII, newlines
    inside brackets and after a trailing backslash -> spaces. Same length.
    A comment on a line joined to the next becomes spaces too: it ends at its
    line, and must not swallow the rest of the bracket (`f = (x  # c` + `+ y)`).
    Line by line with str's own counting (a big input has few lines, long ones)."""
    if not text.isascii() or "\r" in text:        # (\r is the one ASCII character folded)
        text = text.translate(_FOLD)
    if "\n" not in text:
        return text
    lines = text.split("\n")
    out = []
    depth = 0                           # brackets open at the end of the line
    for line in lines[:-1]:
        comment = line.find("#")
        depth = _depth_after(line if comment < 0 else line[:comment], depth)
        if depth > 0 or (comment < 0 and line.endswith("\\")):
            if comment >= 0:
                line = line[:comment] + " " * (len(line) - comment)
            elif line.endswith("\\"):
                line = line[:-1] + " "
            out.append(line + " ")
        else:
            out.append(line + "\n")
    out.append(lines[-1])
    return "".join(out)


_BRACKETS = re.compile(r"[][()]")
_STEP = {"(": 1, "[": 1, ")": -1, "]": -1, ord("("): 1, ord("["): 1, ord(")"): -1, ord("]"): -1}
_NOT_BRACKETS = bytes(sorted(set(range(128)) - set(b"()[]")))       # an ASCII line's bytes but its brackets


def _depth_after(code: str, depth: int) -> int:
    """Brackets open after `code` when `depth` were open before it; a closing
    bracket with none open closes nothing. The lowest point of the running
    count says how many such there were."""
    opens, closes = code.count("(") + code.count("["), code.count(")") + code.count("]")
    if not closes:
        return depth + opens
    if not opens:
        return max(depth - closes, 0)
    brackets = code.encode().translate(None, _NOT_BRACKETS) if code.isascii() else _BRACKETS.findall(code)
    lowest = min(accumulate(map(_STEP.__getitem__, brackets)))
    return depth + opens - closes - min(0, depth + lowest)


def code_chars(text: str):
    """(index, character) outside comments: a bracket in `# see (1)` opens nothing."""
    in_comment = False
    for i, ch in enumerate(text):
        if in_comment:
            if ch == "\n":
                in_comment = False
                yield i, ch
        elif ch == "#":
            in_comment = True
        else:
            yield i, ch


# Letters of other scripts drawn exactly like Latin ones: Cyrillic х and Latin x
# are two names no reader can tell apart. (Greek letters a student means -- α, ρ,
# ν -- look different enough; only the capitals and omicron are listed.)
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһӏАВЕКМНОРСТУХІЈЅοΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwhlABEKMHOPCTYXIJSoABEZHIKMNOPTYX")


def lookalike_names(names) -> list[tuple[str, str]]:
    """(name, the Latin name it looks like) for each name written with
    look-alike letters of another script."""
    return [(name, name.translate(_LOOKALIKES)) for name in names
            if not name.isascii() and name.translate(_LOOKALIKES) != name]


def suggest(word: str, choices) -> str:
    """The closest of `choices` to a mistyped `word`, or ""."""
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else ""
