"""Lark's parse errors -> BptutorSyntaxError with a key a student understands
and the span to put the caret under. Own classification rather than Lark's
match_examples: the cases are decided by the offending token and the text just
before it, and the scans below are loops (no recursion, linear in the input)."""
from __future__ import annotations

import re
import unicodedata

from ..errors import BptutorSyntaxError
from .text import code_chars

# Look-alike characters that fold() does not turn into ASCII, with what was meant.
# (² ³ √ σ · are the language's own: x², √x, σ(x), w·x.)
LOOKALIKES = {"∗": "*", "。": ".", "⁻": "^-", "—": "-", "Σ": "sum(", "∑": "sum("}
LOOKALIKES.update({chr(0x2080 + k): f"_{k}" for k in range(10)})     # w₀ -> w_0

_OPERATORS = {"ADD", "SUB", "MUL", "TIMES", "DIV", "MATMUL", "DOT", "POW"}
_OPERATOR_AT = re.compile(r"\*\*|[-+*/@^=,]")
_HEAD = re.compile(r"[^\W\d]\w*\s*(\([^()]*\)\s*)?=")
_INVISIBLE = ("Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Co", "Cn", "Cs")


def explain(exc, folded: str, original: str, start_rule: str = "program") -> BptutorSyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(exc, UnexpectedCharacters):
        return _bad_character(exc.pos_in_stream, folded, original)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return _ends_early(folded, getattr(exc, "pos_in_stream", None), start_rule)
    tok = exc.token
    start, end = tok.start_pos, tok.end_pos
    if end - start == 1 and original[start] != folded[start]:       # a full-width character out of place
        return BptutorSyntaxError("syntax.unexpected_char_fullwidth", (start, end), char=original[start],
                                  ascii=folded[start])
    before = _previous(folded, start)
    prev = folded[before] if before is not None else ""
    if tok.type in ("RPAR", "RBRACKET"):
        return _early_close(folded, str(tok), start, end, before, prev)
    if tok.type in _OPERATORS:
        if prev and prev in "+-*/@^":
            return BptutorSyntaxError("syntax.two_operators", (start, end), op=str(tok),
                                      before=_operator_at(folded, before))
        return BptutorSyntaxError("syntax.missing_left_operand", (start, end), op=str(tok))
    if tok.type in ("_NEWLINE", "SEMICOLON", "COMMA"):
        if prev and prev in "+-*/@^=":
            return BptutorSyntaxError("syntax.missing_operand", (before, before + 1),
                                      after=_operator_at(folded, before))
    if tok.type == "NUMBER" and (str(tok).startswith(".") or prev == "."):
        first = _number_start(folded, start)
        return BptutorSyntaxError("syntax.bad_number", (first, end), text=folded[first:end])
    if tok.type == "EQUAL" and start_rule == "assignments":
        return BptutorSyntaxError("value.expected_pair", (start, end), token="=")
    if tok.type == "EQUAL":
        return BptutorSyntaxError("syntax.assign_needs_name", (start, end))
    if tok.type in ("NAME_EQ", "DEF_HEAD") and start_rule != "assignments":     # x + y = 3: '=' after more than a name
        return BptutorSyntaxError("syntax.assign_needs_name", (end - 1, end))
    if tok.type in ("NAME", "NUMBER", "LPAR") and prev and (prev.isalnum() or prev in "_)]."):
        left = _word_before(folded, before)
        return BptutorSyntaxError("syntax.missing_operator", (start, end), left=left,
                                  right=str(tok), example=f"{left}*{tok}")
    if start_rule == "assignments":
        return BptutorSyntaxError("value.expected_pair", (start, end), token=_shown(str(tok)))
    return BptutorSyntaxError("syntax.unexpected_token", (start, end), token=_shown(str(tok)))


