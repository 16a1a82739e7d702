"""`bptutor train` and the REPL's `:train`: gradient descent step by step
(seed 001's loop). Options, files and streams only: the loop is tutor.train,
the words are render.FORMATS["train"] (render/trainlog.py)."""
from __future__ import annotations

import sys
import time

from ..errors import BptutorError
from ..i18n import pick_lang, t
from ..render import FORMATS, printer
from .args import Parser, expression_last, prescan_lang, read_source, read_values, wants_help
from .config import choose_lang
from .console import Exit, console, print_error, report, show

PLOT_EXTENSIONS = (".svg", ".png")
PROGRESS_AFTER = 0.3        # seconds before a progress bar appears (short runs never flash one)


def build_parser(lang: str, out, with_help: bool = True, prog: str = "bptutor train",
                 common: bool = True) -> Parser:
    """The options of `bptutor train`; the REPL's :train takes the same ones
    (without --lang and --digits: the session has its own, `common`=False)."""
    p = Parser(prog, lang, out, with_help=with_help, description="train.description")
    h = p.h
    p.add_argument("expr", nargs="?", help=h("cli.help_expr"))
    p.add_argument("-f", "--file", help=h("cli.help_file"))
    p.add_argument("--data", help=h("train.help_data"))
    p.add_argument("--data-file", metavar="FILE", help=h("train.help_data_file"))
    p.add_argument("--vals", action="append", default=[], help=h("train.help_vals"))
    p.add_argument("--wrt", help=h("train.help_wrt"))
    if common:
        p.add_common()
    p.add_argument("--lr", type=float, default=0.01, metavar="η", help=h("train.help_lr"))
    p.add_argument("--epochs", type=int, default=100, help=h("train.help_epochs"))
    p.add_argument("--batch", default="1", help=h("train.help_batch"))
    p.add_argument("--shuffle", action="store_true", help=h("train.help_shuffle"))
    p.add_argument("--seed", type=int, default=0, help=h("train.help_seed"))
    p.add_argument("--weight-decay", type=float, default=0.0, metavar="λ", help=h("train.help_weight_decay"))
    p.add_argument("--schedule", choices=["constant", "step", "cosine"], default="constant",
                   help=h("train.help_schedule"))
    p.add_argument("--step-size", type=int, help=h("train.help_step_size"))
    p.add_argument("--gamma", type=float, default=0.1, help=h("train.help_gamma"))
    p.add_argument("--predict", action="append", default=[], help=h("train.help_predict"))
    p.add_argument("--explain-every", type=int, metavar="K", help=h("train.help_explain_every"))
    p.add_argument("--all", action="store_true", help=h("train.help_all"))
    p.add_argument("--json", action="store_true", help=h("train.help_json"))
    p.add_argument("--plot", metavar="FILE", help=h("train.help_plot"))
    p.add_argument("--force", action="store_true", help=h("export.help_force_plot"))
    p.add_argument("--format", choices=list(FORMATS["train"]), default="text", help=h("train.help_format"))
    return p


