"""Lark's parse errors -> BptutorSyntaxError with a key a student understands
and the span to put the caret under."""
from __future__ import annotations

from .errors import BptutorSyntaxError

# Look-alike characters that fold() does not turn into ASCII, with what was meant.
LOOKALIKES = {"²": "^2", "³": "^3", "√": "sqrt(", "σ": "sigmoid(", "∗": "*", "‘": "'", "’": "'",
              "“": '"', "”": '"', "：": ":", "。": "."}
LOOKALIKES.update({chr(0x2080 + k): f"_{k}" for k in range(10)})     # w₀ -> w_0
LOOKALIKES.update({"⁰": "^0", "¹": "^1", "⁴": "^4", "⁻": "^-"})

_OPERATORS = {"ADD", "SUB", "MUL", "DIV", "MATMUL", "POW"}


def explain(exc, folded: str, original: str) -> BptutorSyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = original[pos] if pos < len(original) else ""
        hint = LOOKALIKES.get(ch, "")
        key = "syntax.lookalike" if hint else "syntax.unexpected_char"
        return BptutorSyntaxError(key, (pos, pos + 1), char=ch, hint=hint)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        end = len(folded.rstrip())
        opened = _unclosed(folded)
        if opened is not None:
            return BptutorSyntaxError("syntax.unclosed", (opened, opened + 1), char=folded[opened],
                                      closer=")" if folded[opened] == "(" else "]", column=opened + 1)
        if not folded.strip():
            return BptutorSyntaxError("syntax.empty", (0, 0))
        return BptutorSyntaxError("syntax.missing_operand", (max(end - 1, 0), end),
                                  after=folded[max(end - 1, 0):end])
    tok = exc.token
    start, end = tok.start_pos, tok.end_pos
    if tok.type in ("RPAR", "RBRACKET"):
        return BptutorSyntaxError("syntax.unmatched_close", (start, end), char=str(tok))
    prev = folded[:start].rstrip()[-1:]
    if tok.type in _OPERATORS and prev and prev in "+-*/@^(,=":
        return BptutorSyntaxError("syntax.two_operators", (start, end), op=str(tok), before=prev)
    if tok.type in ("_NEWLINE", "SEMICOLON", "COMMA") and prev and prev in "+-*/@^":
        return BptutorSyntaxError("syntax.missing_operand", (start - 1, start), after=prev)
    return BptutorSyntaxError("syntax.unexpected_token", (start, end), token=str(tok).strip() or repr(str(tok)))


def _unclosed(text: str) -> int | None:
    """Position of the first bracket left open, or None."""
    stack = []
    for i, ch in enumerate(text):
        if ch in "([":
            stack.append(i)
        elif ch in ")]" and stack:
            stack.pop()
    return stack[0] if stack else None