def _bad_character(pos: int, folded: str, original: str) -> BptutorSyntaxError:
    ch = original[pos] if pos < len(original) else ""
    span = (pos, pos + 1)
    if "\udc80" <= ch <= "\udcff":                # a byte that was not UTF-8 (surrogate-escaped argv)
        return BptutorSyntaxError("syntax.bad_byte", span, byte=f"0x{ord(ch) - 0xDC00:02X}")
    if ch and unicodedata.category(ch) in _INVISIBLE and ch not in LOOKALIKES:
        return BptutorSyntaxError("syntax.invisible_char", span, code=f"U+{ord(ch):04X}",
                                  name=unicodedata.name(ch, "?").lower())
    if ch and ch in "'\"`‘’“”「」『』":
        return BptutorSyntaxError("syntax.quote", span, char=ch)
    hint = LOOKALIKES.get(ch, "")
    if hint:
        return BptutorSyntaxError("syntax.lookalike", span, char=ch, hint=hint)
    if ch != folded[pos:pos + 1]:                 # a full-width character, folded to one we do not know
        return BptutorSyntaxError("syntax.unexpected_char_fullwidth", span, char=ch, ascii=folded[pos])
    return BptutorSyntaxError("syntax.unexpected_char", span, char=ch)


def _ends_early(folded: str, last: int | None, start_rule: str) -> BptutorSyntaxError:
    """The input ended in the middle of something: an open bracket, an operator
    waiting for its operand, or nothing at all."""
    opened = _unclosed(folded)
    if opened is not None:
        return BptutorSyntaxError("syntax.unclosed", (opened, opened + 1), char=folded[opened],
                                  closer=")" if folded[opened] == "(" else "]", column=_column(folded, opened))
    if last is None or not folded.strip():
        return BptutorSyntaxError("syntax.empty", (0, 0))
    head = _HEAD.match(folded, last)        # `x =` or `f(x) =` is one token: the operand is missing after its '='
    if head:
        last = head.end() - 1
    m = _OPERATOR_AT.match(folded, last)
    if m:
        return BptutorSyntaxError("syntax.missing_operand", m.span(), after=m.group())
    if start_rule == "assignments":
        word = _word_at(folded, last)
        return BptutorSyntaxError("value.expected_pair", (last, last + max(len(word), 1)), token=word)
    return BptutorSyntaxError("syntax.incomplete", (last, last + 1))


def _early_close(folded, char, start, end, before, prev) -> BptutorSyntaxError:
    """A ')' or ']' the parser did not expect: unmatched, or closing too early."""
    if _depth(folded, start) == 0:
        return BptutorSyntaxError("syntax.unmatched_close", (start, end), char=char)
    if prev in ("(", "["):
        return BptutorSyntaxError("syntax.empty_brackets", (before, end), brackets=prev + char)
    if prev and prev in "+-*/@^=,":
        return BptutorSyntaxError("syntax.missing_operand", (before, before + 1),
                                  after=_operator_at(folded, before))
    return BptutorSyntaxError("syntax.unexpected_token", (start, end), token=char)


def _previous(text: str, pos: int) -> int | None:
    """Index of the last non-blank character before pos."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\r\f":
        i -= 1
    return i if i >= 0 else None


def _operator_at(text: str, i: int) -> str:
    """The operator ending at i: `**` or one character."""
    return "**" if text[i] == "*" and i > 0 and text[i - 1] == "*" else text[i]


def _word_before(text: str, i: int) -> str:
    """The name, number or bracket ending at i (for 'missing operator between x and y')."""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_.") and i - j < 30:
        j -= 1
    return text[j:i + 1]


def _number_start(text: str, i: int) -> int:
    while i > 0 and (text[i - 1].isdigit() or text[i - 1] in ".eE"):
        i -= 1
    return i


def _word_at(text: str, i: int) -> str:
    j = i
    while j < len(text) and (text[j].isalnum() or text[j] == "_") and j - i < 30:
        j += 1
    return text[i:j] or text[i:i + 1]


def _shown(token: str) -> str:
    token = token.strip() or repr(token)
    return token if len(token) <= 30 else token[:29] + "…"


def _column(text: str, pos: int) -> int:
    return pos - text.rfind("\n", 0, pos)


def _depth(text: str, pos: int) -> int:
    """Brackets open at pos (comments skipped)."""
    depth = 0
    for i, ch in code_chars(text[:pos]):
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
    return depth


def _unclosed(text: str) -> int | None:
    """Position of the first bracket left open (comments skipped), or None."""
    stack = []
    for i, ch in code_chars(text):
        if ch in "([":
            stack.append(i)
        elif ch in ")]" and stack:
            stack.pop()
    return stack[0] if stack else None
