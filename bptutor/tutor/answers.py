"""Homework answers: is the student's ∂f/∂name right, and if not, which
mistake gives their number.

Tolerance follows what the student wrote: its significant digits. `0.40`
claims two decimals: it is right when it is the exact value rounded, or what
rounding every step to two decimals gives (the notes' 2 × 0.20 = 0.40 for
0.3932: "accepted, rounding") — that value, not anything between the two.
Integers, fractions, formulas and zero however written (`0.0e99`) claim the
exact value (1e-6 relative).

Diagnoses: diagnose.py lists what each catalogued mistake would give (from
the engine's numbers); every mistake whose number the answer is gets named
("either … or …" when several do); a mistake not computed is never named.
"""
from __future__ import annotations

import itertools
import re
from typing import NamedTuple

from ..core.engine import forward
from ..core.records import Derivation, Verdict, plain
from ..core.xp import namespace
from ..errors import BptutorError, BptutorInternalError, BptutorValueError
from ..lang.parse import Const, parse_assignments
from ..lang.text import fold
from .diagnose import DIAGNOSE_MAX_NODES, Paths, Wrong, array_wrongs, decimals, is_array, wrong_versions
from .program import Program, compile

REL_TOL = 1e-6              # exact answers and formulas
ABS_TOL = 1e-12
FORMULA_POINTS = 5          # random points around the given one a formula must also match
FORMULA_SPREAD = 0.1        # how far around: ±10% of each value (at least ±0.1)
CLOSE_REL = 1e-2            # a wrong number this close to the value is a rounding mistake

_LITERAL = re.compile(r"\s*[+-]?\s*(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*")


class Answer(NamedTuple):
    name: str
    given: str              # the value as written (folded: full-width digits are ASCII)
    span: tuple             # of the whole `name=value` pair in the text
    value: object = None    # the number, when the answer is a constant
    formula: int | None = None   # else its node in the answers' graph
    name_span: tuple = (0, 0)


# ---- reading answers ---------------------------------------------------------------
def parse_answers(text: str, names=()) -> list[tuple[str, str, tuple]]:
    """`x0=0.40, w0=-0.20` -> [(name, given text, span)], parsed by the grammar;
    `names`: the printed names that are not identifiers (`w0*x0`, `c₁`) it may use."""
    return [(a.name, a.given, a.span) for a in read_answers(text, names)[1]]


def read_answers(text: str, names=()):
    """The answers' graph (formulas are nodes in it) and one Answer per pair.
    A pair may name any of `names` (the labels the narration prints), also
    those the grammar does not read as a name: `w0*x0=0.20`, `c₁=1`, `+₂=0.2`."""
    typed, spelled = _typed_names(fold(text), names)
    try:
        graph, pairs = parse_assignments(typed)
    except BptutorError as exc:         # the caret goes under what the student typed
        exc.source = text
        raise
    if not pairs:
        raise BptutorValueError("answers.empty", (0, len(text))).with_source(text)
    answers, seen = [], set()
    for name, value, start, end in pairs:
        name = spelled.get(start, name)
        name_span = (start, start + len(name))
        if name in seen:
            raise BptutorValueError("answers.duplicate", name_span, name=name).with_source(text)
        seen.add(name)
        given = graph.source[value.start:value.end]
        if isinstance(value, Const):
            answers.append(Answer(name, given, (start, end), value=value.value, name_span=name_span))
        else:
            answers.append(Answer(name, given, (start, end), formula=value.index, name_span=name_span))
    return graph, answers


_PAIR_START = ",; \t\n"      # what may come before the name of a pair


def _typed_names(text: str, names) -> tuple[str, dict]:
    """`text` with every printed name that is not an identifier, where it
    names a pair (`w0*x0 = 0.20`), replaced by underscores of its length, so
    the grammar reads a name there and every position stays; and the names so
    replaced by their position."""
    wanted = {name for name in names if not name.isidentifier()}
    if not wanted:
        return text, {}
    chars = list(text)
    spelled = {}
    before = 0                          # where the text before this `=` begins
    for m in re.finditer("=", text):
        end = len(text[:m.start()].rstrip())
        # the pair's name starts after a separator: the longest candidate first
        starts = [before] + [k + 1 for k in range(before, end) if text[k] in _PAIR_START]
        for start in starts:
            if text[start:end] in wanted:
                chars[start:end] = "_" * (end - start)
                spelled[start] = text[start:end]
                break
        before = m.end()
    return "".join(chars), spelled


