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
from .console import (Exit, as_bptutor_error, interruptible, is_internal, is_terminal, pipe_reader, print_error,
                      printable, report, show, terminal_asker)
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
        self.mode = "reverse"            # :mode: the passes each derivation narrates
        self.hand = False                # work backward as by hand (:hand), rounded to `digits`
        self.last = None                 # the last Derivation
        self.verdicts = None             # the last :check's verdicts on it
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.ask = ask or (lambda prompt: None)
        self.bugs = 0                    # internal errors met: the session's exit code says so
        self.terminal = None             # (input, output) of the interactive shell, for :step

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
        self.out.write(printable(t(key, self.lang, **params)) + "\n")

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
        d = derive(text, given, mode=self.mode, hand=self.digits if self.hand else None)
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
            self.export(name, arg.strip())
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
        if not (arg.isascii() and arg.isdigit()) or int(arg) > 15:      # "²".isdigit(), yet int("²") fails
            raise BptutorError("repl.bad_digits", None, given=arg)
        self.digits = int(arg)
        self.say("repl.digits_set", digits=self.digits)

    def cmd_mode(self, arg: str) -> None:
        from ..core.records import MODES
        if not arg:
            self.say("repl.mode_is", mode=self.mode)
            return
        if arg not in MODES:
            raise BptutorError("repl.bad_mode", None, given=arg)
        self.mode = arg
        self.say("repl.mode_set", mode=arg)

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

    def cmd_step(self, arg: str) -> None:
        """:step: the last derivation one step at a time; piped, every step."""
        from .export import show_derivation, step_through
        d = self.needs_derivation()
        if self.terminal is None:
            show_derivation(d, self.lang, self.digits, self.out, True)
            return
        step_through(d, self.lang, self.digits, self.out, *self.terminal)

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
        replaced = write_graph(d, arg, self.digits)
        self.say("repl.graph_replaced" if replaced else "repl.graph_written", path=arg)

    def export(self, fmt: str, path: str = "") -> None:
        """:md, :latex: the last derivation as notes; :html FILE: as a page (with
        the last :check's verdicts)."""
        from .export import PAGES, write_document, write_page
        d = self.needs_derivation()
        if fmt not in PAGES:
            write_document(d, fmt, self.lang, self.digits, self.out)
            return
        if not path:
            raise BptutorError(f"repl.{fmt}_what")
        write_page(d, fmt, self.lang, self.digits, path, self.verdicts)
        self.say("repl.page_written", path=path)

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


class Continuation:
    """Whether an input goes on on the next line -- an open bracket outside
    comments, or a trailing backslash -- tracked line by line: each line is
    read once, so 20,000 pasted lines cost 20,000 lines, not their square."""

    def __init__(self):
        self.lines = 0
        self.depth = 0                  # brackets opened minus closed so far
        self.command = False            # a :command is one line
        self.backslash = False          # the last line ends with one

    def feed(self, line: str) -> "Continuation":
        from ..lang.text import fold
        if self.lines == 0:
            self.command = line.lstrip().startswith(":")
        self.lines += 1
        code = fold(line).split("#", 1)[0]          # one line: fold maps characters only
        self.depth += code.count("(") + code.count("[") - code.count(")") - code.count("]")
        self.backslash = code.rstrip().endswith("\\")     # as fold() reads it: not inside a comment
        return self

    def goes_on(self) -> bool:
        return not self.command and (self.depth > 0 or self.backslash)

    def copy(self) -> "Continuation":
        twin = Continuation()
        twin.__dict__.update(self.__dict__)
        return twin


def incomplete(text: str) -> bool:
    """A trailing backslash or an open bracket: the input goes on on the next line."""
    state = Continuation()
    for line in text.split("\n"):
        state.feed(line)
    return state.goes_on()


class Typed:
    """incomplete() for the text being typed at the prompt, which grows by a
    line at each Enter: the lines seen before are not read again."""

    def __init__(self):
        self.seen = ""                  # the text up to its last line end, as last scanned
        self.state = Continuation()

    def incomplete(self, text: str) -> bool:
        end = text.rfind("\n") + 1
        if not (len(self.seen) <= end and text.startswith(self.seen)):     # edited above: scan again
            self.seen, self.state = "", Continuation()
        for line in text[len(self.seen):end].split("\n")[:-1]:
            self.state.feed(line)
        self.seen = text[:end]
        return self.state.copy().feed(text[end:]).goes_on()


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
    with interruptible():           # Ctrl-C stops a derivation, not the session
        if is_terminal(stdin) and is_terminal(stdout):
            return shell(Session(lang, digits, stdout, stderr))
        return piped(Session(lang, digits, stdout, stderr), stdin)


def exit_code(session: Session) -> int:
    """0, or 3 when the session met a bug of ours (it went on; a script should know)."""
    return Exit.INTERNAL if session.bugs else Exit.OK


def read_input(next_line) -> str | None:
    """One input from `next_line()` (None at the end), joining continued lines,
    refused once it passes the input limit."""
    from .files import MAX_INPUT, too_large
    line = next_line()
    if line is None:
        return None
    lines, size, state = [line], len(line), Continuation().feed(line)
    while state.goes_on():
        line = next_line()
        if line is None:
            break
        size += 1 + len(line)
        if size > MAX_INPUT:
            raise too_large(size)
        lines.append(line)
        state.feed(line)
    return "\n".join(lines)


def piped(session: Session, stdin) -> int:
    """Lines from a pipe: no prompts, the same output as on a terminal. An
    input over the limit ends the session (exit 2): what follows it in the
    pipe would be read out of context."""
    next_line, session.ask = pipe_reader(stdin, session.out)
    try:
        while True:
            text = read_input(next_line)
            if text is None or not session.handle(text):
                return exit_code(session)
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except BptutorError as exc:
        session.error(exc)
        return Exit.USAGE


def history_path() -> Path:
    """The platform's state directory (on Linux $XDG_STATE_HOME/bptutor, by
    default ~/.local/state/bptutor), as platformdirs knows it."""
    import platformdirs
    return platformdirs.user_state_path("bptutor") / "history"


def shell(session: Session, input=None, output=None) -> int:
    """The interactive prompt. Ctrl-C cancels the line, Ctrl-D or :quit exits
    (0, or 3 when a bug of ours was met)."""
    from prompt_toolkit import PromptSession

    from .files import limit_input
    from .replui import STYLE, InputLexer, ReplCompleter, key_bindings, private_history
    history = private_history(history_path(), session.error)
    prompt = PromptSession(history=history, completer=ReplCompleter(session), lexer=InputLexer(session),
                           style=STYLE, multiline=True, key_bindings=key_bindings(Typed()),
                           complete_while_typing=False,
                           prompt_continuation=lambda width, line, wrap: CONTINUATION[:width].ljust(width),
                           input=input, output=output)
    limit_input(prompt)
    session.ask = terminal_asker(input, output)
    session.terminal = (input, output)
    session.say("repl.welcome")
    while True:
        try:
            text = prompt.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return exit_code(session)
        except BptutorError as exc:       # the input passed the limit: refused, the session goes on
            session.error(exc)
            continue
        try:
            if not session.handle(text):
                return exit_code(session)
        except KeyboardInterrupt:         # Ctrl-C during a long derivation: back to the prompt
            continue
