"""What every front end shares about streams: exit codes, the Rich console,
errors printed in the user's language with a caret, and report() turning any
exception into a message and an exit code (never a traceback)."""
from __future__ import annotations

import errno
import os
import re
import sys
from contextlib import contextmanager
from enum import IntEnum

from ..errors import BptutorError, BptutorInternalError
from ..i18n import t


class Exit(IntEnum):
    OK = 0
    WRONG = 1          # an answer is wrong or a numeric check failed
    USAGE = 2          # usage or input error
    INTERNAL = 3       # a bug in bptutor (reported as a message, never a traceback)
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


def is_internal(exc: BptutorError) -> bool:
    """A bug of ours dressed as a BptutorError (it still carries a message)."""
    return isinstance(exc, BptutorInternalError)


def report(exc: BaseException, lang: str, stdout, stderr) -> int:
    """The exit code for an exception, after telling the user (never a traceback).
    Only a BptutorError is the user's; anything else is an internal error."""
    if isinstance(exc, KeyboardInterrupt):
        return Exit.INTERRUPTED
    if isinstance(exc, BrokenPipeError):        # `bptutor ... | head`: the reader left
        _silence(stdout)
        return Exit.OK
    if isinstance(exc, SystemExit):             # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else Exit.USAGE
    if isinstance(exc, OSError) and not isinstance(exc, BptutorError):      # e.g. writing to a full disk
        _silence(stdout)
        exc = BptutorError("input.io_error", None, reason=exc.strerror or str(exc))
    exc = as_bptutor_error(exc)
    try:
        stdout.flush()                          # keep the order when both streams go to one place
    except (OSError, ValueError):
        _silence(stdout)
    try:
        print_error(exc, lang, stderr)
        stderr.flush()
    except (OSError, ValueError):               # stderr is closed or full: the exit code still says it
        _silence(stderr)
    return Exit.INTERNAL if is_internal(exc) else Exit.USAGE


def as_bptutor_error(exc: BaseException) -> BptutorError:
    """Any exception as a BptutorError: too deep, out of memory, or a bug
    (BptutorInternalError). KeyboardInterrupt and SystemExit are re-raised."""
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
    """After a broken pipe or a full disk, send what is left of a standard
    stream to /dev/null so the interpreter's final flush prints no traceback
    and changes no exit code."""
    try:
        if stream is not None and stream in (sys.stdout, sys.stderr):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
    except (OSError, ValueError):
        pass


class Closed:
    """A standard stream that was closed before bptutor started (`>&-`):
    writing to it is an error like any other failed write."""

    def __init__(self, name: str):
        self.name = name

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF) + f" ({self.name})")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def read(self, size: int = -1) -> str:
        return ""

    def readline(self, size: int = -1) -> str:
        return ""


def standard_streams(stdout=None, stderr=None, stdin=None) -> tuple:
    """The streams a command runs with: those given, else sys's (a closed one
    as Closed, so failing to write is a message and exit 2, not a crash)."""
    stdout = stdout or (tolerant(sys.stdout) if sys.stdout is not None else Closed("stdout"))
    stderr = stderr or (tolerant(sys.stderr) if sys.stderr is not None else Closed("stderr"))
    stdin = stdin or (sys.stdin if sys.stdin is not None else Closed("stdin"))
    return stdout, stderr, stdin


def tolerant(stream):
    """A console that cannot encode Chinese or '…' (PYTHONIOENCODING=ascii, a
    legacy code page) gets escapes instead of a UnicodeEncodeError."""
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
    if encoding != "utf8" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
    return stream


@contextmanager
def interruptible():
    """Inside, Ctrl-C raises KeyboardInterrupt (to be caught: the REPL goes back
    to its prompt, grading keeps the grades so far); outside, `bptutor` ends at
    once (see __main__.py). Called away from the main thread, nothing changes."""
    import signal
    try:
        before = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:          # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@contextmanager
def warnings_as_messages(stderr, lang: str):
    """A Python warning met inside (numpy's RuntimeWarning, say) printed as one
    line in the user's words, never as Python shows it: with the path and line
    of our source file."""
    import warnings

    def show_warning(message, category, filename, lineno, file=None, line=None):
        try:
            stderr.write(t("cli.warning", lang, message=printable(str(message))) + "\n")
        except (OSError, ValueError):
            pass

    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        yield


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def pipe_reader(stdin, out):
    """(next_line, ask) over lines from a pipe, each within the input limit.
    `ask` (the quiz's questions) writes its prompt and echoes the answer, so a
    piped quiz reads as a transcript."""
    from .files import LineReader
    next_line = LineReader(stdin)

    def ask(prompt):
        line = next_line()
        if line is not None:
            out.write(prompt + printable(line) + "\n")
        return line

    return next_line, ask


