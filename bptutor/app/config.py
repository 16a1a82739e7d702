"""The user's defaults for --lang and --digits, from a TOML file in the
platform's config directory (platformdirs: ~/.config/bptutor/config.toml on
Linux, honouring $XDG_CONFIG_HOME), or the file $BPTUTOR_CONFIG names:

    lang = "zh"
    digits = 2

A flag beats the environment (BPTUTOR_LANG, BPTUTOR_DIGITS), which beats the
file, which beats the locale (LANG, ...) and the built-in defaults. The file is
read only when no flag or variable already decided."""
from __future__ import annotations

import os
import sys

from ..errors import BptutorError
from ..i18n import LANGS, pick_lang

MAX_DIGITS = 15         # what a float64 can show
SETTINGS = ("lang", "digits")


def config_path(environ=os.environ) -> Path:
    from pathlib import Path
    explicit = environ.get("BPTUTOR_CONFIG")
    if explicit:
        return Path(explicit)
    import platformdirs         # only when the file is looked for
    return platformdirs.user_config_path("bptutor") / "config.toml"


def _surely_absent(environ) -> bool:
    """No file where platformdirs would look on Linux ($XDG_CONFIG_HOME, else
    ~/.config), told without importing it (with pathlib and tempfile it costs
    a run 15% of its start-up). Only when both are plain absolute paths; any
    other case is platformdirs' to decide."""
    if not sys.platform.startswith("linux") or environ.get("BPTUTOR_CONFIG"):
        return False
    home, xdg = environ.get("HOME", ""), environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(home) or xdg.strip() and not os.path.isabs(xdg):
        return False
    candidates = [os.path.join(home, ".config", "bptutor")] + ([os.path.join(xdg, "bptutor")] if xdg.strip() else [])
    return not any(os.path.lexists(folder) for folder in candidates)


def read_settings(environ=os.environ) -> dict:
    """The file's settings ({} when there is none); an unusable file is an
    input error naming it."""
    if _surely_absent(environ):
        return {}
    path = config_path(environ)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BptutorError("settings.unreadable", None, path=str(path), reason=exc.strerror or str(exc)) from None
    import tomllib
    try:
        settings = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BptutorError("settings.bad_file", None, path=str(path), detail=str(exc)) from None
    for key, value in settings.items():
        if key not in SETTINGS:
            raise BptutorError("settings.unknown_setting", None, path=str(path), setting=key, known=", ".join(SETTINGS))
        if key == "lang" and value not in LANGS or key == "digits" and type(value) is not int:
            raise BptutorError("settings.bad_value", None, path=str(path), setting=key, value=repr(value),
                               expected=" | ".join(LANGS) if key == "lang" else "0..15")
    return settings


def choose_lang(explicit: str | None = None, environ=os.environ) -> str:
    """--lang > BPTUTOR_LANG > the config file > LANGUAGE/LC_ALL/LC_MESSAGES/LANG > en."""
    if not explicit and not environ.get("BPTUTOR_LANG"):
        explicit = read_settings(environ).get("lang")
    return pick_lang(explicit, environ)


def choose_digits(explicit: int | None, default: int, environ=os.environ) -> int:
    """--digits > BPTUTOR_DIGITS > the config file > the command's default, within 0..15."""
    if explicit is None:
        text = environ.get("BPTUTOR_DIGITS")
        if text:
            try:
                explicit = int(text)
            except ValueError:
                raise BptutorError("settings.bad_env", None, name="BPTUTOR_DIGITS", value=text) from None
        else:
            explicit = read_settings(environ).get("digits", default)
    return max(0, min(explicit, MAX_DIGITS))
