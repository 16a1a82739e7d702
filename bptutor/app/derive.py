"""`bptutor EXPR [options]`: derive, then print what the options ask for
(with --lr, also one step of gradient descent from the values given).

Every output choice is checked before anything is derived or printed. Standard
output carries one format: text (the narration, or the graph drawn with
--graph -, then the checked answers), a Markdown or LaTeX document, or JSON;
a combination that would mix two formats there, or drop one, is a usage error."""
from __future__ import annotations

import argparse

from ..errors import BptutorError
from ..render import FORMATS
from ..core.records import MODES
from .args import Parser, read_source, read_values
from .config import choose_lang
from .console import Exit, is_terminal
from .export import PAGES, graph_format


def build_parser(lang: str, out, with_help: bool = True, expression: bool = True) -> Parser:
    p = Parser("bptutor", lang, out, with_help=with_help, description="cli.help_description",
               epilog="cli.help_epilog", formatter_class=argparse.RawDescriptionHelpFormatter)
    h = p.h
    if expression:          # (not in the shell completion's command tree)
        p.add_argument("expr", nargs="?", help=h("cli.help_expr"))
    p.add_argument("-f", "--file", help=h("cli.help_file"))
    p.add_argument("--vals", action="append", default=[], help=h("cli.help_vals"))
    p.add_common()
    p.add_version()
    p.add_argument("--eps", type=float, default=None, help=h("cli.help_eps"))
    p.add_argument("--wrt", help=h("cli.help_wrt"))
    p.add_argument("--mode", choices=MODES, default="reverse", help=h("cli.help_mode"))
    p.add_argument("--outputs", help=h("cli.help_outputs"))
    p.add_argument("--jacobian", action="store_true", help=h("cli.help_jacobian"))
    p.add_argument("--json", action="store_true", help=h("cli.help_json"))
    p.add_argument("--hand", action="store_true", help=h("cli.help_hand"))
    p.add_argument("--all", action="store_true", help=h("cli.help_all"))
    p.add_argument("--step", action="store_true", help=h("cli.help_step"))
    p.add_argument("--graph", metavar="FILE", help=h("export.help_graph"))
    p.add_argument("--force", action="store_true", help=h("export.help_force"))
    p.add_argument("--format", choices=list(FORMATS["derivation"]), default="text", help=h("export.help_format"))
    p.add_argument("--answer", action="append", default=[], help=h("answers.help_answer"))
    p.add_argument("--lr", type=float, metavar="η", help=h("train.help_lr_derive"))
    return p


def wants_repl(args) -> bool:
    """No expression and no file: on a terminal, that is the REPL."""
    return args.expr is None and args.file is None


def output_format(args) -> str:
    """What goes to standard output: text, md, latex or json. Raises a usage
    error for a combination that would print two things there, or drop one."""
    fmt = "json" if args.json else args.format
    if args.json and args.format != "text":
        raise BptutorError("cli.json_and_format", None, format=args.format)
    if args.graph is not None and graph_format(args.graph) == "-" and fmt != "text":
        option = "--json" if args.json else f"--format {fmt}"
        raise BptutorError("cli.graph_on_stdout", None, option=option)
    if args.step and fmt != "text":
        option = "--json" if args.json else f"--format {fmt}"
        raise BptutorError("cli.step_needs_text", None, option=option)
    if args.answer and fmt != "json" and fmt not in FORMATS["answers"]:
        raise BptutorError("cli.format_no_answers", None, format=fmt)
    return fmt


def run(args, stdout, stderr=None, stdin=None) -> int:
    """Derive the program the arguments give and print it as they ask (notes,
    such as a file replaced, to `stderr`; --step reads keys from a terminal)."""
    from . import export

    lang = choose_lang(args.lang)
    fmt = output_format(args)
    source = read_source(args)
    hand = args.digits if args.hand else None
    d, update = derive(source, read_values(args.vals), args.eps, args.wrt, args.lr, args.mode, args.outputs,
                       args.jacobian, hand)
    verdicts = None
    if args.answer:         # judged before anything is printed: a bad answer is an error, not half an output
        verdicts = judge(d, "\n".join(args.answer))
    # --step on a terminal draws the graph and the steps itself; piped, the output is as without it
    stepping = args.step and is_terminal(stdin) and is_terminal(stdout)
    if args.graph == "-" and not stepping:
        export.show_graph(d, args.digits, stdout)
    elif args.graph and args.graph != "-":
        replaced = export.write_graph(d, args.graph, args.digits, inputs=(args.file,))
        if replaced and not args.force and stderr is not None:
            export.say_replaced(args.graph, lang, stderr)
    if stepping and export.step_through(d, lang, args.digits, stdout) == Exit.INTERRUPTED:
        return Exit.INTERRUPTED
    if fmt == "json":
        export.write_json(d, stdout, verdicts, update)
    elif verdicts is not None:
        export.show_answers(d, verdicts, lang, args.digits, stdout, fmt, update)
    elif fmt != "text":
        export.write_document(d, fmt, lang, args.digits, stdout, update)
    elif args.graph != "-" and not stepping:
        export.show_derivation(d, lang, args.digits, stdout, args.all)
    if update is not None and fmt != "json" and fmt not in PAGES:   # after the derivation, in its format
        export.show_update(update, fmt, lang, args.digits, stdout)
    if verdicts is not None:
        return Exit.OK if all(v.correct for v in verdicts) else Exit.WRONG
    return Exit.OK if d.ok else Exit.WRONG


def derive(source: str, values: dict, eps, wrt, lr=None, mode: str = "reverse", outputs=None,
           jacobian: bool = False, hand=None) -> tuple:
    """(the Derivation, worked by hand at `hand` decimals unless None, and with
    a learning rate `lr` the OneStep of gradient descent from its point, else None)."""
    from ..tutor.program import compile
    try:
        program = compile(source)
        d = program.derive(values, eps=eps, wrt=wrt, mode=mode, outputs=outputs, jacobian=jacobian, hand=hand)
        if lr is None:
            return d, None
        from ..tutor.train import one_step
        return d, one_step(program, d, lr)
    except BptutorError as exc:         # the caret goes under the program
        raise exc.with_source(source)


def judge(d, answers: str):
    from ..tutor.answers import judge as check
    try:
        return check(d, answers)
    except BptutorError as exc:
        raise exc.with_source(answers)
