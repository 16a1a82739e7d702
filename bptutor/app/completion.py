"""`bptutor completion bash|zsh|fish`: a completion script that shtab
generates from the commands' own argparse parsers (so it never drifts from
them), with the descriptions in the user's language."""
from __future__ import annotations

import argparse

from ..i18n import pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .config import choose_lang
from .console import report

SHELLS = ("bash", "zsh", "fish")
PATHS = {"file", "graph", "paths", "data_file", "plot"}          # options and positionals that name files: complete paths


def build_parser(lang: str, out, with_help: bool = True) -> Parser:
    p = Parser("bptutor completion", lang, out, with_help=with_help, description="cli.completion_description",
               epilog="cli.completion_epilog", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("shell", choices=SHELLS, help=p.h("cli.help_shell"))
    p.add_lang()
    return p


def main(argv, stdout, stderr, stdin=None) -> int:
    lang = pick_lang(prescan_lang(argv))
    try:
        lang = choose_lang(prescan_lang(argv))
        args = build_parser(lang, stdout, wants_help(argv)).parse_args(argv)
        stdout.write(script(args.shell, choose_lang(args.lang), stdout))
    except BaseException as exc:        # noqa: B036 -- a broken pipe, a bug: an exit code, never a traceback
        return report(exc, lang, stdout, stderr)
    return 0


def command_tree(lang: str, out) -> list[argparse.ArgumentParser]:
    """[root, subcommand parsers...]: one parser holding every command, derive's
    options at the top (its expression is not completed), each subcommand
    (with its one-line summary) a sub-parser."""
    from importlib import import_module

    from . import derive
    from .cli import SUBCOMMANDS
    root = derive.build_parser(lang, out, expression=False)
    commands = root.add_subparsers(dest="command", parser_class=argparse.ArgumentParser)
    for name, module in SUBCOMMANDS.items():
        parser = import_module(module).build_parser(lang, out)
        commands.add_parser(name, parents=[parser], add_help=False, help=t(f"cli.command_{name}", lang))
    return [root, *commands.choices.values()]


def script(shell: str, lang: str, out) -> str:
    import shtab
    parsers = command_tree(lang, out)
    for parser in parsers:
        for action in parser._actions:
            if action.dest in PATHS:
                action.complete = shtab.FILE
    return shtab.complete(parsers[0], shell) + "\n"
