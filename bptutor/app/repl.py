"""The REPL: values that persist, expressions derived with them, commands.

`Session.handle(text)` is the whole behaviour of one input (a line, or several
lines of a program); the two front ends only read input and call it:
`shell()` (prompt_toolkit: history, Tab completion, highlighting, multi-line
input) on a terminal, `piped()` when stdin is not a terminal. prompt_toolkit
is imported only when the shell starts."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import BptutorError
from ..i18n import pick_lang, t

PROMPT = "bptutor> "
CONTINUATION = "...      "

# command -> (method, takes an argument). Help texts are repl.help_<command>.
COMMANDS = {
    "help": "cmd_help", "vals": "cmd_vals", "del": "cmd_del", "clear": "cmd_clear",
    "lang": "cmd_lang", "digits": "cmd_digits", "check": "cmd_check", "json": "cmd_json",
    "graph": "cmd_graph", "md": "cmd_md", "quiz": "cmd_quiz", "quit": "cmd_quit",
}
ALIASES = {"q": "quit", "exit": "quit", "h": "help", "?": "help"}


class Quit(Exception):
    """:quit was typed."""


class Session:
    """The REPL's state and its line handler. `ask(prompt) -> str | None` reads
    one more line (for :quiz); None means the input ended."""

    def __init__(self, lang: str = "en", digits: int = 4, out=None, err=None, ask=None):
        self.values: dict[str, object] = {}
        self.lang = lang
        self.digits = digits
        self.last = None                 # the last Derivation
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.ask = ask or (lambda prompt: None)

    # ---- one input --------------------------------------------------------------
    def handle(self, text: str) -> bool:
        """Run one input. False when the session should end (:quit).
        Errors are printed; the state stays as it was."""
        text = text.strip()
        if not text or text.startswith("#"):
            return True
        try:
            if text.startswith(":"):
                self.command(text[1:])
            else:
                self.evaluate(text)
        except Quit:
            return False
        except BptutorError as exc:
            self.error(exc, exc.source if exc.source is not None else None)
        except Exception as exc:          # too deep, or a bug of ours: say so, keep the session
            from .cli import as_bptutor_error
            self.error(as_bptutor_error(exc))
        return True

    def error(self, exc: BptutorError, source: str | None = None) -> None:
        from .cli import print_error
        self.out.flush()                  # keep the order when both streams go to one place
        print_error(exc, self.lang, self.err, source)
        self.err.flush()

    def say(self, key: str, **params) -> None:
        self.out.write(t(key, self.lang, **params) + "\n")

    def evaluate(self, text: str) -> None:
        values = assigned_values(text)
        if values is not None:
            self.values.update(values)
            self.say("repl.set", items=values_text(values, self.digits))
            return
        self.derive(text)

    def derive(self, text: str) -> None:
        """A program or expression, with the session's values for the names it
        reads (a value the program assigns itself wins for this line)."""
        from ..tutor.program import derive
        from .cli import show
        from ..render.terminal import render
        from ..lang.parse import parse

        g = parse(text, known_inputs=frozenset(self.values))
        missing = [n for n in g.inputs if n not in self.values and n not in g.defaults]
        if missing:
            raise BptutorError("repl.missing", None, names=", ".join(missing),
                               example="; ".join(f"{n} = 1" for n in missing))
        given = {n: self.values[n] for n in g.inputs if n in self.values and n not in g.defaults}
        d = derive(text, given)
        self.last = d
        show(render(d, self.lang, self.digits), self.out)
        self.out.flush()

    # ---- commands ---------------------------------------------------------------
    def command(self, text: str) -> None:
        name, _, arg = text.strip().partition(" ")
        name = ALIASES.get(name, name)
        method = COMMANDS.get(name)
        if method is None:
            from ..lang.text import suggest
            close = suggest(name, COMMANDS)
            raise BptutorError("repl.unknown_command_suggest" if close else "repl.unknown_command",
                               None, name=name, suggestion=close,
                               commands=" ".join(":" + c for c in COMMANDS))
        getattr(self, method)(arg.strip())

    def cmd_help(self, arg: str) -> None:
        if arg:
            name = ALIASES.get(arg.lstrip(":"), arg.lstrip(":"))
            if name not in COMMANDS:
                return self.command(name)          # the unknown-command error, with a suggestion
            self.out.write(f":{name}  " + t(f"repl.help_{name}", self.lang) + "\n")
            return
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        from .cli import show
        from ..core.ops import FUNCTIONS
        grid = Table.grid(padding=(0, 2))          # Rich measures CJK text; padding by hand would not
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(overflow="fold")
        for name in COMMANDS:
            grid.add_row("  " + t(f"repl.usage_{name}", self.lang), t(f"repl.help_{name}", self.lang))
        show(Group(Text(t("repl.help_intro", self.lang)), grid,
                   Text(t("repl.help_functions", self.lang, functions=", ".join(sorted(FUNCTIONS))))), self.out)

    def cmd_vals(self, arg: str) -> None:
        if not self.values:
            self.say("repl.no_values")
            return
        self.out.write(values_text(self.values, self.digits, sep="\n") + "\n")

    def cmd_del(self, arg: str) -> None:
        names = arg.replace(",", " ").split()
        if not names:
            raise BptutorError("repl.del_what")
        unknown = [n for n in names if n not in self.values]
        if unknown:
            raise BptutorError("repl.no_such_value", None, names=", ".join(unknown))
        for n in names:
            del self.values[n]
        self.say("repl.deleted", names=", ".join(names))

    def cmd_clear(self, arg: str) -> None:
        self.values.clear()
        self.last = None
        self.say("repl.cleared")

    def cmd_lang(self, arg: str) -> None:
        if arg not in ("zh", "en"):
            raise BptutorError("repl.bad_lang", None, given=arg)
        self.lang = arg
        self.say("repl.lang_set")

    def cmd_digits(self, arg: str) -> None:
        if not arg.isdigit() or int(arg) > 15:
            raise BptutorError("repl.bad_digits", None, given=arg)
        self.digits = int(arg)
        self.say("repl.digits_set", digits=self.digits)

    def needs_derivation(self):
        if self.last is None:
            raise BptutorError("repl.no_derivation")
        return self.last

    def cmd_check(self, arg: str) -> None:
        from ..tutor.answers import judge as check
        from .cli import show
        from ..render.answers import render_answers
        d = self.needs_derivation()
        if not arg:
            raise BptutorError("repl.check_what")
        try:
            check(d, arg)
        except BptutorError as exc:
            raise exc.with_source(arg)
        show(render_answers(d, self.lang, self.digits), self.out)

    def cmd_json(self, arg: str) -> None:
        import json
        d = self.needs_derivation()
        self.out.write(json.dumps(d.to_dict(), ensure_ascii=False, indent=1) + "\n")

    def cmd_graph(self, arg: str) -> None:
        from .cli import show_graph, write_graph
        d = self.needs_derivation()
        if not arg:
            raise BptutorError("repl.graph_what")
        if arg == "-":
            show_graph(d, self.digits, self.out)
            return
        write_graph(d, arg, self.digits)
        self.say("repl.graph_written", path=arg)

    def cmd_md(self, arg: str) -> None:
        from .cli import write_document
        write_document(self.needs_derivation(), "md", self.lang, self.digits, self.out)

    def cmd_quiz(self, arg: str) -> None:
        from ..tutor.quiz import options_from_words, run
        level, seed = options_from_words(arg.split())
        run(level, seed, self.ask, self.out, self.lang, self.digits, self.err)

    def cmd_quit(self, arg: str) -> None:
        raise Quit


def assigned_values(text: str) -> dict | None:
    """`x = -2` or `x = 1, y = 2`: every statement assigns a constant -> those
    values. Anything else (an expression, a program) -> None."""
    from ..lang.parse import Const, parse_assignments
    from ..lang.values import parse_values
    try:
        _, pairs = parse_assignments(text)
    except BptutorError:
        return None
    if not pairs or not all(isinstance(p[1], Const) for p in pairs):
        return None
    return parse_values(text)       # the same text again, now for duplicates and bad numbers


def values_text(values: dict, digits: int, sep: str = "  ") -> str:
    """Values as given (0.5, not 0.5000), as the derivation's header shows them."""
    from ..render.numbers import num, short
    return sep.join(f"{k} = {short(v) if isinstance(v, float) else num(v, digits)}" for k, v in values.items())


