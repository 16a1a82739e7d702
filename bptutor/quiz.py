"""Practice mode: bptutor sets a problem and walks the student backward
through its graph, asking for one gradient at a time.

A problem is a program whose every gate has a name (`q = x + y; f = q * z`),
so each question is "∂f/∂q = ?" and the answer checker can find the node.
Problems come from a few templates per level with small friendly values drawn
from a seeded random generator: the same seed gives the same quiz."""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass

from .errors import BptutorError
from .i18n import pick_lang, t

# Templates per level: programs with every gate named, and the inputs' value pools.
SMALL = [-4, -3, -2, -1, 1, 2, 3, 4]
TEMPLATES = {
    1: [
        "f = x * y",
        "q = x + y; f = q * z",
        "q = x * y; f = q + z",
        "q = x - y; f = q * z",
        "q = x * y; f = max(q, z)",
        "q = x + y; f = q^2",
    ],
    2: [
        "a = x * y; b = a + x; f = b * z",
        "a = x + y; b = x * z; f = a * b",
        "a = x * y; b = x + y; f = a - b",
        "a = x^2; b = a * y; f = b + a",
        "a = x * y; b = max(a, z); f = b * x",
    ],
    3: [
        "a = w0 * x0; b = w1 * x1; c = a + b; s = c + w2; f = sigmoid(s)",
        "a = w * x; s = a + b; f = sigmoid(s)",
        "a = w0 * x0; b = w1 * x1; s = a + b; h = tanh(s); f = h * v",
        "a = w * x; s = a + b; h = relu(s); f = h^2",
    ],
}
LEVELS = tuple(TEMPLATES)


@dataclass(frozen=True)
class Problem:
    source: str
    values: dict
    level: int
    seed: int


def generate(level: int = 1, seed: int = 0) -> Problem:
    """A problem for `level`, the same for the same seed: a template and small
    integer values, redrawn until the problem is friendly (see `friendly`)."""
    from .api import derive
    from .syntax import parse

    rng = random.Random(f"bptutor-quiz-{level}-{seed}")
    template = rng.choice(TEMPLATES[level])
    names = list(parse(template).inputs)
    for _ in range(100):
        values = {name: float(rng.choice(SMALL)) for name in names}
        if friendly(derive(template, values)):
            break
    return Problem(template, values, level, seed)


def friendly(d) -> bool:
    """No kink (a tie at max, relu at 0), no saturated sigmoid or tanh, no
    gradient that cancels to 0 or is too small to show at two decimals (only
    max and min route a zero on purpose), and small values."""
    if any(abs(v) > 60 for v in d.node_values):
        return False
    routers = {"max", "min"}
    for s in d.steps:
        if s.kind == "edge" and (s.kink or (abs(s.local) < 0.05 and d.graph.nodes[s.node].op.name not in routers)):
            return False
    if any(n.op.name in routers for n in d.graph.nodes):
        return any(d.node_grads[i] for i in d.graph.inputs.values())
    return all(abs(g) >= 0.05 for g in d.node_grads)


def questions(d) -> list[int]:
    """The nodes to ask about, backward: every gate and input but the output and constants.
    Reverse graph order is a reverse topological order, so every consumer of a
    node has been asked about before the node itself."""
    nodes = d.graph.nodes
    return [i for i in range(len(nodes) - 1, -1, -1)
            if i != d.graph.output and nodes[i].op.name != "const"]


def run(level, seed, ask, out, lang: str = "en", digits: int = 2, err=None) -> tuple[int, int]:
    """Generate and play one quiz; returns (right, asked)."""
    if seed is None:
        seed = random.SystemRandom().randrange(10_000)
    return play(generate(level, seed), ask, out, lang, digits, err)


