"""Message catalogs. Each area has one TOML file holding every key in English
and Chinese side by side:

    [step.edge]
    en = "..."
    zh = "..."

The key's first segment names the file (`step.edge` lives in step.toml), so a
plain run loads only the files it uses."""
from __future__ import annotations

import os
from importlib import resources

LANGS = ("en", "zh")
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
        import tomllib          # only when a message is needed
        text = resources.files(__package__).joinpath(f"{area}.toml").read_text("utf-8")
        flat: dict[str, dict[str, str]] = {}
        _flatten(tomllib.loads(text), area, flat)
        _catalogs[area] = flat
    return _catalogs[area]


def areas() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir()
                  if p.name.endswith(".toml"))


def t(key: str, lang: str = "en", **params) -> str:
    """The message `key` in `lang`, with `params` filled in."""
    entry = catalog(key.split(".", 1)[0]).get(key)
    if entry is None:
        return key if not params else f"{key} {params}"
    text = entry.get(lang) or entry["en"]
    return text.format_map(_Params(params)) if params else text


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