def answers_text(answers: dict) -> str:
    """A dict name -> number / formula string (from Python or a grading file) as answer text.
    Numbers keep the text they were written with when they carry it (see grade.Written)."""
    return "\n".join(f"{name}={_written(value)}" for name, value in answers.items())


def _written(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise BptutorValueError("answers.not_a_value", None, value=repr(value))
    text = getattr(value, "text", None)
    if text is not None:
        return text
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return "[" + ", ".join(_written(v) for v in items) + "]"
    raise BptutorValueError("answers.not_a_value", None, value=repr(value))


def precision(given: str) -> float | None:
    """The unit of the last significant digit written: 0.01 for `0.40`, 0.001
    for `3.93e-1`; None when the answer claims the exact value: an integer, a
    fraction, a formula, and zero however written (`0.0e99` has no significant
    digit: it is exactly 0, not 0 give or take 5e97). For arrays, the coarsest
    unit of any entry."""
    if given.lstrip().startswith("["):
        units = [precision(m.group()) for m in re.finditer(r"[\d.]+(?:[eE][+-]?\d+)?", given)]
        units = [u for u in units if u is not None]
        return max(units) if units else None
    m = _LITERAL.fullmatch(given)
    if not m or not m.group(2):          # no decimals written: the exact value is claimed
        return None
    if not (m.group(1) + m.group(2)).strip("0"):
        return None                      # zero
    return 10.0 ** (-len(m.group(2)) + int(m.group(3) or 0))


# ---- judging ---------------------------------------------------------------------
def judge(d: Derivation, answers) -> list[Verdict]:
    """Judge the answers (text as after --answer, or a dict name -> number or
    formula string) -> their verdicts, in order; `d` is left as it was."""
    if not d.scalar:            # a Jacobian: no one gradient to answer about
        outputs = ", ".join(f"{d.graph.nodes[o].label}" for o in d.outputs)
        raise BptutorValueError("modes.answers_one_output", None, outputs=outputs)
    text = answers if isinstance(answers, str) else answers_text(answers)
    d = d.exact or d            # worked by hand (--hand): judged against the exact gradients
    graph, parsed = read_answers(text, d.names)
    paths = Paths(d)
    program = None              # compiled once, for the first formula (judged around the point)
    verdicts = []
    for a in parsed:
        x = d.index_of(a.name)
        if x is None:
            raise BptutorValueError("answers.unknown_target", a.name_span, name=a.name,
                                    names=answerable(d)).with_source(text)
        if a.formula is None:
            verdicts.append(_judge_number(d, paths, x, a))
        else:
            if program is None:
                program = compile(d.source)
            verdicts.append(_judge_formula(d, paths, x, a, graph, text, program))
    return verdicts


MAX_LISTED = 40         # names an error message lists


def answerable(d: Derivation, formula: bool = False) -> str:
    """The names an answer may ask about (a formula may use: those that are
    identifiers), as an error message lists them: every name the narration
    prints (inputs, the program's names, `w0*x0`, `+₂`, `f`) in graph order,
    elided past MAX_LISTED."""
    names = formula_names(d) if formula else d.names
    listed = list(itertools.islice(names, MAX_LISTED))
    return ", ".join(listed) + (", …" if len(names) > MAX_LISTED else "")


def _judge_number(d: Derivation, paths: Paths, x: int, a: Answer) -> Verdict:
    expected = d.grad(x)
    given = a.value
    unit = precision(a.given)
    base = dict(name=a.name, given=a.given, given_value=given, expected=expected, target=x)
    if is_array(given) or is_array(expected):
        return _judge_array(d, paths, x, a, unit, base)
    explain = paths.explaining_step(x)
    low, high = paths.kink_range(x, expected)
    on_kink = high > low
    hand = None
    if unit is not None and not on_kink:
        grads = paths.hand_rounded(unit)
        hand = None if grads is None else grads[x]
    if on_kink:
        if low - _tol(low, unit) <= given <= high + _tol(high, unit):
            return Verdict(**base, correct=True, note_key="answers.kink", steps=(explain,),
                           detail={"low": low, "high": high, "pytorch": expected})
    elif _close(given, expected, unit):
        return Verdict(**base, correct=True, steps=(explain,))
    elif hand is not None and _close(given, hand, unit):
        # what rounding every step by hand really gives, at the precision written
        return Verdict(**base, correct=True, note_key="answers.accepted_rounding", steps=(explain,),
                       detail={"decimals": decimals(unit), "hand": hand})
    drift = 0.0 if hand is None or abs(hand - expected) > unit else hand - expected
    matches = _diagnose(given, paths.wrong_versions(x, expected), unit, drift)
    if matches:
        return _wrong_verdict(base, matches, explain)
    if _is_rounding_mistake(given, expected, unit, hand):
        return Verdict(**base, correct=False, diagnosis="rounding", steps=(explain,),
                       detail={"decimals": decimals(unit) if unit else None})
    return Verdict(**base, correct=False, steps=(explain,))


def _wrong_verdict(base: dict, matches: list[Wrong], explain: int) -> Verdict:
    """The mistake named; when several give the same number, all of them in
    `either` (the diagnosis then is their kind when they share one: the sign
    lost at one of three gates)."""
    steps = tuple(dict.fromkeys(s for s in [w.step for w in matches] + [explain] if s is not None))
    first = matches[0]
    codes = {w.code for w in matches}
    either = tuple((w.code, w.node, dict(w.detail) or None) for w in matches) if len(matches) > 1 else ()
    return Verdict(**base, correct=False, diagnosis=first.code if len(codes) == 1 else None,
                   note_key="answers.either" if either else None, node=first.node, steps=steps,
                   detail=dict(first.detail) or None, either=either)


def _diagnose(given, wrongs: list[Wrong], unit, drift: float = 0.0) -> list[Wrong]:
    """Every catalogued mistake whose number the answer is at the precision
    written, nearest node first, each once; also as rounding every step by
    hand shifts it, when that shift (`drift`, from the engine's replay) is
    within the last digit written. The sign flipped "somewhere" only when no
    gate where it flips is among them."""
    def fits(w):
        return _close(given, w.value, unit) or (drift and _close(given, w.value + drift, unit))
    matching = list({w.key: w for w in reversed(wrongs) if fits(w)}.values())[::-1]
    located = [w for w in matching if w.node is not None]
    return located or matching


def _is_rounding_mistake(given, expected, unit, hand) -> bool:
    """Wrong, but within one more unit of the last digit of the exact or the
    hand-rounded value, or 1% of the value."""
    if unit is not None and any(t is not None and abs(given - t) <= 1.5 * unit for t in (expected, hand)):
        return True
    return abs(given - expected) <= CLOSE_REL * abs(expected)


def _tol(target, unit) -> float:
    half = 0.5 * unit * (1 + 1e-9) if unit is not None else 0.0
    return max(half, REL_TOL * abs(target)) + ABS_TOL


def _close(given, target, unit=None) -> bool:
    """Right at the precision written, or at 1e-6 relative."""
    diff = abs(given - target)
    return diff <= _tol(target, unit) or diff <= REL_TOL * abs(given)


def _shape(v) -> tuple:
    return tuple(getattr(v, "shape", ()))


# ---- formulas ---------------------------------------------------------------------
def _judge_formula(d: Derivation, paths: Paths, x: int, a: Answer, graph, text: str,
                   program: Program) -> Verdict:
    """Right when it equals the true gradient at the point and at random points
    around it (same side of every kink). The formula may use the problem's
    inputs and named intermediates."""
    known = formula_names(d)
    for name, i in graph.inputs.items():
        if name not in known:
            node = graph.nodes[i]
            raise BptutorValueError("answers.unknown_name", (node.start, node.end), name=name,
                                    names=answerable(d, formula=True)).with_source(text)
    expected = d.grad(x)
    base = dict(name=a.name, given=a.given, expected=expected, target=x, formula=True)
    explain = paths.explaining_step(x)
    value = _evaluate(graph, a.formula, d)
    if value is None:
        return Verdict(**base, given_value=None, correct=False, note_key="answers.formula_undefined",
                       steps=(explain,))
    if _shape(value) != _shape(expected):
        return Verdict(**base, given_value=value, correct=False, note_key="answers.shape", steps=(explain,),
                       detail={"given_shape": list(_shape(value)), "shape": list(_shape(expected))})
    low, high = (0.0, 0.0) if is_array(expected) else paths.kink_range(x, expected)
    if high > low:          # on a kink: the point alone decides, any subgradient counts
        ok = low - _tol(low, None) <= value <= high + _tol(high, None)
        return Verdict(**base, given_value=value, correct=ok, note_key="answers.kink", steps=(explain,),
                       detail={"low": low, "high": high, "pytorch": expected})
    points = [d] + around(d, program)
    values = [value] + [_evaluate(graph, a.formula, p) for p in points[1:]]
    right = all(v is not None and _all_close(v, p.grad(x)) for v, p in zip(values, points))
    if right:
        return Verdict(**base, given_value=value, correct=True, steps=(explain,),
                       detail={"points": len(points) - 1})
    matches = []
    if len(d.graph.nodes) <= DIAGNOSE_MAX_NODES and all(v is not None for v in values):
        matches = _formula_diagnosis(points, values, x)
    if matches:
        return _wrong_verdict({**base, "given_value": value}, matches, explain)
    return Verdict(**base, given_value=value, correct=False, steps=(explain,))


def _formula_diagnosis(points: list[Derivation], values: list, x: int) -> list[Wrong]:
    """The mistakes whose wrong value the formula equals at every point."""
    common, first = None, None
    for p, v in zip(points, values):
        wrongs = [w for w in wrong_versions(Paths(p), x) if _all_close(v, w.value)]
        keys = {w.key for w in wrongs}
        common = keys if common is None else common & keys
        if first is None:
            first = wrongs
    matching = list({w.key: w for w in reversed(first or []) if w.key in (common or ())}.values())[::-1]
    located = [w for w in matching if w.node is not None]
    return located or matching


def _evaluate(graph, index: int, d: Derivation):
    """A formula's value with the problem's inputs and named intermediates; None where undefined."""
    names = formula_names(d)
    env = {name: d.node_values[names[name]] for name in graph.inputs}
    try:
        return forward(graph, env, namespace(env.values(), graph.tensor))[index]
    except BptutorError:
        return None


def formula_names(d: Derivation) -> dict[str, int]:
    """The names a formula may use -> their nodes: the names that are
    identifiers (inputs, the program's names as at its end, `f`)."""
    return {name: i for name, i in d.names.items() if name.isidentifier()}


def _all_close(given, target) -> bool:
    if is_array(given) or is_array(target):
        import numpy as np
        g, t = np.asarray(given, float), np.asarray(target, float)
        return g.shape == t.shape and _array_close(g, t, None)
    return _close(given, target)


def around(d: Derivation, program: Program, count: int = FORMULA_POINTS, seed: int = 0) -> list[Derivation]:
    """The problem (`program`, compiled from d.source) re-derived at random points
    near the given one, skipping points where it is undefined or where a
    relu/abs/max would switch sides."""
    import random
    rng = random.Random(seed)
    side = kink_sides(d)
    out = []
    for _ in range(count * 6):
        if len(out) == count:
            break
        values = {name: _jitter(v, rng) for name, v in d.values.items()}
        try:
            p = program.derive(values, check=False, wrt=d.wrt)
        except BptutorInternalError:
            raise
        except BptutorError:            # undefined at this point (log of a negative...)
            continue
        if kink_sides(p) == side:
            out.append(p)
    return out


def _jitter(v, rng):
    if is_array(v):
        import numpy as np
        noise = np.array([rng.uniform(-1, 1) for _ in range(v.size)]).reshape(v.shape)
        return v + FORMULA_SPREAD * np.maximum(1.0, np.abs(v)) * noise
    return v + FORMULA_SPREAD * max(1.0, abs(v)) * rng.uniform(-1, 1)


def kink_sides(d: Derivation) -> list:
    """The local gradients of every relu/abs/max/min: which side of its kink each is on."""
    nodes = d.graph.nodes
    return [plain(s.local) for s in d.steps if s.kind == "edge" and nodes[s.node].op.kink is not None]


# ---- arrays ------------------------------------------------------------------------
def _judge_array(d: Derivation, paths: Paths, x: int, a: Answer, unit, base: dict) -> Verdict:
    import numpy as np
    given = np.asarray(a.value, dtype=float)
    expected = np.asarray(d.grad(x), dtype=float)
    explain = paths.explaining_step(x)
    if given.shape != expected.shape:
        wrong = next((w for w in array_wrongs(paths, x, expected) if w.value.shape == given.shape
                      and _array_close(given, w.value, unit)), None)
        if wrong is not None:
            return _wrong_verdict(base, [wrong], explain)
        return Verdict(**base, correct=False, note_key="answers.shape", steps=(explain,),
                       detail={"given_shape": list(given.shape), "shape": list(expected.shape)})
    if _array_close(given, expected, unit):
        return Verdict(**base, correct=True, steps=(explain,))
    for w in array_wrongs(paths, x, expected):
        if w.value.shape == given.shape and _array_close(given, w.value, unit):
            return _wrong_verdict(base, [w], explain)
    return Verdict(**base, correct=False, steps=(explain,))


def _array_close(given, target, unit) -> bool:
    import numpy as np
    half = 0.5 * unit * (1 + 1e-9) if unit is not None else 0.0
    tol = np.maximum(half, REL_TOL * np.abs(target)) + ABS_TOL
    return bool(np.all(np.abs(given - target) <= tol))
