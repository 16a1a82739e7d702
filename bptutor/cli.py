"""The command line: argparse, one small function per command, the two
consoles (stdout for results, stderr for errors), exit codes."""
from __future__ import annotations

import argparse
import os
import sys
from enum import IntEnum

from .errors import BptutorError
from .i18n import pick_lang, t

MAX_FILE_BYTES = 10_000_000


class Exit(IntEnum):
    OK = 0
    WRONG = 1          # an answer is wrong or a numeric check failed
    USAGE = 2          # usage or input error


# `bptutor NAME ...` runs another front end: NAME -> (module, function(argv, stdout, stderr, stdin) -> int).
SUBCOMMANDS = {
    "grade": ("bptutor.grade", "main"),
    "repl": ("bptutor.repl", "main"),
    "quiz": ("bptutor.quiz", "main"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing in English and exiting."""

    def error(self, message):
        raise BptutorError("cli.usage", None, detail=message)


def build_parser(lang: str, with_help: bool = True) -> argparse.ArgumentParser:
    # Help texts load a catalog: only worth it when help is asked for.
    h = (lambda key: t(f"cli.help_{key}", lang)) if with_help else (lambda key: None)  # noqa: E731
    p = _Parser(prog="bptutor", description=h("description"), add_help=False,
                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=h("epilog"))
    p.add_argument("-h", "--help", action="help", help=h("help"))
    p.add_argument("expr", nargs="?", help=h("expr"))
    p.add_argument("-f", "--file", help=h("file"))
    p.add_argument("--vals", action="append", default=[], help=h("vals"))
    p.add_argument("--digits", type=int, default=4, help=h("digits"))
    p.add_argument("--lang", choices=["zh", "en"], help=h("lang"))
    p.add_argument("--eps", type=float, default=1e-5, help=h("eps"))
    p.add_argument("--wrt", help=h("wrt"))
    p.add_argument("--json", action="store_true", help=h("json"))
    p.add_argument("--all", action="store_true", help=h("all"))
    x = (lambda key: t(f"export.help_{key}", lang)) if with_help else (lambda key: None)  # noqa: E731
    p.add_argument("--graph", metavar="FILE", help=x("graph"))
    p.add_argument("--format", choices=["text", "md", "latex"], default="text", help=x("format"))
    return p


def _prescan_lang(argv: list[str]) -> str | None:
    for k, arg in enumerate(argv):
        if arg == "--lang" and k + 1 < len(argv):
            return argv[k + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None, stdout=None, stderr=None, stdin=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    lang = pick_lang(_prescan_lang(argv))
    if argv and argv[0] in SUBCOMMANDS:
        import importlib
        module, func = SUBCOMMANDS[argv[0]]
        return int(getattr(importlib.import_module(module), func)(argv[1:], stdout, stderr, stdin))
    source = None
    try:
        wants_help = any(a in ("-h", "--help") for a in argv)
        args = build_parser(lang, wants_help).parse_args(argv)
        lang = pick_lang(args.lang)
        if args.expr is None and args.file is None and _interactive(stdin or sys.stdin, stdout):
            from .repl import run          # `bptutor` alone on a terminal: the REPL
            return run(lang, max(0, min(args.digits, 15)), stdout, stderr, stdin or sys.stdin)
        source = read_source(args)
        return run_derive(args, source, lang, stdout)
    except BptutorError as exc:
        print_error(exc, lang, stderr, exc.source if exc.source is not None else source)
        return Exit.USAGE
    except KeyboardInterrupt:
        return 130


def _interactive(stdin, stdout) -> bool:
    try:
        return stdin.isatty() and stdout.isatty()
    except (AttributeError, ValueError):
        return False


def read_source(args) -> str:
    if args.file and args.expr:
        raise BptutorError("cli.expr_and_file")
    if args.file:
        return read_file(args.file)
    if args.expr is None:
        raise BptutorError("cli.no_expr")
    return args.expr


def read_file(path: str) -> str:
    """A program file: refused when huge, decoded strictly (naming the bad byte)."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise BptutorError("input.too_large", None, size=size, limit=MAX_FILE_BYTES)
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise BptutorError("input.file_missing", None, path=path, reason=exc.strerror or str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BptutorError("input.bad_utf8", None, path=path, offset=exc.start) from None


def values_text(vals: list[str]) -> str:
    return ";".join(vals)


def run_derive(args, source: str, lang: str, stdout) -> int:
    from .api import derive
    from .syntax import parse_values

    values = {}
    for text in args.vals:
        try:
            more = parse_values(text)
        except BptutorError as exc:
            raise exc.with_source(text)
        for name in more:
            if name in values:
                raise BptutorError("value.duplicate", None, name=name).with_source(text)
        values.update(more)
    d = derive(source, values, eps=args.eps, wrt=args.wrt)
    digits = max(0, min(args.digits, 15))
    if args.graph == "-":
        show_graph(d, digits, stdout)
    elif args.graph:
        write_graph(d, args.graph, digits)
    if args.json:
        import json
        # indented for people; compact (and C-fast) for big graphs
        indent = 1 if len(d.graph.nodes) <= 2000 else None
        stdout.write(json.dumps(d.to_dict(), ensure_ascii=False, indent=indent) + "\n")
    elif args.format != "text":
        write_document(d, args.format, lang, digits, stdout)
    elif args.graph != "-":
        from .render.terminal import render
        show(render(d, lang, digits, args.all), stdout)
    return Exit.OK if d.ok else Exit.WRONG


def show_graph(d, digits: int, stdout) -> None:
    """--graph -: the graph drawn in the terminal instead of the narration."""
    from .render.graphtext import render
    show(render(d, digits), stdout)


def write_graph(d, path: str, digits: int) -> None:
    """--graph FILE: .svg .png .dot .mmd, chosen by the extension."""
    from .render.export import write_graph as write
    write(d, path, digits)


def write_document(d, fmt: str, lang: str, digits: int, stdout) -> None:
    """--format md|latex: the derivation as notes."""
    from .render.export import document
    stdout.write(document(d, fmt, lang, digits))


def console(file):
    """A Rich console: colour on a terminal, plain when piped, honours NO_COLOR.
    No markup or emoji parsing: everything printed is built as Text, so user
    input can never be read as markup."""
    from rich.console import Console
    return Console(file=file, highlight=False, markup=False, emoji=False)


def show(renderable, file) -> None:
    """Print a renderable. On a terminal it wraps to the window; piped to a file
    or another program, lines are not wrapped (grep and copy-paste keep whole
    sentences) and table cells lose their trailing blanks."""
    con = console(file)
    if con.is_terminal:
        con.print(renderable)
        return
    con.width = 100_000
    with con.capture() as cap:
        con.print(renderable)
    file.write("\n".join(line.rstrip() for line in cap.get().split("\n")))


def print_error(exc: BptutorError, lang: str, stderr, source: str | None) -> None:
    """The message in the user's language, the line of input and a caret under the place."""
    lines = [t("cli.error", lang, message=exc.message(lang))]
    if source is not None and exc.span is not None:
        lines.extend(caret_lines(source, exc.span))
    stderr.write("\n".join(lines) + "\n")


def caret_lines(source: str, span: tuple[int, int]) -> list[str]:
    from .textwidth import cells
    start, end = span
    start = max(0, min(start, len(source)))
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", start)
    line_end = len(source) if line_end < 0 else line_end
    line = source[line_start:line_end]
    lineno = source.count("\n", 0, start) + 1
    prefix = f"  {lineno} | " if "\n" in source else "  "
    width = max(1, cells(source[start:min(max(end, start + 1), line_end)]))
    pad = cells(source[line_start:start])
    if len(line) > 200:                 # a huge line: show the part around the caret
        cut = max(0, start - line_start - 60)
        line = "…" + line[cut:cut + 120]
        pad = cells(source[line_start + cut:start]) + 1
    return [prefix + line.replace("\t", " "), " " * len(prefix) + " " * pad + "^" * min(width, 120)]


if __name__ == "__main__":          # pragma: no cover
    sys.exit(main())
