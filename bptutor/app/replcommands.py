"""The REPL's commands: one table read by the session (repl.py), which runs
them, and by the prompt (replui.py), which completes them. The export commands
(:md, :latex) are the document formats of render.FORMATS.
Help texts are repl.usage_<command> and repl.help_<command>."""
from __future__ import annotations

from ..core.records import MODES
from ..i18n import LANGS
from .export import DOCUMENTS

COMMANDS = ("help", "vals", "del", "clear", "lang", "digits", "mode", "hand", "check", "step", "json", "graph", *DOCUMENTS,
            "quiz", "train", "quit")
ALIASES = {"q": "quit", "exit": "quit", "h": "help", "?": "help"}


def command_name(word: str) -> str:
    """A typed command word (without ':') as the command it names."""
    return ALIASES.get(word, word)


def argument_choices(command: str, values) -> list[str]:
    """What Tab offers after `:command ` (`values`: the names with values)."""
    return {"lang": list(LANGS), "mode": list(MODES), "help": list(COMMANDS), "del": list(values),
            "hand": ["on", "off"]}.get(command, [])
