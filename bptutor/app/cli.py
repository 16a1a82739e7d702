"""`bptutor`: choose the command and run it. `bptutor grade|quiz|repl|train|completion|help
...` run their own modules; anything else derives (app/derive.py), or, with no
expression on a terminal, starts the REPL."""
from __future__ import annotations

import gc
import sys

from ..i18n import pick_lang
from . import derive
from .args import expression_last, prescan_lang, wants_help
from .config import choose_lang
from .console import is_terminal, report, standard_streams, warnings_as_messages
from .files import check_arguments

# `bptutor NAME ...` -> the module whose main(argv, stdout, stderr, stdin) -> int runs it
SUBCOMMANDS = {"grade": "bptutor.app.grade", "quiz": "bptutor.app.quiz", "repl": "bptutor.app.repl",
               "train": "bptutor.app.train", "completion": "bptutor.app.completion", "help": "bptutor.app.topics"}


def main(argv: list[str] | None = None, stdout=None, stderr=None, stdin=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout, stderr, stdin = standard_streams(stdout, stderr, stdin)
    lang = pick_lang(prescan_lang(argv))         # for errors before the config file is read
    try:
        check_arguments(argv)
        with warnings_as_messages(stderr, lang):
            if argv and argv[0] in SUBCOMMANDS:
                from importlib import import_module
                code = int(import_module(SUBCOMMANDS[argv[0]]).main(argv[1:], stdout, stderr, stdin))
            else:
                lang = choose_lang(prescan_lang(argv))
                code = run(argv, lang, stdout, stderr, stdin)
        stdout.flush()                  # a full disk is found here, not at the interpreter's exit
        return code
    except BaseException as exc:        # noqa: B036 -- every outcome becomes a message and an exit code
        return report(exc, lang, stdout, stderr)


def run(argv: list[str], lang: str, stdout, stderr, stdin) -> int:
    """`bptutor [EXPR] [options]`: derive, or the REPL when there is nothing to derive."""
    parser = derive.build_parser(lang, stdout, wants_help(argv))
    args = parser.parse_args(expression_last(parser, argv))
    if derive.wants_repl(args) and is_terminal(stdin) and is_terminal(stdout):
        from .repl import run as repl
        return repl(choose_lang(args.lang), args.digits, stdout, stderr, stdin)
    # One derivation and the run ends: what it builds is acyclic and lives until then, so
    # the cyclic GC, let back on between its phases, would only walk it (9% of a 10^5-node run)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return derive.run(args, stdout, stderr, stdin)
    finally:
        if gc_was_on:
            gc.enable()


if __name__ == "__main__":          # pragma: no cover
    sys.exit(main())
