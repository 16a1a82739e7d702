"""The REPL: values that persist, expressions derived with them, commands.

`Session.handle(text)` is the whole behaviour of one input (a line, or several
lines of a program); the two front ends only read input and call it:
`shell()` (prompt_toolkit: history, Tab completion, highlighting, multi-line
input) on a terminal, `piped()` when stdin is not a terminal. prompt_toolkit
is imported only when the shell starts."""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import BptutorError
from ..i18n import LANGS, pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .config import choose_lang
from .console import (Exit, as_bptutor_error, is_internal, is_terminal, pipe_reader, print_error, report, show,
                      terminal_asker)
from .replcommands import COMMANDS, DOCUMENTS, command_name

PROMPT = "bptutor> "
CONTINUATION = "...      "


class Quit(Exception):
    """:quit was typed."""


class Session:
    """The REPL's state and its line handler. `ask(prompt) -> str | None` reads
    one more line (for :quiz); None means the input ended."""

    def __init__(self, lang: str = "en", digits: int = 4, out=None, err=None, ask=None):
        self.values: dict[str, object] = {}
        self.lang = lang
        self.digits = digits
        self.hand = False                # work backward as by hand (:hand), rounded to `digits`
        self.last = None                 # the last Derivation
        self.verdicts = None             # the last :check's verdicts on it
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.ask = ask or (lambda prompt: None)
        self.bugs = 0                    # internal errors met: the session's exit code says so

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
        except Exception as exc:          # the user's error, too deep, or a bug of ours: say so, keep the session
            self.error(as_bptutor_error(exc))
        return True

    def error(self, exc: BptutorError) -> None:
        if is_internal(exc):
            self.bugs += 1
        self.out.flush()                  # keep the order when both streams go to one place
        print_error(exc, self.lang, self.err)
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
        from ..lang.parse import parse
        from ..tutor.program import derive
        from .export import show_derivation

        g = parse(text, known_inputs=self.values)
        missing = [n for n in g.inputs if n not in self.values and n not in g.defaults]
        if missing:
            raise BptutorError("repl.missing", None, names=", ".join(missing),
                               example="; ".join(f"{n} = 1" for n in missing))
        given = {n: self.values[n] for n in g.inputs if n in self.values and n not in g.defaults}
        d = derive(text, given, hand=self.digits if self.hand else None)
        self.last, self.verdicts = d, None
        show_derivation(d, self.lang, self.digits, self.out)
        self.out.flush()

    # ---- commands ---------------------------------------------------------------
    def command(self, text: str) -> None:
        word, _, arg = text.strip().partition(" ")
        name = command_name(word)
        if name not in COMMANDS:
            from ..lang.text import suggest
            close = suggest(name, COMMANDS)
            raise BptutorError("repl.unknown_command_suggest" if close else "repl.unknown_command",
                               None, name=name, suggestion=close,
                               commands=" ".join(":" + c for c in COMMANDS))
        if name in DOCUMENTS:
            self.export(name)
        else:
            getattr(self, f"cmd_{name}")(arg.strip())

    def cmd_help(self, arg: str) -> None:
        if arg:
            name = command_name(arg.lstrip(":"))
            if name not in COMMANDS:
                return self.command(name)          # the unknown-command error, with a suggestion
            self.out.write(f":{name}  " + t(f"repl.help_{name}", self.lang) + "\n")
            return
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

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
        if arg not in LANGS:
            raise BptutorError("repl.bad_lang", None, given=arg)
        self.lang = arg
        self.say("repl.lang_set")

    def cmd_digits(self, arg: str) -> None:
        if not arg.isdigit() or int(arg) > 15:
            raise BptutorError("repl.bad_digits", None, given=arg)
        self.digits = int(arg)
        self.say("repl.digits_set", digits=self.digits)

    def cmd_hand(self, arg: str) -> None:
        """:hand on|off (alone: switch): derivations rounded to :digits as by hand."""
        if arg not in ("", "on", "off"):
            raise BptutorError("repl.bad_hand", None, given=arg)
        self.hand = not self.hand if not arg else arg == "on"
        self.say("repl.hand_on" if self.hand else "repl.hand_off", digits=self.digits)

    def needs_derivation(self):
        if self.last is None:
            raise BptutorError("repl.no_derivation")
        return self.last

    def cmd_check(self, arg: str) -> None:
        from ..tutor.answers import judge as check
        from .export import show_answers
        d = self.needs_derivation()
        if not arg:
            raise BptutorError("repl.check_what")
        try:
            self.verdicts = check(d, arg)
        except BptutorError as exc:
            raise exc.with_source(arg)
        show_answers(d, self.verdicts, self.lang, self.digits, self.out)

    def cmd_json(self, arg: str) -> None:
        from .export import write_json
        write_json(self.needs_derivation(), self.out, self.verdicts)

    def cmd_graph(self, arg: str) -> None:
        from .export import show_graph, write_graph
        d = self.needs_derivation()
        if not arg:
            raise BptutorError("repl.graph_what")
        if arg == "-":
            show_graph(d, self.digits, self.out)
            return
        write_graph(d, arg, self.digits)
        self.say("repl.graph_written", path=arg)

    def export(self, fmt: str) -> None:
        """:md, :latex: the last derivation as notes."""
        from .export import write_document
        write_document(self.needs_derivation(), fmt, self.lang, self.digits, self.out)

    def cmd_quiz(self, arg: str) -> None:
        from .quiz import options_from_words, run
        level, seed = options_from_words(arg.split())
        run(level, seed, self.ask, self.out, self.lang, self.digits, self.err)

    def cmd_train(self, arg: str) -> None:
        """:train OPTIONS, as bptutor train; the trained parameters become values."""
        from .train import run_words
        source = self.last.source if self.last is not None else None
        log = run_words(arg, source, self.values, self.lang, self.digits, self.out, self.err)
        if log is not None:             # None: the help was asked for
            self.values.update(log.params)
            self.say("train.repl_values", items=", ".join(log.params))

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
def build_parser(lang: str, out, with_help: bool = True) -> Parser:
    p = Parser("bptutor repl", lang, out, with_help=with_help, description="repl.description")
    p.add_common()
    return p


