"""The command line: argparse, one small function per command, the two
consoles (stdout for results, stderr for errors), exit codes."""
from __future__ import annotations

import argparse
import os
import sys
from enum import IntEnum

from ..errors import BptutorError, BptutorInternalError
from ..i18n import pick_lang, t
from ..lang.text import MAX_SOURCE

MAX_FILE_BYTES = MAX_SOURCE     # a bigger file is refused before it is read


class Exit(IntEnum):
    OK = 0
    WRONG = 1          # an answer is wrong or a numeric check failed
    USAGE = 2          # usage or input error
    INTERNAL = 3       # a bug in bptutor (reported as a message, never a traceback)


# `bptutor NAME ...` runs another front end: NAME -> (module, function(argv, stdout, stderr, stdin) -> int).
SUBCOMMANDS = {
    "grade": ("bptutor.tutor.grade", "main"),
    "repl": ("bptutor.app.repl", "main"),
    "quiz": ("bptutor.tutor.quiz", "main"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing in English and exiting."""

    usage_prefix = "usage: "
    out = None              # where --help goes: main's stdout, not always sys.stdout

    def print_help(self, file=None):
        super().print_help(file or self.out)

    def format_help(self) -> str:
        text = super().format_help()
        return self.usage_prefix + text[len("usage: "):] if text.startswith("usage: ") else text

    def error(self, message):
        raise BptutorError("cli.usage", None, detail=message)


def build_parser(lang: str, with_help: bool = True) -> argparse.ArgumentParser:
    # Help texts load catalogs: only worth it when help is asked for.
    h = (lambda key: t(key, lang)) if with_help else (lambda key: None)  # noqa: E731
    p = _Parser(prog="bptutor", description=h("cli.help_description"), add_help=False,
                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=h("cli.help_epilog"))
    if with_help:               # argparse's own headings, in the user's language
        p.usage_prefix = t("cli.heading_usage", lang)
        p._positionals.title = t("cli.heading_positional", lang)
        p._optionals.title = t("cli.heading_options", lang)
    p.add_argument("-h", "--help", action="help", help=h("cli.help_help"))
    p.add_argument("expr", nargs="?", help=h("cli.help_expr"))
    p.add_argument("-f", "--file", help=h("cli.help_file"))
    p.add_argument("--vals", action="append", default=[], help=h("cli.help_vals"))
    p.add_argument("--digits", type=int, default=4, help=h("cli.help_digits"))
    p.add_argument("--lang", choices=["zh", "en"], help=h("cli.help_lang"))
    p.add_argument("--eps", type=float, default=1e-5, help=h("cli.help_eps"))
    p.add_argument("--wrt", help=h("cli.help_wrt"))
    p.add_argument("--json", action="store_true", help=h("cli.help_json"))
    p.add_argument("--all", action="store_true", help=h("cli.help_all"))
    p.add_argument("--graph", metavar="FILE", help=h("export.help_graph"))
    p.add_argument("--format", choices=["text", "md", "latex"], default="text", help=h("export.help_format"))
    p.add_argument("--answer", action="append", default=[], help=h("answers.help_answer"))
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
    stdout = stdout or _tolerant(sys.stdout)
    stderr = stderr or _tolerant(sys.stderr)
    lang = pick_lang(_prescan_lang(argv))
    if argv and argv[0] in SUBCOMMANDS:
        import importlib
        module, func = SUBCOMMANDS[argv[0]]
        try:        # a front end reports its own errors; whatever escapes it is still a message
            return int(getattr(importlib.import_module(module), func)(argv[1:], stdout, stderr, stdin))
        except BaseException as exc:    # noqa: B036
            return report(exc, lang, stdout, stderr)
    source = None
    try:
        wants_help = any(a in ("-h", "--help") for a in argv)
        parser = build_parser(lang, wants_help)
        parser.out = stdout
        args = parser.parse_args(argv)
        lang = pick_lang(args.lang)
        if args.expr is None and args.file is None and _interactive(stdin or sys.stdin, stdout):
            from .repl import run          # `bptutor` alone on a terminal: the REPL
            return run(lang, max(0, min(args.digits, 15)), stdout, stderr, stdin or sys.stdin)
        source = read_source(args)
        return run_derive(args, source, lang, stdout)
    except BaseException as exc:        # noqa: B036 -- every outcome becomes a message and an exit code
        return report(exc, lang, stdout, stderr, source)


def _tolerant(stream):
    """A console that cannot encode Chinese or '…' (PYTHONIOENCODING=ascii, a
    legacy code page) gets escapes instead of a UnicodeEncodeError."""
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
    if encoding != "utf8" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
    return stream


def report(exc: BaseException, lang: str, stdout, stderr, source: str | None = None) -> int:
    """The exit code for an exception, after telling the user (never a traceback).
    Front ends (REPL, grade) call this or print_error for whatever they catch."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, BrokenPipeError):        # `bptutor ... | head`: the reader left
        _silence(stdout)
        return Exit.OK
    if isinstance(exc, SystemExit):             # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else Exit.USAGE
    if isinstance(exc, OSError) and not isinstance(exc, BptutorError):      # e.g. writing to a full disk
        _silence(stdout)
        exc = BptutorError("input.io_error", None, reason=exc.strerror or str(exc))
    exc = as_bptutor_error(exc)
    print_error(exc, lang, stderr, exc.source if exc.source is not None else source)
    return Exit.INTERNAL if isinstance(exc, BptutorInternalError) else Exit.USAGE


def as_bptutor_error(exc: BaseException) -> BptutorError:
    """Any exception as a BptutorError: too deep, out of memory, or a bug."""
    if isinstance(exc, BptutorError):
        return exc
    if isinstance(exc, RecursionError):
        return BptutorError("input.too_deep")
    if isinstance(exc, MemoryError):
        return BptutorError("input.out_of_memory")
    if not isinstance(exc, Exception):
        raise exc
    return BptutorInternalError.wrap(exc)


def _silence(stream) -> None:
    """After a broken pipe, send what is left to /dev/null so the interpreter's
    final flush does not print a traceback."""
    try:
        if stream is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


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
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)      # never more: a device or a huge file is not slurped
    except (OSError, ValueError) as exc:         # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise BptutorError("input.file_missing", None, path=_shown_path(path), reason=reason) from None
    if len(data) > MAX_FILE_BYTES:
        size = _size(path)
        raise BptutorError("input.file_too_large", None, path=_shown_path(path), size=size,
                           limit=f"{MAX_FILE_BYTES:,}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BptutorError("input.bad_utf8", None, path=_shown_path(path), offset=exc.start, line=line,
                           byte=f"0x{data[exc.start]:02X}") from None


def _shown_path(path: str) -> str:
    """A path as a message shows it: control characters escaped, the rest as typed."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in path)


def _size(path: str) -> str:
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    return f"{size:,}" if size > MAX_FILE_BYTES else f"> {MAX_FILE_BYTES:,}"     # a device says 0


def values_text(vals: list[str]) -> str:
    return ";".join(vals)


def run_derive(args, source: str, lang: str, stdout) -> int:
    from ..tutor.program import derive
    from ..lang.values import parse_values

    values = {}
    for text in args.vals:
        try:
            more = parse_values(text)
        except BptutorError as exc:
            raise exc.with_source(text)
        for name in more:
            if name in values:
                at = _name_position(text, name)
                raise BptutorError("value.duplicate", (at, at + len(name)), name=name).with_source(text)
        values.update(more)
    d = derive(source, values, eps=args.eps, wrt=args.wrt)
    digits = max(0, min(args.digits, 15))
    verdicts = None
    if args.answer:         # judged before anything is printed: a bad answer is an error, not half an output
        from ..tutor.answers import judge as check
        verdicts = check(d, "\n".join(args.answer))
    if args.graph == "-":
        show_graph(d, digits, stdout)
    elif args.graph:
        write_graph(d, args.graph, digits)
    if verdicts is not None:
        return show_answers(args, d, verdicts, lang, digits, stdout)
    if args.json:
        write_json(d, stdout)
    elif args.format != "text":
        write_document(d, args.format, lang, digits, stdout)
    elif args.graph != "-":
        from ..render.terminal import render
        show(render(d, lang, digits, args.all), stdout)
    return Exit.OK if d.ok else Exit.WRONG


def write_json(d, stdout) -> None:
    """--json: exactly Derivation.to_dict(); indented for people, compact (and
    C-fast, a third smaller) for big graphs."""
    import json
    if len(d.graph.nodes) <= 2000:
        text = json.dumps(d.to_dict(), ensure_ascii=False, indent=1)
    else:
        text = json.dumps(d.to_dict(), ensure_ascii=False, separators=(",", ":"))
    stdout.write(text + "\n")


def show_graph(d, digits: int, stdout) -> None:
    """--graph -: the graph drawn in the terminal instead of the narration."""
    from ..render.graphtext import render
    show(render(d, digits), stdout)


def write_graph(d, path: str, digits: int) -> None:
    """--graph FILE: .svg .png .dot .mmd, chosen by the extension."""
    from ..render.export import write_graph as write
    write(d, path, digits)


def write_document(d, fmt: str, lang: str, digits: int, stdout) -> None:
    """--format md|latex: the derivation as notes."""
    from ..render.export import document
    stdout.write(document(d, fmt, lang, digits))


def show_answers(args, d, verdicts, lang: str, digits: int, stdout) -> int:
    """--answer: the verdicts on the student's answers; exit 1 when any is wrong."""
    if args.json:
        write_json(d, stdout)
    else:
        from ..render.answers import render_answers
        show(render_answers(d, lang, digits), stdout)
    return Exit.OK if all(v.correct for v in verdicts) else Exit.WRONG


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


def _name_position(text: str, name: str) -> int:
    """Where `name=` is given in a --vals text (for the caret), else 0."""
    import re
    m = re.search(rf"(?<!\w){re.escape(name)}\s*[=＝]", text)
    return m.start() if m else 0


def print_error(exc: BptutorError, lang: str, stderr, source: str | None) -> None:
    """The message in the user's language, the line of input and a caret under the place."""
    try:
        message = exc.message(lang)
    except (KeyError, IndexError, ValueError):          # a catalog bug must not hide the error
        message = f"{exc.key} {exc.params}"
    lines = [t("cli.error", lang, message=message)]
    if source is not None and exc.span is not None and source.strip():
        lines.extend(caret_lines(source, exc.span))
    stderr.write("\n".join(lines) + "\n")


SHOWN = 120         # characters of a long line shown around the caret


def caret_lines(source: str, span: tuple[int, int]) -> list[str]:
    """The line holding span[0] (a long one cut around it, control and invisible
    characters made visible) and a row of carets under the span."""
    from .textwidth import cells
    start, end = span
    start = max(0, min(start, len(source)))
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", start)
    line_end = len(source) if line_end < 0 else line_end
    lineno = source.count("\n", 0, start) + 1
    prefix = f"  {lineno} | " if "\n" in source else "  "
    cut = max(line_start, start - SHOWN // 2)
    stop = min(line_end, cut + SHOWN)
    line = visible(source[cut:stop])
    head = "…" if cut > line_start else ""
    tail = "…" if stop < line_end else ""
    pad = cells(head) + cells(line[:start - cut])
    width = max(1, cells(line[start - cut:min(max(end, start + 1), stop) - cut]))
    return [prefix + head + line + tail, " " * (len(prefix) + pad) + "^" * width]


def visible(text: str) -> str:
    """Same length, printable: control characters as their ␀-style symbols,
    tabs as spaces, invisible and direction-changing characters as '�'."""
    import unicodedata
    out = []
    for ch in text:
        if ch in "\t\r":
            out.append(" ")
        elif ch < " ":
            out.append(chr(0x2400 + ord(ch)))
        elif ch == "\x7f":
            out.append("\u2421")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


if __name__ == "__main__":          # pragma: no cover
    sys.exit(main())
