"""The prompt_toolkit pieces of the REPL: highlighting of the input line and
Tab completion. Imported only when the interactive shell starts."""
from __future__ import annotations

import re

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from ..core.ops import CONSTANTS, FUNCTIONS
from ..lang.notation import canonical
from .replcommands import COMMANDS, argument_choices, command_name

STYLE = Style.from_dict({
    "number": "#5fafff",
    "function": "#d787ff bold",
    "known": "#5fd75f",          # a name that has a value
    "name": "",
    "operator": "#ffaf00",
    "bracket": "#888888",
    "comment": "#888888 italic",
    "command": "#00afaf bold",
    "error": "bg:#870000 #ffffff",
})

_OPERATORS = {"ADD", "SUB", "MUL", "TIMES", "DIV", "MATMUL", "DOT", "POW", "ROOT", "BAR", "SUPERSCRIPT",
              "TRANSPOSE", "EQUAL", "AUGASSIGN", "COMMA", "COLON", "SEMICOLON"}
_BRACKETS = {"LPAR", "RPAR", "LBRACKET", "RBRACKET"}
_token_re = None


def token_regex():
    """One regex over the grammar's own terminals (longest patterns first, so
    `**` wins over `*`), built from the Lark parser rather than copied."""
    global _token_re
    if _token_re is None:
        from ..lang.parse import parser
        terminals = sorted(parser().terminals, key=lambda td: -td.pattern.max_width)
        parts = [f"(?P<{td.name}>{td.pattern.to_regexp()})" for td in terminals]
        _token_re = re.compile("|".join(parts))
    return _token_re


def tokens(line: str, known=()) -> list[tuple[str, str]]:
    """(style, text) pieces of one input line."""
    from ..lang.text import fold
    if line.lstrip().startswith(":"):
        head, sep, rest = line.partition(" ")
        return [("class:command", head + sep), ("", rest)]
    folded = fold(line)            # same length: full-width input highlights like ASCII
    regex = token_regex()
    out, pos = [], 0
    while pos < len(line):
        m = regex.match(folded, pos)
        if m is None or m.end() == pos:
            out.append(("class:error", line[pos]))
            pos += 1
            continue
        kind = m.lastgroup
        text = line[pos:m.end()]
        if kind == "NUMBER":
            style = "class:number"
        elif kind == "NAME":
            after = folded[m.end():].lstrip()
            if canonical(text, FUNCTIONS) and after.startswith("("):
                style = "class:function"
            else:
                style = "class:known" if text in known else "class:name"
        elif kind == "NAME_EQ":             # `x =`: the name, then the '='
            name = text[:-1].rstrip()
            out += [("class:known" if name in known else "class:name", name), ("", text[len(name):-1]),
                    ("class:operator", "=")]
            pos = m.end()
            continue
        elif kind in ("METHOD", "DEF_HEAD"):
            style = "class:function"
        elif kind in _OPERATORS:
            style = "class:operator"
        elif kind in _BRACKETS:
            style = "class:bracket"
        elif kind == "COMMENT":
            style = "class:comment"
        else:
            style = ""
        out.append((style, text))
        pos = m.end()
    return out


class InputLexer(Lexer):
    def __init__(self, session):
        self.session = session

    def lex_document(self, document):
        lines = document.lines
        known = set(self.session.values)
        return lambda i: tokens(lines[i], known) if i < len(lines) else []


class ReplCompleter(Completer):
    """Commands after ':', then functions, names with values and constants."""

    def __init__(self, session):
        self.session = session

    def get_completions(self, document, complete_event):
        before = document.text_before_cursor
        word = re.search(r"[:\w]*$", before).group()
        stripped = before.lstrip()
        if stripped.startswith(":") and " " not in stripped:
            yield from self._from(word, [":" + c for c in COMMANDS])
            return
        if stripped.startswith(":"):
            command = command_name(stripped[1:].split()[0])
            yield from self._from(word, argument_choices(command, self.session.values))
            return
        word = re.search(r"\w*$", before).group()
        if not word:
            return
        names = sorted(FUNCTIONS) + sorted(self.session.values) + sorted(CONSTANTS)
        yield from self._from(word, names)

    @staticmethod
    def _from(word, choices):
        seen = set()
        for choice in choices:
            if choice.startswith(word) and choice not in seen:
                seen.add(choice)
                yield Completion(choice, start_position=-len(word))