def main(argv, stdout=None, stderr=None, stdin=None) -> int:
    """`bptutor repl [--lang zh|en] [--digits N]`."""
    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    lang = pick_lang(prescan_lang(argv))         # for errors before the config file is read
    try:
        lang = choose_lang(prescan_lang(argv))
        args = build_parser(lang, stdout, wants_help(argv)).parse_args(argv)
        return run(choose_lang(args.lang), args.digits, stdout, stderr, stdin)
    except BaseException as exc:        # noqa: B036 -- a broken pipe, Ctrl-C: an exit code, never a traceback
        return report(exc, lang, stdout, stderr)


def run(lang: str, digits: int, stdout, stderr, stdin) -> int:
    if is_terminal(stdin) and is_terminal(stdout):
        return shell(Session(lang, digits, stdout, stderr))
    return piped(Session(lang, digits, stdout, stderr), stdin)


def exit_code(session: Session) -> int:
    """0, or 3 when the session met a bug of ours (it went on; a script should know)."""
    return Exit.INTERNAL if session.bugs else Exit.OK


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


def piped(session: Session, stdin) -> int:
    """Lines from a pipe: no prompts, the same output as on a terminal."""
    next_line, session.ask = pipe_reader(stdin, session.out)
    try:
        while True:
            text = read_input(next_line)
            if text is None or not session.handle(text):
                return exit_code(session)
    except KeyboardInterrupt:
        return Exit.INTERRUPTED


def history_path() -> Path:
    """The platform's state directory (on Linux $XDG_STATE_HOME/bptutor, by
    default ~/.local/state/bptutor), as platformdirs knows it."""
    import platformdirs
    return platformdirs.user_state_path("bptutor") / "history"


def shell(session: Session, input=None, output=None) -> int:
    """The interactive prompt. Ctrl-C cancels the line, Ctrl-D or :quit exits
    (0, or 3 when a bug of ours was met)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    path = history_path()
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

    from .replui import STYLE, InputLexer, ReplCompleter
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
            return exit_code(session)
        try:
            if not session.handle(text):
                return exit_code(session)
        except KeyboardInterrupt:         # Ctrl-C during a long derivation: back to the prompt
            continue
