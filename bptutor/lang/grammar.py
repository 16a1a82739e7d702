"""The grammar file grammars/bptutor.lark, the one definition of the language,
and Lark's LALR parser of it.

parse.py runs the tables tablegen.py writes from this file, so a run imports
neither Lark nor its grammar cache; Lark itself is built from the file only to
name a syntax error (the parse that failed is run again by Lark, which raises
its own exception) and for the REPL's highlighting (its analysis cached in the
user's own folder, see parse.cache_file)."""
from __future__ import annotations

import os

START = ("program", "assignments")
_HERE = os.path.dirname(os.path.abspath(__file__))


def grammar_path() -> str:
    """Inside the installed package (the wheel force-includes grammars/), else
    at the top of the source checkout."""
    packaged = os.path.join(os.path.dirname(_HERE), "grammars", "bptutor.lark")
    if os.path.isfile(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.dirname(_HERE)), "grammars", "bptutor.lark")


def grammar_text() -> str:
    with open(grammar_path(), encoding="utf-8") as file:
        return file.read()


def lark_parser(transformer=None, cache=False):
    """Lark's LALR parser of the grammar file (`cache`: Lark's cache file, see parse.cache_file)."""
    from lark import Lark
    return Lark(grammar_text(), parser="lalr", lexer="basic", start=list(START), transformer=transformer,
                maybe_placeholders=True, cache=cache)
