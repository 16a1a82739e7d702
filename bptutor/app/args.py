"""The command lines' shared parts: an argparse in the user's language that
raises BptutorError (never prints in English and exits), the --lang and
--digits options every command takes, and reading the program (EXPR or -f)
and the --vals texts the way `bptutor` and `bptutor train` both take them."""
from __future__ import annotations

import argparse
import re

from ..errors import BptutorError
from ..i18n import LANGS, t
from .config import choose_digits


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
        """--lang and --digits, as every command takes them (their defaults may
        come from the environment or the config file: app/config.py)."""
        self.default_digits = digits
        self.add_lang()
        self.add_argument("--digits", type=int, help=self.h("cli.help_digits", default=digits))

    def add_lang(self) -> None:
        """--lang alone (a command that prints no numbers)."""
        self.add_argument("--lang", choices=LANGS, help=self.h("cli.help_lang"))

    def add_version(self) -> None:
        self.add_argument("--version", action=Version, help=self.h("cli.help_version"))

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if hasattr(parsed, "digits"):
            parsed.digits = choose_digits(parsed.digits, self.default_digits)
        return parsed

    def _get_formatter(self):
        if self.with_help:
            return super()._get_formatter()
        return self.formatter_class(prog=self.prog, width=80)     # nothing shown: no terminal size (shutil)

    def print_help(self, file=None):
        super().print_help(file or self.out)

    def format_help(self) -> str:
        text = super().format_help()
        return self.usage_prefix + text[len("usage: "):] if text.startswith("usage: ") else text

    def error(self, message):
        raise BptutorError("cli.usage", None, detail=message, prog=self.prog)


def read_source(args) -> str:
    """The program: the EXPR argument or the -f file, exactly one of them."""
    if args.file and args.expr:
        raise BptutorError("cli.expr_and_file")
    if args.file:
        from .files import read_file
        return read_file(args.file)
    if args.expr is None:
        raise BptutorError("cli.no_expr")
    return args.expr


def read_values(texts: list[str]) -> dict:
    """Every --vals text, merged; a name given twice is an error at its place."""
    from ..lang.values import parse_values

    values = {}
    for text in texts:
        try:
            more = parse_values(text)
        except BptutorError as exc:
            raise exc.with_source(text)
        for name in more:
            if name in values:
                at = _name_position(text, name)
                raise BptutorError("value.duplicate", (at, at + len(name)), name=name).with_source(text)
        values.update(more)
    return values


def _name_position(text: str, name: str) -> int:
    """Where `name=` is given in a --vals text (for the caret), else 0."""
    m = re.search(rf"(?<!\w){re.escape(name)}\s*[=＝]", text)
    return m.start() if m else 0


class Version(argparse.Action):
    """--version, printed to the parser's stream (argparse's own writes to sys.stdout)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        import platform

        from ..version import __version__
        parser.out.write(f"bptutor {__version__} (Python {platform.python_version()})\n")
        parser.exit()


def expression_last(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """argv with the positional that starts with '-' ("-log(p)", "-x^2") moved
    behind "--", where argparse reads it as the positional instead of refusing
    an unknown option. Known options (also "-fFILE") and their values stay put."""
    takes_value = {o: a.nargs != 0 for a in parser._actions for o in a.option_strings}
    out, expr, after_option = [], None, False
    for k, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[k:])
            break
        if not after_option and expr is None and arg.startswith("-") and not arg.startswith("--") \
                and len(arg) > 1 and arg not in takes_value and not takes_value.get(arg[:2]):
            expr = arg
            continue
        after_option = not after_option and takes_value.get(arg, False)
        out.append(arg)
    if expr is None:
        return out
    if "--" not in out:
        return out + ["--", expr]
    k = out.index("--") + 1
    return out[:k] + [expr] + out[k:]
