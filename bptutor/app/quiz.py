"""`bptutor quiz [--level 1..3] [--seed N]` and the REPL's :quiz: ask for each
gradient in backward order, judge it (tutor/quiz.py), say why, give hints.
Exit 0 when every answer was right, 1 otherwise."""
from __future__ import annotations

import sys

from ..errors import BptutorError
from ..i18n import pick_lang, t
from .args import Parser, prescan_lang, wants_help
from .config import choose_lang
from .console import Exit, is_internal, is_terminal, pipe_reader, print_error, report, show, terminal_asker


def build_parser(lang: str, out, with_help: bool = True) -> Parser:
    from ..tutor.quiz import LEVELS
    p = Parser("bptutor quiz", lang, out, with_help=with_help, description="quiz.description")
    p.add_argument("--level", type=int, choices=LEVELS, default=1, help=p.h("quiz.help_level"))
    p.add_argument("--seed", type=int, help=p.h("quiz.help_seed"))
    p.add_common(digits=2)
    return p


def main(argv, stdout=None, stderr=None, stdin=None) -> int:
    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    lang = pick_lang(prescan_lang(argv))         # for errors before the config file is read
    try:
        lang = choose_lang(prescan_lang(argv))
        args = build_parser(lang, stdout, wants_help(argv)).parse_args(argv)
        lang = choose_lang(args.lang)
        ask = terminal_asker() if is_terminal(stdin) and is_terminal(stdout) else pipe_reader(stdin, stdout)[1]
        right, asked = run(args.level, args.seed, ask, stdout, lang, args.digits, stderr)
    except BaseException as exc:        # noqa: B036 -- a broken pipe, Ctrl-C, a bug: an exit code, never a traceback
        return report(exc, lang, stdout, stderr)
    return Exit.OK if right == asked and asked else Exit.WRONG


def options_from_words(words: list[str]) -> tuple[int, int | None]:
    """`:quiz [level] [seed]` -> (level, seed)."""
    from ..tutor.quiz import LEVELS
    level, seed = 1, None
    for k, word in enumerate(words[:2]):
        if not word.lstrip("-").isdigit():
            raise BptutorError("quiz.bad_option", None, given=word)
        if k == 0:
            level = int(word)
        else:
            seed = int(word)
    if level not in LEVELS:
        raise BptutorError("quiz.bad_level", None, given=level)
    return level, seed


def run(level: int, seed: int | None, ask, out, lang: str = "en", digits: int = 2, err=None) -> tuple[int, int]:
    """Generate and play one quiz (seed None: a random one); returns (right, asked)."""
    from ..tutor.quiz import generate, start
    return play(start(generate(level, seed)), ask, out, lang, digits, err)


def play(quiz, ask, out, lang: str = "en", digits: int = 2, err=None) -> tuple[int, int]:
    """Ask for each gradient in backward order. `ask(prompt) -> str | None`
    reads an answer (None: the input ended). A user error in an answer is
    printed and the question asked again; a bug of ours escapes.
    Returns (right answers, questions)."""
    from ..render.plain import Narration
    from ..render.numbers import num, shape_of, shape_text
    from ..render.terminal import render
    from ..tutor.quiz import judge, steps_into

    problem, d = quiz.problem, quiz.derivation
    nar = Narration(d, lang, digits)
    nodes = d.graph.nodes
    f = nodes[d.graph.output].label

    def say(key, **params):
        out.write(t(key, lang, **params) + "\n")
        out.flush()

    def indented(text):
        out.write("  " + text.replace("\n", "\n  ") + "\n")

    say("quiz.intro", level=problem.level, seed=problem.seed)
    say("quiz.problem", source=problem.source.replace("; ", ";  "))
    say("quiz.values", values="  ".join(f"{k} = {literal(v)}" for k, v in problem.values.items()))
    say("quiz.forward", values="  ".join(f"{label} = {value}" for label, value in nar.forward_items()))
    say("quiz.start", f=f)
    if d.arrays:
        say("quiz.start_arrays")
    asked = quiz.questions
    right = hints = 0
    for k, i in enumerate(asked, 1):
        name = nodes[i].label
        shape = shape_of(d.node_values[i])
        prompt = t("quiz.ask", lang, k=k, total=len(asked), f=f, name=name) if shape is None else \
            t("quiz.ask_shaped", lang, k=k, total=len(asked), f=f, name=name, shape=shape_text(shape))
        while True:
            answer = ask(prompt)
            if answer is None or answer.strip() in (":quit", ":q"):
                say("quiz.stopped", right=right, asked=k - 1)
                return right, len(asked)
            answer = answer.strip()
            if not answer:
                continue
            if answer == "?":
                hints += 1
                for line in hint_lines(d, i, lang, digits):
                    indented(line)
                continue
            try:
                verdict = judge(d, name, answer)
            except BptutorError as exc:
                if is_internal(exc):
                    raise
                out.flush()
                print_error(exc, lang, err or out, caret=False)     # the answer alone: no caret needed
                continue
            break
        if verdict.correct:
            right += 1
            say("quiz.right")
        else:
            say("quiz.wrong", name=name, f=f, expected=num(d.node_grads[i], digits))
        notes = explanation(d, verdict, lang, digits)
        if notes:
            indented(notes)
        if not verdict.correct:
            say("quiz.the_step")
            for step in steps_into(d, i):
                indented(nar.sentence(step))
    say("quiz.score", right=right, asked=len(asked), hints=hints)
    out.write("\n")
    show(render(d, lang, digits), out)
    out.flush()
    return right, len(asked)


def literal(v) -> str:
    """A value as the student would type it: 2, [1, -2], [[1, 2], [-1, 1]]."""
    from ..render.numbers import short
    if isinstance(v, list):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    return short(v)


def hint_lines(d, i: int, lang: str, digits: int) -> list[str]:
    """The lesson of each gate the node feeds, and the upstream gradient there."""
    from ..render.plain import Narration
    from ..render.numbers import num
    from ..tutor.quiz import hint_steps
    nar = Narration(d, lang, digits)
    lines = []
    edges = hint_steps(d, i)
    for s in edges:
        node = d.graph.nodes[s.node]
        lesson = t(node.op.lesson, lang)
        lines.append(t("quiz.hint_gate", lang, name=d.graph.nodes[i].label, gate=nar.gate(s.node), lesson=lesson,
                       node=node.label, upstream=num(s.upstream, digits)))
    if len(edges) > 1:
        lines.append(t("quiz.hint_fanout", lang, name=d.graph.nodes[i].label, count=len(edges)))
    return lines


def explanation(d, verdict, lang: str, digits: int) -> str:
    """A sentence saying why or naming the mistake, or "" when the verdict says it all."""
    from ..render.answers import why
    from ..render.plain import Narration
    if verdict.correct and not verdict.note_key:
        return ""               # a plain right answer needs no sentence
    if not verdict.correct and not verdict.diagnosis and not verdict.note_key:
        return ""               # wrong without a diagnosis: the right step says it all
    return why(verdict, Narration(d, lang, digits))