def main(argv, stdout=None, stderr=None, stdin=None) -> int:
    """`bptutor train ...`."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    lang = pick_lang(prescan_lang(argv))         # for errors before the config file is read
    try:
        lang = choose_lang(prescan_lang(argv))
        parser = build_parser(lang, stdout, wants_help(argv))
        args = parser.parse_args(expression_last(parser, argv))
        return run(args, choose_lang(args.lang), stdout, stderr)[0]
    except BaseException as exc:        # noqa: B036 -- every outcome is a message and an exit code
        return report(exc, lang, stdout, stderr)


def run_words(text: str, source: str | None, values: dict, lang: str, digits: int, stdout, stderr):
    """:train OPTIONS in the REPL -> the TrainLog (None after --help). Without
    EXPR or -f it trains `source` (the last program), starting from `values`
    (the session's) for its inputs that are not data."""
    import shlex
    try:
        words = shlex.split(text)
    except ValueError as exc:           # an unclosed quote
        raise BptutorError("cli.usage", None, detail=str(exc), prog=":train") from None
    try:
        args = build_parser(lang, stdout, wants_help(words), prog=":train", common=False).parse_args(words)
    except SystemExit:                  # --help, printed
        return None
    args.lang, args.digits = lang, digits
    if source is None and args.expr is None and args.file is None:
        raise BptutorError("train.repl_what")
    return run(args, lang, stdout, stderr, source, values)[1]


def run(args, lang: str, stdout, stderr, source: str | None = None, values: dict | None = None) -> tuple:
    """Train as `args` say -> (exit code, TrainLog). `source` and `values`
    (the REPL's last program and its values) stand in for EXPR/-f and --vals."""
    from ..tutor.program import compile
    from ..tutor.train import train

    if args.json and args.format != "text":
        raise BptutorError("train.json_and_format", None, format=args.format)
    if source is None or args.expr is not None or args.file is not None:
        source = read_source(args)
    data = read_data(args)
    program = compile(source)
    inputs = program.graph_for([*data, *(values or {})]).inputs
    given = {k: v for k, v in (values or {}).items() if k in inputs and k not in data}
    given.update(read_values(args.vals))
    predict = [read_values([text]) for text in args.predict]
    if args.plot:
        from .export import refuse_overwriting
        plot_format(args.plot)          # a wrong extension is refused before training, not after
        refuse_overwriting(args.plot, (args.file, args.data_file))
    with Progress(stderr if args.json else stdout, args.epochs, lang) as progress:
        log = train(program, data, values=given, params=args.wrt, lr=args.lr, epochs=args.epochs,
                    batch=batch_size(args.batch), shuffle=args.shuffle, seed=args.seed,
                    weight_decay=args.weight_decay, schedule=args.schedule, step_size=args.step_size,
                    gamma=args.gamma, predict=predict, explain_every=args.explain_every, on_epoch=progress)
    if args.plot and log.history:
        import os
        replaced = os.path.lexists(args.plot)
        write_plot(log, args.plot)
        if replaced and not args.force:
            from .export import say_replaced
            say_replaced(args.plot, lang, stderr)
    if args.json:
        import json
        from ..render.numbers import num
        stdout.write(json.dumps(log.to_dict(lang, num), ensure_ascii=False, indent=1) + "\n")
    else:
        render = printer("train", args.format)
        first = first_derivation(program, log, given)
        if args.format == "text":
            show(render(log, first, lang, args.digits, args.all), stdout)
        else:
            from .export import picture_options
            stdout.write(render(log, first, lang, args.digits, args.all, **picture_options(args.format)))
    if log.error is None:
        return Exit.OK, log
    if not args.json:                   # the JSON says it in "error"
        stdout.flush()
        print_error(stop_error(log, lang), lang, stderr)
    return Exit.WRONG, log


def batch_size(text: str):
    """--batch N or all."""
    if text.strip().lower() == "all":
        return "all"
    try:
        return int(text)
    except ValueError:
        raise BptutorError("train.bad_batch", None, value=text) from None


def read_data(args) -> dict:
    """--data TEXT or --data-file FILE (exactly one), as columns."""
    from pathlib import Path
    from ..lang.data import DATA_KINDS, parse_data, read_data as parse_file
    from .files import read_file
    if args.data is not None and args.data_file is not None:
        raise BptutorError("train.data_twice")
    if args.data is not None:
        return parse_data(args.data)
    if args.data_file is None:
        raise BptutorError("train.no_data")
    kind = Path(args.data_file).suffix.lower()
    if kind not in DATA_KINDS:
        raise BptutorError("train.data_kind", None, path=args.data_file, known=" ".join(DATA_KINDS))
    return parse_file(read_file(args.data_file), kind, args.data_file)


def first_derivation(program, log, given: dict):
    """The derivation at the first update's sample, with the starting
    parameters (narrated in full before the update); None when there was none."""
    if not log.updates:
        return None
    u = log.updates[0]
    return program.derive({**given, **u.before, **u.inputs}, wrt=log.param_names)


def stop_error(log, lang: str) -> BptutorError:
    """Why training stopped and where, pointing at the node in the program
    (the history is printed above)."""
    from ..render.numbers import num
    from ..tutor.train import stop_message
    stop = log.error
    return BptutorError("train.stopped_above", stop.cause.span,
                        stopped=stop_message(stop, lang, num)).with_source(log.source)


class Progress:
    """A Rich progress bar over the epochs, on a terminal only, and only once a
    run has taken longer than PROGRESS_AFTER; it disappears when done."""

    def __init__(self, stream, epochs: int, lang: str):
        self.console = console(stream)
        self.epochs, self.lang = epochs, lang
        self.started = time.perf_counter()
        self.bar = None

    def __enter__(self):
        return self

    def __call__(self, epoch) -> None:
        if self.bar is None:
            if not self.console.is_terminal or time.perf_counter() - self.started < PROGRESS_AFTER:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn
            self.bar = Bar(TextColumn(t("train.progress", self.lang)), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.description}"), TimeRemainingColumn(), console=self.console,
                           transient=True)
            self.bar.start()
            self.task = self.bar.add_task("", total=self.epochs)
        self.bar.update(self.task, completed=epoch.epoch + 1, description=f"{epoch.loss:.4g}")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def plot_format(path: str) -> str:
    """svg or png, from --plot's extension."""
    from pathlib import Path
    kind = Path(path).suffix.lower()
    if kind not in PLOT_EXTENSIONS:
        raise BptutorError("train.plot_extension", None, path=path, known=" ".join(PLOT_EXTENSIONS))
    return kind[1:]


def write_plot(log, path: str) -> None:
    """--plot FILE.svg|png: the loss curve as a picture (matplotlib, loaded only here)."""
    from pathlib import Path
    from ..render.lossplot import plot_bytes
    data = plot_bytes([e.epoch for e in log.history], [e.loss for e in log.history],
                      [e.mean_loss for e in log.history], plot_format(path))
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise BptutorError("train.plot_write_failed", None, path=path, reason=exc.strerror or str(exc)) from None
