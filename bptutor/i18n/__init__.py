"""Message catalogs. Each area has one TOML file holding every key in English
and Chinese side by side:

    [step.edge]
    en = "..."
    zh = "..."

The key's first segment names the file (`step.edge` lives in step.toml), so a
plain run loads only the files it uses. The files are read from this folder
by plain paths, and by a reader of the little TOML they are written in (tables
of one-line or triple-quoted strings): importing importlib.resources and
tomllib would cost a plain run more than everything it derives. A file the
reader does not follow goes to tomllib (tests/test_i18n.py: none does, and
the reader gives exactly what tomllib gives)."""
from __future__ import annotations

import os
import re

LANGS = ("en", "zh")
FOLDER = os.path.dirname(os.path.abspath(__file__))
_catalogs: dict[str, dict[str, dict[str, str]]] = {}


def _flatten(table: dict, prefix: str, out: dict) -> None:
    stack = [(prefix, table)]
    while stack:
        pre, tab = stack.pop()
        if "en" in tab and isinstance(tab["en"], str):
            out[pre] = tab
            continue
        for key, sub in tab.items():
            stack.append((f"{pre}.{key}" if pre else key, sub))


def catalog(area: str) -> dict[str, dict[str, str]]:
    """All messages of one area (one file), flattened to dotted keys."""
    if area not in _catalogs:
        with open(os.path.join(FOLDER, f"{area}.toml"), encoding="utf-8") as file:
            text = file.read()
        flat = read_catalog(text, area)
        if flat is None:
            import tomllib
            flat = {}
            _flatten(tomllib.loads(text), area, flat)
        _catalogs[area] = flat
    return _catalogs[area]


_TABLE = re.compile(r"\[([A-Za-z0-9_.]+)\]\s*(?:#.*)?")
_ONE_LINE = re.compile(r'([A-Za-z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:#.*)?')
_OPENS = re.compile(r'([A-Za-z0-9_]+)\s*=\s*"""(.*)')
_ESCAPE = re.compile(r'\\(?:([btnfr"\\])|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|\n\s*)')
_ESCAPED = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def read_catalog(text: str, area: str) -> dict[str, dict[str, str]] | None:
    """A catalog's entries, flattened to dotted keys, read as TOML reads them;
    None for anything beyond tables of `key = "..."` and `key = \"\"\"...\"\"\"`."""
    flat: dict[str, dict[str, str]] = {}
    entry = None
    lines = iter(text.splitlines())
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if m := _TABLE.fullmatch(stripped):
            entry = flat.setdefault(f"{area}.{m[1]}", {})
        elif entry is not None and (m := _ONE_LINE.fullmatch(stripped)):
            entry[m[1]] = _unescape(m[2])
        elif entry is not None and (m := _OPENS.fullmatch(stripped)):
            key, rest, body = m[1], m[2], []
            while '"""' not in rest:        # TOML drops the newline right after the opening quotes
                body.append(rest)
                rest = next(lines, None)
                if rest is None:
                    return None
            end = rest.index('"""')
            if rest[end + 3:].strip():
                return None
            body.append(rest[:end])
            value = "\n".join(body)
            entry[key] = _unescape(value[1:] if value.startswith("\n") else value)
        else:
            return None
    return {key: entry for key, entry in flat.items() if entry}    # [a] holding only [a.b] is no entry


def _unescape(text: str) -> str:
    def one(m):
        if m[1]:
            return _ESCAPED[m[1]]
        if m[2] or m[3]:
            return chr(int(m[2] or m[3], 16))
        return ""                       # a line-ending backslash: the newline and the indentation go
    return _ESCAPE.sub(one, text) if "\\" in text else text


def areas() -> list[str]:
    return sorted(name[:-5] for name in os.listdir(FOLDER) if name.endswith(".toml"))


def t(key: str, lang: str = "en", **params) -> str:
    """The message `key` in `lang`, with `params` filled in."""
    entry = catalog(key.split(".", 1)[0]).get(key)
    if entry is None:
        return key if not params else f"{key} {params}"
    text = entry.get(lang) or entry["en"]
    if not params:
        return text
    if lang == "zh":
        return _spaced(text, _Params(params))
    return text.format_map(_Params(params))


# Chinese text puts a space between a Chinese character and anything else
# written beside it (a name, a number, a bracket), never beside full-width
# punctuation (tests/test_wording.py). The catalogs follow the rule in their own
# text; where a placeholder meets it (`{target}的梯度` with target `w2` or
# `x+y 结点`) the space is added here, so that both read right.
# (Comparisons, not regexes: compiling the two character classes cost a plain run 4.6 ms.)
_parsed: dict[str, list] = {}


def _chinese(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _never_spaced(ch: str) -> bool:
    """A blank or full-width punctuation (、。「」，：！…“”—): no space beside it."""
    return (ch.isspace() or "\u3000" <= ch <= "\u303f" or "\uff01" <= ch <= "\uff65"
            or ch in "\u201c\u201d\u2018\u2019\u2026\u2014")


def _spaced(text: str, params: "_Params") -> str:
    pieces = _parsed.get(text)
    if pieces is None:
        from string import Formatter
        pieces = _parsed[text] = [(literal, None if field is None else
                                   "{" + field + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}")
                                  for literal, field, spec, conv in Formatter().parse(text)]
    out = ""
    for literal, field in pieces:
        out = _join(out, literal)
        if field is not None:
            out = _join(out, field.format_map(params))
    return out


def _join(done: str, piece: str) -> str:
    """done + piece, with a space where Chinese meets anything but a space or full-width punctuation."""
    if done and piece:
        a, b = done[-1], piece[0]
        if _chinese(a) != _chinese(b) and not _never_spaced(a) and not _never_spaced(b):
            return done + " " + piece
    return done + piece


class _Params(dict):
    """A placeholder nobody filled stays visible instead of raising: a message
    must never be what crashes."""

    def __missing__(self, key):
        return "{" + key + "}"


def pick_lang(explicit: str | None = None, environ=os.environ) -> str:
    """--lang > BPTUTOR_LANG > LANGUAGE, LC_ALL, LC_MESSAGES, LANG > en.
    (Not locale.getlocale(): Python coerces an uninstalled zh locale to C.UTF-8.)"""
    if explicit:
        return "zh" if explicit.lower().startswith("zh") else "en"
    for var in ("BPTUTOR_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
