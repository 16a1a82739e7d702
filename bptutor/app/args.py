"""The command lines' shared parts: an argparse in the user's language that
raises BptutorError (never prints in English and exits), and the --lang and
--digits options every command takes."""
from __future__ import annotations

import argparse

from ..errors import BptutorError
from ..i18n import LANGS, t

MAX_DIGITS = 15         # what a float64 can show


def prescan_lang(argv: list[str]) -> str | None:
    """--lang before argparse has run: its errors are printed in that language."""
    for k, arg in enumerate(argv):
        if arg == "--lang" and k + 1 < len(argv):
            return argv[k + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def wants_help(argv: list[str]) -> bool:
    return any(a in ("-h", "--help") for a in argv)


class Parser(argparse.ArgumentParser):
    """argparse in `lang`: headings and help texts from the catalogs (loaded only
    when `with_help`, so a plain run reads no help text), --help printed to `out`
    (main's stdout), errors raised as cli.usage naming `prog --help`."""

    def __init__(self, prog: str, lang: str, out, *, with_help: bool = True,
                 description: str | None = None, epilog: str | None = None, **options):
        self.lang, self.out, self.with_help = lang, out, with_help
        super().__init__(prog=prog, description=self.h(description), epilog=self.h(epilog), add_help=False,
                         **options)
        self.usage_prefix = t("cli.heading_usage", lang) if with_help else "usage: "
        if with_help:               # argparse's own headings, in the user's language
            self._positionals.title = t("cli.heading_positional", lang)
            self._optionals.title = t("cli.heading_options", lang)
        self.add_argument("-h", "--help", action="help", help=self.h("cli.help_help"))

    def h(self, key: str | None, **params) -> str | None:
        """The help text of `key`, or None when no help was asked for."""
        return t(key, self.lang, **params) if self.with_help and key else None

    def add_common(self, digits: int = 4) -> None:
        """--lang and --digits, as every command takes them."""
        self.add_argument("--lang", choices=LANGS, help=self.h("cli.help_lang"))
        self.add_argument("--digits", type=int, default=digits, help=self.h("cli.help_digits", default=digits))

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if hasattr(parsed, "digits"):
            parsed.digits = max(0, min(parsed.digits, MAX_DIGITS))
        return parsed

    def print_help(self, file=None):
        super().print_help(file or self.out)

    def format_help(self) -> str:
        text = super().format_help()
        return self.usage_prefix + text[len("usage: "):] if text.startswith("usage: ") else text

    def error(self, message):
        raise BptutorError("cli.usage", None, detail=message, prog=self.prog)
