"""`bptutor help [TOPIC | COMMAND] [--man]`: the pages (i18n/help.toml, zh
and en side by side), a command's options, or the whole manual as a man page
(roff, generated from the same parsers and pages)."""
from __future__ import annotations

import argparse

from ..i18n import pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .config import choose_lang
from .console import report

TOPICS = ("language", "values", "answers", "grading", "repl", "formats", "config", "completion")


def build_parser(lang: str, out, with_help: bool = True) -> Parser:
    from .cli import SUBCOMMANDS
    p = Parser("bptutor help", lang, out, with_help=with_help, description="help.description")
    p.add_argument("topic", nargs="?", choices=[*TOPICS, *SUBCOMMANDS], metavar="TOPIC",
                   help=p.h("help.help_topic", topics=" ".join(TOPICS), commands=" ".join(SUBCOMMANDS)))
    p.add_argument("--man", action="store_true", help=p.h("help.help_man"))
    p.add_lang()
    return p


def main(argv, stdout, stderr, stdin=None) -> int:
    lang = pick_lang(prescan_lang(argv))
    try:
        lang = choose_lang(prescan_lang(argv))
        parser = build_parser(lang, stdout, wants_help(argv))
        args = parser.parse_args(argv)
        lang = choose_lang(args.lang)
        if args.man:
            stdout.write(man_page(lang, stdout))
        elif args.topic in TOPICS:
            stdout.write(t(f"help.topic_{args.topic}", lang).rstrip("\n") + "\n")
        elif args.topic:
            command_parser(args.topic, lang, stdout).print_help()
        else:
            stdout.write(index(lang))
    except BaseException as exc:        # noqa: B036 -- a broken pipe, a bug: an exit code, never a traceback
        return report(exc, lang, stdout, stderr)
    return 0


def index(lang: str) -> str:
    from .cli import SUBCOMMANDS
    width = max(map(len, TOPICS)) + 2
    lines = [t("help.index_title", lang), ""]
    lines += [f"  {name:<{width}}{t(f'help.summary_{name}', lang)}" for name in TOPICS]
    lines += ["", t("help.index_commands", lang), ""]
    lines += [f"  {name:<{width}}{t(f'cli.command_{name}', lang)}" for name in SUBCOMMANDS]
    lines += ["", t("help.index_more", lang)]
    return "\n".join(lines) + "\n"


def command_parser(name: str, lang: str, out) -> argparse.ArgumentParser:
    from importlib import import_module

    from .cli import SUBCOMMANDS
    return import_module(SUBCOMMANDS[name]).build_parser(lang, out)


# ---- the man page ---------------------------------------------------------------------
def man_page(lang: str, out) -> str:
    """bptutor(1) in roff: the options of every command, then every page."""
    from ..version import __version__
    from .completion import command_tree
    root, *commands = command_tree(lang, out)
    lines = [f'.TH BPTUTOR 1 "" "bptutor {__version__}"', ".SH NAME",
             "bptutor \\- " + roff(t("help.man_name", lang)), ".SH SYNOPSIS", ".nf"]
    lines += [roff(line) for line in t("help.man_synopsis", lang).splitlines()]
    lines += [".fi", ".SH DESCRIPTION", roff(t("cli.help_description", lang))]
    lines += [".SH OPTIONS", *options(root)]
    for parser in commands:
        lines += [f".SH {roff(parser.prog.upper())}", roff(parser.description or ""), *options(parser)]
    for name in TOPICS:            # a page's first line is its title
        title, _, body = t(f"help.topic_{name}", lang).strip("\n").partition("\n")
        lines += [f".SH {roff(title.upper())}", ".nf", *(roff(line) for line in body.strip("\n").splitlines()), ".fi"]
    return "\n".join(lines) + "\n"


def options(parser: argparse.ArgumentParser) -> list[str]:
    lines = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help is None:
            continue
        names = ", ".join(action.option_strings) or action.metavar or action.dest
        value = "" if action.nargs == 0 or not action.option_strings else " " + (action.metavar or action.dest.upper())
        lines += [".TP", f"\\fB{roff(names)}\\fR{roff(value)}", roff(action.help)]
    return lines


def roff(text: str) -> str:
    """Text as roff shows it literally: backslashes escaped, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text
