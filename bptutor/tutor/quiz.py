"""Practice mode: bptutor sets a problem and walks the student backward
through its graph, asking for one gradient at a time.

A problem is a program whose every gate has a name (`q = x + y; f = q * z`),
so each question is "∂f/∂q = ?" and the answer checker can find the node.
Problems come from a few templates per level with small friendly values drawn
from a seeded random generator: the same seed gives the same quiz.

The logic only: app/quiz.py asks the questions and prints."""
from __future__ import annotations

import random
from dataclasses import dataclass

from ..core.records import Derivation
from ..errors import BptutorError

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


def generate(level: int = 1, seed: int | None = 0) -> Problem:
    """A problem for `level`, the same for the same seed (None: a random one):
    a template and small integer values, redrawn until the problem is friendly
    (see `friendly`)."""
    from ..lang.parse import parse
    from .program import compile

    if seed is None:
        seed = random.SystemRandom().randrange(10_000)

    rng = random.Random(f"bptutor-quiz-{level}-{seed}")
    entry = rng.choice(TEMPLATES[level])
    template, shapes = (entry, {}) if isinstance(entry, str) else entry
    names = list(parse(template).inputs)
    program = compile(template)
    for _ in range(100):
        values = {name: draw(rng, shapes.get(name, ())) for name in names}
        if friendly(program.derive(values)):
            break
    return Problem(template, values, level, seed)


def draw(rng: random.Random, shape: tuple):
    """A number, or nested lists of small integers of this shape (as a student types them)."""
    if not shape:
        return float(rng.choice(SMALL))
    if len(shape) == 1:
        return [float(rng.choice(ENTRIES)) for _ in range(shape[0])]
    return [draw(rng, shape[1:]) for _ in range(shape[0])]


def entries(x) -> list[float]:
    """Every entry of a number or an array, as floats."""
    if isinstance(x, (int, float)):
        return [float(x)]
    return [float(e) for e in getattr(x, "flat", [x])]


def friendly(d) -> bool:
    """No kink (a tie at max, relu at 0), no saturated sigmoid or tanh, no
    gradient that cancels to 0 or is too small to show at two decimals (only
    max and min route a zero on purpose), and small values."""
    if any(abs(e) > 60 for v in d.node_values for e in entries(v)):
        return False
    routers = {"max", "min"}
    for s in d.steps:
        if s.kind != "edge" or s.local is None:         # matrix gates record no elementwise local
            continue
        tiny = any(abs(e) < 0.05 for e in entries(s.local))
        if s.kink or (tiny and d.graph.nodes[s.node].op.name not in routers):
            return False
    if any(n.op.name in routers for n in d.graph.nodes):
        return any(e for i in d.graph.inputs.values() for e in entries(d.node_grads[i]))
    return all(abs(e) >= 0.05 for g in d.node_grads for e in entries(g))


def questions(d) -> list[int]:
    """The nodes to ask about, backward: every gate and input but the output and constants.
    Reverse graph order is a reverse topological order, so every consumer of a
    node has been asked about before the node itself."""
    nodes = d.graph.nodes
    return [i for i in range(len(nodes) - 1, -1, -1)
            if i != d.graph.output and nodes[i].op.name != "const"]


@dataclass(frozen=True)
class Quiz:
    """A problem ready to play: its derivation and the nodes to ask about."""
    problem: Problem
    derivation: Derivation
    questions: tuple[int, ...]


def start(problem: Problem) -> Quiz:
    from .program import derive
    d = derive(problem.source, problem.values)
    return Quiz(problem, d, tuple(questions(d)))


def steps_into(d, i: int) -> list:
    """The backward steps that make node i's gradient: each path, then their sum."""
    return [s for s in d.steps if (s.kind == "edge" and s.target == i) or (s.kind == "sum" and s.node == i)]


def hint_steps(d, i: int) -> list:
    """The edges out of node i: each gate it feeds, with the upstream gradient there."""
    return [s for s in steps_into(d, i) if s.kind == "edge"]


def judge(d, name: str, answer: str):
    """The Verdict on `answer` as the gradient of `name`, by the answer checker's
    rules (rounding accepted, mistakes diagnosed, formulas judged)."""
    from .answers import judge as check
    text = f"{name}={answer}"
    try:
        verdicts = check(d, text)
    except BptutorError as exc:
        raise exc.with_source(text)
    if len(verdicts) != 1:          # `0.5, y=2`: more than the one answer asked for
        raise BptutorError("quiz.one_answer", None, name=name)
    return verdicts[0]
