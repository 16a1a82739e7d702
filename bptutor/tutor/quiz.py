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

from ..errors import BptutorError
from ..i18n import pick_lang, t

# Templates per level: programs with every gate named. An entry is the program,
# or (program, shapes of the inputs that are vectors or matrices).
SMALL = [-4, -3, -2, -1, 1, 2, 3, 4]        # a number's pool
ENTRIES = [-2, -1, 1, 2]                    # a vector's or matrix's entries
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
        ("q = W @ x; h = q^2; f = sum(h)", {"W": (2, 2), "x": (2,)}),
        ("q = W @ x; h = q * v; f = sum(h)", {"W": (2, 2), "x": (2,), "v": (2,)}),
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
    from .program import derive
    from ..lang.parse import parse

    rng = random.Random(f"bptutor-quiz-{level}-{seed}")
    entry = rng.choice(TEMPLATES[level])
    template, shapes = (entry, {}) if isinstance(entry, str) else entry
    names = list(parse(template).inputs)
    for _ in range(100):
        values = {name: draw(rng, shapes.get(name, ())) for name in names}
        if friendly(derive(template, values)):
            break
    return Problem(template, values, level, seed)


def draw(rng: random.Random, shape: tuple):
    """A number, or nested lists of small integers of this shape (as a student types them)."""
    if not shape:
        return float(rng.choice(SMALL))
    if len(shape) == 1:
        return [float(rng.choice(ENTRIES)) for _ in range(shape[0])]
    return [draw(rng, shape[1:]) for _ in range(shape[0])]


def literal(v) -> str:
    """A value as the student would type it: 2, [1, -2], [[1, 2], [-1, 1]]."""
    from ..render.numbers import short
    if isinstance(v, list):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    return short(v)


def _entries(x) -> list[float]:
    """Every entry of a number or an array, as floats."""
    if isinstance(x, (int, float)):
        return [float(x)]
    return [float(e) for e in getattr(x, "flat", [x])]


def friendly(d) -> bool:
    """No kink (a tie at max, relu at 0), no saturated sigmoid or tanh, no
    gradient that cancels to 0 or is too small to show at two decimals (only
    max and min route a zero on purpose), and small values."""
    if any(abs(e) > 60 for v in d.node_values for e in _entries(v)):
        return False
    routers = {"max", "min"}
    for s in d.steps:
        if s.kind != "edge" or s.local is None:         # matrix gates record no elementwise local
            continue
        tiny = any(abs(e) < 0.05 for e in _entries(s.local))
        if s.kink or (tiny and d.graph.nodes[s.node].op.name not in routers):
            return False
    if any(n.op.name in routers for n in d.graph.nodes):
        return any(e for i in d.graph.inputs.values() for e in _entries(d.node_grads[i]))
    return all(abs(e) >= 0.05 for g in d.node_grads for e in _entries(g))


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
    from .program import derive
    from ..app.cli import show
    from ..render.numbers import num, shape_of, shape_text
    from ..render.narrate import narrator
    from ..render.terminal import render

    d = derive(problem.source, problem.values)
    nar = narrator(d, lang, digits)
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
    asked = questions(d)
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
                correct, notes = judge(d, name, answer, lang, digits)
            except Exception as exc:        # a BptutorError, or a bug of ours: say so, ask again
                from ..app.cli import as_bptutor_error, print_error
                out.flush()
                print_error(as_bptutor_error(exc), lang, err or out, None)   # the answer alone: no caret needed
                continue
            break
        if correct:
            right += 1
            say("quiz.right")
        else:
            say("quiz.wrong", name=name, f=f, expected=num(d.node_grads[i], digits))
        if notes:
            indented(notes)
        if not correct:
            say("quiz.the_step")
            for step in steps_into(d, i):
                indented(nar.sentence(step))
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
    from ..render.numbers import num
    from ..render.narrate import narrator
    nar = narrator(d, lang, digits)
    lines = []
    edges = [s for s in steps_into(d, i) if s.kind == "edge"]
    for s in edges:
        node = d.graph.nodes[s.node]
        lesson = t(node.op.lesson, lang)
        lines.append(t("quiz.hint_gate", lang, name=d.graph.nodes[i].label, gate=nar.gate(s.node), lesson=lesson,
                       node=node.label, upstream=num(s.upstream, digits)))
    if len(edges) > 1:
        lines.append(t("quiz.hint_fanout", lang, name=d.graph.nodes[i].label, count=len(edges)))
    return lines


def judge(d, name: str, answer: str, lang: str, digits: int) -> tuple[bool, str]:
    """Is `answer` the gradient of `name`? -> (right, a sentence saying why or
    naming the mistake, or ""), by the answer checker's rules: rounding
    accepted, mistakes diagnosed, formulas judged."""
    from .answers import judge as check
    from ..render.answers import why
    from ..render.narrate import narrator
    text = f"{name}={answer}"
    try:
        verdicts = check(d, text)
    except BptutorError as exc:
        raise exc.with_source(text)
    if len(verdicts) != 1:          # `0.5, y=2`: more than the one answer asked for
        raise BptutorError("quiz.one_answer", None, name=name)
    [verdict] = verdicts
    if verdict.correct and not verdict.note_key:
        return True, ""             # a plain right answer needs no sentence
    if not verdict.correct and not verdict.diagnosis and not verdict.note_key:
        return False, ""            # wrong without a diagnosis: the right step says it all
    return verdict.correct, why(verdict, narrator(d, lang, digits))


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
    from ..app.cli import _prescan_lang, report
    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    try:
        return _main(argv, stdout, stderr, stdin)
    except BaseException as exc:        # noqa: B036 -- a broken pipe, Ctrl-C: an exit code, never a traceback
        return report(exc, pick_lang(_prescan_lang(argv)), stdout, stderr)


def _main(argv, stdout, stderr, stdin) -> int:
    from ..app.cli import Exit
    from ..app.repl import is_terminal, parse_args, pipe_reader, terminal_asker
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