def incomplete(text: str) -> bool:
    """A trailing backslash or an open bracket: the input goes on on the next line."""
    from ..lang.text import fold
    if text.lstrip().startswith(":"):
        return False
    depth = 0
    for line in fold(text.replace("\\\n", "  ")).split("\n"):
        line = line.split("#", 1)[0]
        depth += sum(line.count(c) for c in "([") - sum(line.count(c) for c in ")]")
    return depth > 0 or text.rstrip().endswith("\\")


# ---- front ends -----------------------------------------------------------------------
def main(argv, stdout=None, stderr=None, stdin=None) -> int:
    """`bptutor repl [--lang zh|en] [--digits N]`."""
    from .cli import _prescan_lang, report
    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    try:
        args, code = parse_args("repl", argv, stdout, stderr)
        if args is None:
            return code
        return run(pick_lang(args.lang), args.digits, stdout, stderr, stdin)
    except BaseException as exc:        # noqa: B036 -- a broken pipe, Ctrl-C: an exit code, never a traceback
        return report(exc, pick_lang(_prescan_lang(argv)), stdout, stderr)


def parse_args(command: str, argv, stdout, stderr, extra=lambda lang: (), digits: int = 4):
    """The options of `bptutor repl` / `bptutor quiz` (`extra(lang)`: more
    (flags, options) pairs) -> (args, None), or (None, exit code) after printing
    the help to stdout or a usage error to stderr, in the user's language."""
    from .cli import Exit, _Parser, _prescan_lang, print_error

    lang = pick_lang(_prescan_lang(argv))
    p = _Parser(prog=f"bptutor {command}", description=t(f"{command}.description", lang), add_help=False)
    p.add_argument("-h", "--help", action="help", help=t("cli.help_help", lang))
    for flags, options in extra(lang):
        p.add_argument(*flags, **options)
    p.add_argument("--lang", choices=["zh", "en"], help=t("cli.help_lang", lang))
    p.add_argument("--digits", type=int, default=digits, help=t("cli.help_digits", lang))
    p.print_help = lambda file=None: stdout.write(p.format_help())
    try:
        args = p.parse_args(argv)
    except SystemExit:                      # --help, printed above
        return None, Exit.OK
    except BptutorError as exc:
        print_error(exc, lang, stderr, None)
        return None, Exit.USAGE
    args.digits = max(0, min(args.digits, 15))
    return args, None