def play(problem: Problem, ask, out, lang: str = "en", digits: int = 2, err=None) -> tuple[int, int]:
    """Ask for each gradient in backward order. `ask(prompt) -> str | None`
    reads an answer (None: the input ended). Returns (right answers, questions)."""
    from .api import derive
    from .cli import show
    from .numfmt import num, short
    from .render.narrate import Narrator
    from .render.terminal import render

    d = derive(problem.source, problem.values)
    nar = Narrator(d, lang, digits)
    nodes = d.graph.nodes
    f = nodes[d.graph.output].label

    def say(key, **params):
        out.write(t(key, lang, **params) + "\n")
        out.flush()

    say("quiz.intro", level=problem.level, seed=problem.seed)
    say("quiz.problem", source=problem.source.replace("; ", ";  "))
    say("quiz.values", values="  ".join(f"{k} = {short(v)}" for k, v in problem.values.items()))
    say("quiz.forward", values="  ".join(f"{label} = {value}" for label, value in nar.forward_items()))
    say("quiz.start", f=f)
    asked = questions(d)
    right = hints = 0
    for k, i in enumerate(asked, 1):
        name = nodes[i].label
        prompt = t("quiz.ask", lang, k=k, total=len(asked), f=f, name=name)
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
                    out.write("  " + line + "\n")
                continue
            try:
                correct, notes = judge(d, name, answer, lang, digits)
            except BptutorError as exc:
                from .cli import print_error
                out.flush()
                print_error(exc, lang, err or out, None)     # the answer alone: no caret needed
                continue
            break
        if correct:
            right += 1
            say("quiz.right")
        else:
            say("quiz.wrong", name=name, f=f, expected=num(d.node_grads[i], digits))
        if notes:
            out.write("  " + notes + "\n")
        if not correct:
            say("quiz.the_step")
            for step in steps_into(d, i):
                out.write("  " + nar.sentence(step) + "\n")
    say("quiz.score", right=right, asked=len(asked), hints=hints)
    out.write("\n")
    show(render(d, lang, digits), out)
    out.flush()
    return right, len(asked)


def steps_into(d, i: int) -> list:
    """The backward steps that make node i's gradient: each path, then their sum."""
    return [s for s in d.steps if (s.kind == "edge" and s.target == i) or (s.kind == "sum" and s.node == i)]


def hint_lines(d, i: int, lang: str, digits: int) -> list[str]:
    """The lesson of each gate the node feeds, and the upstream gradient there."""
    from .numfmt import num
    from .render.narrate import Narrator
    nar = Narrator(d, lang, digits)
    lines = []
    edges = [s for s in steps_into(d, i) if s.kind == "edge"]
    for s in edges:
        node = d.graph.nodes[s.node]
        lesson = node.op.lesson[0 if lang == "zh" else 1]
        lines.append(t("quiz.hint_gate", lang, name=d.graph.nodes[i].label, gate=nar.gate(s.node), lesson=lesson,
                       node=node.label, upstream=num(s.upstream, digits)))
    if len(edges) > 1:
        lines.append(t("quiz.hint_fanout", lang, name=d.graph.nodes[i].label, count=len(edges)))
    return lines


def judge(d, name: str, answer: str, lang: str, digits: int) -> tuple[bool, str]:
    """Is `answer` the gradient of `name`? -> (right, a sentence saying why or
    naming the mistake, or ""), by the answer checker's rules: rounding
    accepted, mistakes diagnosed, formulas judged."""
    from .answers import check
    from .render.answers import why
    from .render.narrate import Narrator
    text = f"{name}={answer}"
    try:
        [verdict] = check(d, text)
    except BptutorError as exc:
        raise exc.with_source(text)
    if verdict.correct and not verdict.note_key:
        return True, ""             # a plain right answer needs no sentence
    if not verdict.correct and not verdict.diagnosis and not verdict.note_key:
        return False, ""            # wrong without a diagnosis: the right step says it all
    return verdict.correct, why(verdict, Narrator(d, lang, digits))


def options_from_words(words: list[str]) -> tuple[int, int | None]:
    """`:quiz [level] [seed]` -> (level, seed)."""
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


def main(argv, stdout=None, stderr=None, stdin=None) -> int:
    """`bptutor quiz [--level 1..3] [--seed N] [--lang zh|en] [--digits N]`.
    Exit 0 when every answer was right, 1 otherwise."""
    from .cli import _prescan_lang, report
    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    try:
        return _main(argv, stdout, stderr, stdin)
    except BaseException as exc:        # noqa: B036 -- a broken pipe, Ctrl-C: an exit code, never a traceback
        return report(exc, pick_lang(_prescan_lang(argv)), stdout, stderr)


def _main(argv, stdout, stderr, stdin) -> int:
    from .cli import Exit
    from .repl import is_terminal, parse_args, pipe_reader, terminal_asker
    args, code = parse_args("quiz", argv, stdout, stderr, digits=2, extra=lambda lang: [
        (("--level",), dict(type=int, choices=LEVELS, default=1, help=t("quiz.help_level", lang))),
        (("--seed",), dict(type=int, help=t("quiz.help_seed", lang)))])
    if args is None:
        return code
    lang = pick_lang(args.lang)
    if is_terminal(stdin) and is_terminal(stdout):
        ask = terminal_asker()
    else:
        ask = pipe_reader(stdin, stdout)[1]
    right, asked = run(args.level, args.seed, ask, stdout, lang, args.digits, stderr)
    return Exit.OK if right == asked and asked else Exit.WRONG