def terminal_asker(input=None, output=None):
    """ask(prompt) for answers typed on a terminal (no history, no completion),
    within the input limit."""
    from prompt_toolkit import PromptSession

    from .files import limit_input
    answers = PromptSession(input=input, output=output)
    limit_input(answers)

    def ask(prompt):
        try:
            return answers.prompt(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    return ask


def console(file):
    """A Rich console: colour on a terminal, plain when piped, honours NO_COLOR.
    No markup or emoji parsing: everything printed is built as Text, so user
    input can never be read as markup."""
    from rich.console import Console
    return Console(file=file, highlight=False, markup=False, emoji=False)


def show(renderable, file) -> None:
    """Print a renderable. On a terminal it wraps to the window; piped to a file
    or another program, lines are not wrapped (grep and copy-paste keep whole
    sentences) and table cells lose their trailing blanks. Control characters
    in its text are escaped (printable()) either way. A renderable that lays
    itself out as Rich would (ansi(), the derivation) is written without Rich."""
    settings = terminal_settings(file) if hasattr(renderable, "ansi") else None
    text = renderable.ansi(*settings) if settings is not None else None
    if text is not None:
        file.write(text)
        file.flush()
        return
    con = console(file)
    if con.is_terminal:
        con.print(Escaped(renderable), crop=False)
        return
    con.width = 100_000
    with con.capture() as cap:
        con.print(Escaped(renderable))
    file.write("\n".join(line.rstrip() for line in cap.get().split("\n")))


def terminal_settings(file) -> tuple[int, bool, bool] | None:
    """(width, styles, colours) as console(file) would choose them for a
    terminal: its is_terminal (TTY_COMPATIBLE, FORCE_COLOR, isatty), its width
    (COLUMNS, else the first standard stream that is a terminal, else 80; 80 on
    TERM=dumb), no styles on a dumb terminal, no colours under NO_COLOR. None
    where Rich would not write to a terminal, or decides by more than this
    (Windows consoles, Jupyter, IDLE): Rich prints there."""
    import builtins
    if sys.platform == "win32" or hasattr(builtins, "get_ipython") \
            or str(getattr(sys.stdin, "__module__", "")).startswith("idlelib"):
        return None
    env = os.environ
    tty = env.get("TTY_COMPATIBLE", "")
    if tty in ("0", "1"):
        terminal = tty == "1"
    elif env.get("FORCE_COLOR") is not None:
        terminal = env["FORCE_COLOR"] != ""
    else:
        terminal = is_terminal(file)
    if not terminal:
        return None
    dumb = env.get("TERM", "").lower() in ("dumb", "unknown")
    columns, lines = env.get("COLUMNS", ""), env.get("LINES", "")
    if columns.isdigit() and (lines.isdigit() or not dumb):
        width = int(columns)
    elif dumb:
        width = 80
    else:
        width = None
        for fd in (0, 1, 2):
            try:
                width = os.get_terminal_size(fd).columns
                break
            except (AttributeError, ValueError, OSError):
                pass
        width = width or 80
    if width < 1:
        return None
    return width, not dumb, env.get("NO_COLOR", "") == ""


class Escaped:
    """A renderable with the control characters of its text escaped. Texts from
    users and files are escaped where they enter; this is the last line of
    defence, after layout (Rich's own styles are not text, so they stay)."""

    def __init__(self, inner):
        self.inner = inner

    def __rich_console__(self, con, options):
        from rich.segment import Segment
        for segment in con.render(self.inner, options):
            if segment.control is None and UNSAFE.search(segment.text):
                segment = Segment(printable(segment.text), segment.style)
            yield segment


# What must not reach a terminal as it is: C0 controls but the newline (ESC starts
# the sequences that move the cursor and erase), DEL, C1 controls (0x9b is a CSI on
# some terminals), line and paragraph separators, and the direction overrides and
# isolates that make a terminal show text in another order than it is; lone
# surrogates (bytes that were not UTF-8) cannot be written at all.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` safe to print: every control character as a visible escape
    (ESC as \\x1b, U+202E as \\u202e); newlines stay."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def _escape(m) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_text(data, **options) -> str:
    """json.dumps(data, **options) for standard output, UTF-8 kept readable;
    the controls json leaves raw (DEL, C1, direction overrides) escaped too, so
    no string in it can drive a terminal."""
    import json
    text = json.dumps(data, ensure_ascii=False, **options)
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if UNSAFE.search(text) else text


# ---- errors with a caret ---------------------------------------------------------------
def print_error(exc: BptutorError, lang: str, stderr, caret: bool = True) -> None:
    """The message in the user's language, then (with `caret`) the line of the
    text the error points into and a caret under the place."""
    try:
        from ..render.numbers import num
        message = exc.message(lang, num)
    except (KeyError, IndexError, ValueError):          # a catalog bug must not hide the error
        message = f"{exc.key} {exc.params}"
    lines = [t("cli.error", lang, message=printable(message))]
    source = exc.source
    if caret and source is not None and exc.span is not None and source.strip():
        lines.extend(caret_lines(source, exc.span))
    stderr.write("\n".join(lines) + "\n")


SHOWN = 120         # characters of a long line shown around the caret


def caret_lines(source: str, span: tuple[int, int]) -> list[str]:
    """The line holding span[0] (a long one cut around it, control and invisible
    characters made visible) and a row of carets under the span."""
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


def cells(text: str) -> int:
    """Terminal cell width of text (CJK characters take two cells), without Rich."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


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