def run(lang: str, digits: int, stdout, stderr, stdin) -> int:
    if is_terminal(stdin) and is_terminal(stdout):
        return shell(Session(lang, digits, stdout, stderr))
    return piped(Session(lang, digits, stdout, stderr), stdin)


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def read_input(next_line) -> str | None:
    """One input from `next_line()` (None at the end), joining continued lines."""
    text = next_line()
    if text is None:
        return None
    while incomplete(text):
        more = next_line()
        if more is None:
            break
        text += "\n" + more
    return text


def pipe_reader(stdin, out):
    """(next_line, ask) over lines from a pipe. `ask` (the quiz's questions)
    writes its prompt and echoes the answer, so a piped quiz reads as a transcript."""
    lines = iter(stdin)

    def next_line():
        line = next(lines, None)
        return None if line is None else line.rstrip("\r\n")

    def ask(prompt):
        line = next_line()
        if line is not None:
            out.write(prompt + line + "\n")
        return line

    return next_line, ask


def terminal_asker(input=None, output=None):
    """ask(prompt) for answers typed on a terminal (no history, no completion)."""
    from prompt_toolkit import PromptSession
    answers = PromptSession(input=input, output=output)

    def ask(prompt):
        try:
            return answers.prompt(prompt)
        except (EOFError, KeyboardInterrupt):
            return None

    return ask


def piped(session: Session, stdin) -> int:
    """Lines from a pipe: no prompts, the same output as on a terminal."""
    next_line, session.ask = pipe_reader(stdin, session.out)
    try:
        while True:
            text = read_input(next_line)
            if text is None or not session.handle(text):
                return 0
    except KeyboardInterrupt:
        return 130


def history_path(environ=os.environ) -> Path:
    state = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "bptutor" / "history"


def shell(session: Session, input=None, output=None, environ=os.environ) -> int:
    """The interactive prompt. Ctrl-C cancels the line, Ctrl-D or :quit exits 0."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    path = history_path(environ)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        history = FileHistory(str(path))
    except OSError:
        history = InMemoryHistory()

    keys = KeyBindings()

    @keys.add("enter")
    def _enter(event):
        buffer = event.current_buffer
        if incomplete(buffer.text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    from .replui import InputLexer, ReplCompleter, STYLE
    prompt = PromptSession(history=history, completer=ReplCompleter(session), lexer=InputLexer(session),
                           style=STYLE, multiline=True, key_bindings=keys, complete_while_typing=False,
                           prompt_continuation=lambda width, line, wrap: CONTINUATION[:width].ljust(width),
                           input=input, output=output)
    session.ask = terminal_asker(input, output)
    session.say("repl.welcome")
    while True:
        try:
            text = prompt.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        try:
            if not session.handle(text):
                return 0
        except KeyboardInterrupt:         # Ctrl-C during a long derivation: back to the prompt
            continue
