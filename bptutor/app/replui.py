"""The prompt_toolkit pieces of the REPL: highlighting of the input line, Tab
completion, the keys, the input limit and a private history file. Imported
only when the interactive shell starts."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.filters import emacs_insert_mode, vi_insert_mode
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from ..core.ops import CONSTANTS, FUNCTIONS
from ..lang.notation import canonical
from ..errors import BptutorError
from .files import shown_path
from .replcommands import COMMANDS, argument_choices, command_name

UNDO_TEXT = 2000            # longer texts keep no undo copy per key: a paste typed key by key
HISTORY_ENTRY = 10_000      # characters; a longer input is not saved in the history

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


# ---- keys and the input limit ---------------------------------------------------------
def key_bindings(typed) -> KeyBindings:
    """Enter ends the input unless it goes on (`typed`: a repl.Typed); typed
    characters are inserted with an undo copy only while the text is short --
    a paste without bracketed paste arrives as one key per character, and a
    copy of the whole text per key grew past 4 GB for 100 KB."""
    keys = KeyBindings()

    @keys.add("enter")
    def _enter(event):
        buffer = event.current_buffer
        if typed.incomplete(buffer.text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @keys.add(Keys.Any, filter=vi_insert_mode | emacs_insert_mode,
              save_before=lambda event: not event.is_repeat and len(event.current_buffer.text) < UNDO_TEXT)
    def _insert(event):
        event.current_buffer.insert_text(event.data * event.arg)

    return keys


# ---- history: every line typed, so for its owner's eyes only ---------------------------
class PrivateHistory(FileHistory):
    """FileHistory that saves no huge entries and, when a write fails (a full
    disk), says so once and goes on without saving."""

    def __init__(self, filename: str, warn):
        super().__init__(filename)
        self.warn = warn
        self.failed = False

    def store_string(self, string: str) -> None:
        if len(string) > HISTORY_ENTRY or self.failed:
            return
        try:
            super().store_string(string)
        except OSError as exc:
            self.failed = True
            self.warn(history_problem(self.filename, exc.strerror or str(exc)))


def private_history(path: Path, warn):
    """A history file only its owner can read (folder 0700, file 0600); when
    `path` cannot be one (a folder, a symlink, someone else's folder), an
    in-memory history and warn(BptutorError) saying why, once."""
    try:
        folder = path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            warn(history_problem(folder))
            return InMemoryHistory()
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(folder, 0o700)
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | nofollow | getattr(os, "O_NONBLOCK", 0), 0o600)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                warn(history_problem(path))
                return InMemoryHistory()
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:          # a folder in its place (EISDIR), a symlink (ELOOP), no permission
        warn(history_problem(path, exc.strerror or str(exc)))
        return InMemoryHistory()
    return PrivateHistory(str(path), warn)


def history_problem(path, reason: str | None = None) -> BptutorError:
    """Why the history is not saved: the system's reason, or that `path` is
    not a regular file in a folder of the user's own."""
    key = "repl.history_not_private" if reason is None else "repl.history_unusable"
    return BptutorError(key, None, path=shown_path(str(path)), reason=reason)
