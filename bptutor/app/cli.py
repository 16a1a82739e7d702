"""`bptutor`: choose the command and run it. `bptutor grade|quiz|repl|train ...` run
their own modules; anything else derives (app/derive.py), or, with no
expression on a terminal, starts the REPL."""
from __future__ import annotations

import sys

from ..i18n import pick_lang
from . import derive
from .args import prescan_lang, wants_help
from .console import is_terminal, report, tolerant

# `bptutor NAME ...` -> the module whose main(argv, stdout, stderr, stdin) -> int runs it
SUBCOMMANDS = {"grade": "bptutor.app.grade", "quiz": "bptutor.app.quiz", "repl": "bptutor.app.repl",
               "train": "bptutor.app.train"}


def main(argv: list[str] | None = None, stdout=None, stderr=None, stdin=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout = stdout or tolerant(sys.stdout)
    stderr = stderr or tolerant(sys.stderr)
    stdin = stdin or sys.stdin
    lang = pick_lang(prescan_lang(argv))
    try:
        if argv and argv[0] in SUBCOMMANDS:
            from importlib import import_module
            return int(import_module(SUBCOMMANDS[argv[0]]).main(argv[1:], stdout, stderr, stdin))
        args = derive.build_parser(lang, stdout, wants_help(argv)).parse_args(argv)
        if derive.wants_repl(args) and is_terminal(stdin) and is_terminal(stdout):
            from .repl import run
            return run(pick_lang(args.lang), args.digits, stdout, stderr, stdin)
        return derive.run(args, stdout)
    except BaseException as exc:        # noqa: B036 -- every outcome becomes a message and an exit code
        return report(exc, lang, stdout, stderr)


if __name__ == "__main__":          # pragma: no cover
    sys.exit(main())
