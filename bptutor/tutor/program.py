"""compile(source) -> Program, parsed once; Program.derive(values) -> Derivation
(frozen data, built here and only here); Program.step(values) -> (value,
gradients) for loops; Program.train(data) -> TrainLog (tutor/train.py);
derive() is the one-call form."""
from __future__ import annotations

import gc
from collections.abc import Mapping
from contextlib import contextmanager

from ..core.check import check_gradients, check_jacobian, check_tangents
from ..core.engine import backward, check_values, forward, local_jacobian, replay
from ..core.graph import Graph
from ..core.modes import cost_of, forward_pass, outputs_of, reverse_pass
from ..core.modes import jacobian as build_jacobian
from ..core.ops import CONSTANTS
from ..core.records import MODES, Derivation, Tape
from ..core.xp import ScalarNS, namespace
from ..errors import BptutorError, BptutorInternalError, BptutorSyntaxError, BptutorValueError
from ..lang.notation import value_rank
from ..lang.parse import parse, unreached
from ..lang.values import number, parse_values, shown


class Program:
    """A parsed program: derive it (narration data, numeric check) or step it
    (value and gradients only) at as many points as you like.

    The parse reads `e` and `pi` as the constants unless a value is given for
    them: a Program parses once, and again (once) only for a value named like
    a constant the program reads (see graph_for). `graph` is the parse with the
    constants; None when that parse failed in a way a value for `e` or `pi`
    may mend (`e*2` alone is a constant output): the error is then raised by
    derive() and step() when the values name no constant. Syntax errors are
    raised here."""

    def __init__(self, source: str):
        with _guarded(source):
            if not isinstance(source, str):
                raise BptutorValueError("input.not_text", None, what="source", type=type(source).__name__)
            self.source = source
            self._graphs = {}           # constant names read as inputs (or the values read) -> graph
            self._labels: set[str] = set()      # names the parses read as labels (s[y])
            self._error = None
            try:
                self.graph = self._graphs[frozenset()] = parse(source)
            except BptutorSyntaxError:
                raise
            except BptutorError as exc:
                self.graph, self._error = None, exc

    def derive(self, values=None, *, eps: float | None = None, wrt=None, check: bool = True,
               mode: str = "reverse", outputs=None, jacobian: bool = False,
               hand: int | None = None) -> Derivation:
        """Run forward and backward at `values`, check every gradient numerically
        (unless check=False): the Derivation renderers narrate. See derive()."""
        with _guarded(self.source):
            eps = _eps(eps)
            mode = _mode(mode)
            g, inputs, unused, names, xp = self._prepare(values, wrt)
            vals = forward(g, inputs, xp)
            outs = outputs_of(g, outputs, every_sink=jacobian)
            skipped = g.unreached if outs == (g.output,) else unreached(g, outs)
            if outs[-1] != g.output:
                import copy
                g = copy.copy(g)            # the same nodes, read up to another output
                g.output = outs[-1]
            scalar = len(outs) == 1 and not getattr(vals[outs[0]], "shape", ())
            tape = backward(g, vals, xp, names) if scalar else None
            # a Jacobian is built both ways (the same matrix): its cost compares the modes
            builds_jacobian = jacobian or not scalar
            passes = ()
            if mode != "reverse" or builds_jacobian:
                passes = tuple(forward_pass(g, vals, xp, name, outs) for name in names)
            rows = () if scalar else tuple(reverse_pass(g, vals, xp, out, names) for out in outs)
            kinks = set(tape.kinks if tape else ()).union(*(p.kinks for p in passes + rows))
            warnings = (*g.notes, *((("value.unused", {"names": ", ".join(unused)}),) if unused else ()))
            warnings += _lookalikes(g, unused)
            if skipped:
                warnings += (("graph.unreached", {"f": ", ".join(g.nodes[o].label for o in outs),
                                                  "statements": "; ".join(skipped)}),)
            checks = forward_checks = ()
            if check and scalar:
                checks, more = check_gradients(g, inputs, vals, tape.grads, names, eps, kinks, xp)
                warnings += more
                if passes:
                    tangents = {g.nodes[p.about].label: _zero_if_none(p.values[g.output]) for p in passes}
                    forward_checks = check_tangents(g, inputs, vals, tape.grads, tangents,
                                                    [c.name for c in checks], eps, xp)
            elif check and kinks:              # a Jacobian: no gradient check to say it
                warnings += tuple((key, {}) for key in sorted({g.nodes[i].op.convention for i in kinks}))
            found = None
            if builds_jacobian:
                by_reverse = {p.about: p.values for p in rows} or {g.output: tape.grads}
                found = build_jacobian(g, vals, outs, names, {g.nodes[p.about].label: p for p in passes},
                                       by_reverse)
                if check:
                    entry_checks, sampled = check_jacobian(g, inputs, vals, found.blocks, by_reverse, names, eps, xp)
                    found = found._replace(checks=entry_checks, sampled=sampled)
            cost = {"reverse": cost_of(rows) if rows else cost_of((), tape, g, vals, xp)}
            if passes:
                cost["forward"] = cost_of(passes)
            d = Derivation(self.source, g, inputs, vals, tape, checks=checks, warnings=warnings, eps=eps,
                           wrt=tuple(names), sampled=check and scalar and len(checks) < len(names),
                           arrays=xp is not ScalarNS, mode=mode, outputs=outs, forward=passes, reverse=rows,
                           forward_checks=forward_checks, jacobian=found, cost=cost,
                           local_jacobians=_local_jacobians(g, vals, xp, tape) if tape and xp is not ScalarNS else None)
            return d if hand is None or not scalar else _by_hand(d, _digits(hand), xp)

    def step(self, values, *, wrt=None) -> tuple:
        """(value, {input name: gradient}) at `values`: forward and backward
        only, no narration and no numeric check (for training loops, quizzes,
        benchmarks). `wrt` limits the gradients, as in derive()."""
        with _guarded(self.source):
            g, inputs, _unused, names, xp = self._prepare(values, wrt)
            vals, tape = _evaluate(g, inputs, names, xp)
            grads = tape.grads
            return vals[g.output], {name: _zero_if_none(grads[g.inputs[name]]) for name in names}

    def train(self, data, **options):
        """Gradient descent on this program's output (the loss of one sample)
        over `data`, a step per sample or batch through step() -> TrainLog.
        The options (values, lr, epochs, batch, weight_decay, schedule, ...)
        are those of bptutor.tutor.train.train."""
        from .train import train
        return train(self, data, **options)

    def _prepare(self, values, wrt) -> tuple:
        """The graph for these values, the inputs' values (defaults overridden),
        the names given but unused, the inputs whose gradients are wanted and
        the namespace to evaluate with."""
        given = _given(values)
        g = self.graph_for(given)
        inputs = {k: number(k, v) for k, v in {**g.defaults, **given}.items()}
        try:
            unused = [name for name in check_values(g, inputs) if name not in g.labels]
        except BptutorValueError as exc:
            raise _one_name(exc, g, inputs) from None
        inputs = {name: inputs[name] for name in g.inputs}
        names = _wanted(g, wrt)
        return g, inputs, unused, names, namespace(inputs.values(), g.tensor)

    def graph_for(self, given) -> Graph:
        """The graph that the values `given` run on: a value named `e` or `pi`
        makes it an input where the program read the constant (T: a power, not
        W^T's transpose). A program whose parse reads values — `·` between
        operands of unknown shape (a product of numbers, the matrix product of
        arrays), a label s[y] — parses again for them, once per different
        shapes and labels."""
        if self.graph is not None and self.graph.values_matter:
            return self._graph_for_values(given)
        constants = CONSTANTS.keys() if self.graph is None else self.graph.folded_constants
        overridden = frozenset(n for n in given if n in constants)
        g = self._graphs.get(overridden)
        if g is None:
            if not overridden:
                raise self._error
            g = self._graphs[overridden] = parse(self.source, known_inputs=overridden)
        return g


    def _graph_for_values(self, given: dict) -> Graph:
        def key():
            return (tuple(sorted((name, value_rank(v)) for name, v in given.items())),
                    tuple(sorted((name, repr(given.get(name))) for name in self._labels)))
        g = self._graphs.get(key())
        if g is None:
            g = parse(self.source, known_inputs=given)
            self._labels |= g.labels
            self._graphs[key()] = g
        return g


SMALL_JACOBIAN = 16     # entries of a tensor gate's local Jacobian the narration prints (4×4)


def _local_jacobians(g: Graph, vals: list, xp, tape: Tape) -> dict:
    """(node, k) -> the local Jacobian of each tensor gate's edge backward took,
    for the narration to print as the notes print a local gradient: built in
    full up to SMALL_JACOBIAN entries; a gate giving a number has one row (its
    gradient, one VJP) at any size; larger ones are only applied."""
    import numpy as np
    found = {}
    for i, k, j, *_ in tape.edges:
        node = g.nodes[i]
        if not node.op.vjp or node.op.matmul or (i, k) in found:     # a matrix product's is xᵀ, said as such
            continue
        if np.size(vals[i]) == 1:
            with xp.strict():
                ones = np.ones(np.shape(vals[i])) if np.ndim(vals[i]) else 1.0      # shaped (1,) after sum(A, 1)
                _none, row = xp.vjp(node.op, k, node.c, ones, vals[i], [vals[a] for a in node.args])
            found[i, k] = np.reshape(row, (1, -1)) + 0.0        # + 0.0: no -0 (a copy, never a view)
        elif np.size(vals[i]) * np.size(vals[j]) <= SMALL_JACOBIAN:
            found[i, k] = local_jacobian(g, vals, xp, i, k) + 0.0
    return found


def _by_hand(d: Derivation, digits: int, xp) -> Derivation:
    """The derivation as the notes work it by hand: every value, local gradient
    and product rounded to `digits` decimals before it is used (the engine's
    replay), the exact derivation kept beside it (answers are judged and the
    numeric check is made on the exact one). Arrays, and rounded values that
    leave a function's domain, keep the exact numbers, and say so."""
    replayed = replay(d.graph, d.node_values, xp, rounded=digits)
    if replayed is None:
        key = "hand.unavailable_arrays" if xp is not ScalarNS else "hand.unavailable_domain"
        return d.replace(warnings=d.warnings + ((key, {"digits": digits}),))
    vals, grads, edges = replayed
    hand = d.replace(node_values=vals, tape=Tape(grads, edges, d.tape.kinks), hand=digits, exact=d)
    drift = _drift(hand, d, digits)
    return hand.replace(warnings=d.warnings + (drift,)) if drift else hand


def _drift(hand: Derivation, exact: Derivation, digits: int):
    """One note naming the gradients that rounding by hand moved away from the
    exact ones at the digits shown (the notes' 2 × 0.20 = 0.40 for 0.3932)."""
    f = hand.graph.nodes[hand.graph.output].label
    moved = []
    for name, by_hand in hand.gradients.items():
        exact_value = exact.gradients[name]
        if f"{by_hand:.{digits}f}" != f"{exact_value:.{digits}f}":
            # the exact value at two more decimals: enough to see why it rounds the other way
            moved.append(f"∂{f}/∂{name} = {by_hand:.{digits}f} ({exact_value:.{digits + 2}f})")
    return ("hand.drift", {"digits": digits, "gradients": ", ".join(moved)}) if moved else None


def compile(source: str) -> Program:      # noqa: A001 -- bptutor.compile, as re.compile
    """Parse `source` once; see Program."""
    return Program(source)


def derive(source: str, values=None, *, eps: float | None = None, wrt=None, check: bool = True,
           mode: str = "reverse", outputs=None, jacobian: bool = False, hand: int | None = None) -> Derivation:
    """Parse `source`, run forward and backward, check every gradient numerically.

    `values` is a dict (name -> number, or nested lists / a numpy array for a
    vector or matrix) or a string as typed after --vals; values assigned in the
    program are defaults that `values` overrides. Gradients of array inputs are
    numpy arrays shaped like them.
    `wrt` (names, or a comma-separated string) limits the inputs reported;
    `eps` forces the central-difference step (by default each check chooses
    its own, see core/difference.py); check=False skips the numeric check.
    `mode` is the derivation narrated: "reverse" (backpropagation), "forward"
    (tangents from each input of `wrt`, one pass per input) or "both".
    `outputs` (statement names, or a comma-separated string) picks the outputs;
    several, or one that is a vector, make the derivation a Jacobian (as does
    jacobian=True, whose default outputs are every statement nothing reads).
    `hand=k` works backward as the notes do by hand, every value rounded to k
    decimals before it is used (seed 000: 2 × 0.20 = 0.40); the exact
    derivation is then `.exact`.
    Raises BptutorError (with a message key and a source span) on bad input."""
    return Program(source).derive(values, eps=eps, wrt=wrt, check=check, mode=mode, outputs=outputs,
                                  jacobian=jacobian, hand=hand)


@contextmanager
def _guarded(source):
    """Every failure as a BptutorError carrying the source: a bug becomes a
    BptutorInternalError (the cause chained), never a user error. The cyclic GC
    is off meanwhile: the graph is acyclic and append-only, so it has nothing
    to find, and at 10^5 nodes its passes would dominate the run."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    except BptutorError as exc:
        raise exc.with_source(source) if isinstance(source, str) else exc from None
    except RecursionError:
        raise BptutorError("input.too_deep") from None
    except MemoryError:
        raise BptutorError("input.out_of_memory") from None
    except Exception as exc:
        raise BptutorInternalError.wrap(exc) from exc
    finally:
        if gc_was_on:
            gc.enable()


def _lookalikes(g, given) -> tuple:
    """A warning for names written with letters that look Latin but are not
    (Cyrillic х is not x: `--vals x=1` gives it no value)."""
    if g.source.isascii() and all(name.isascii() for name in given):
        return ()
    from ..lang.text import lookalike_names
    names = dict.fromkeys([*g.inputs, *(n.name for n in g.nodes if n.name), *given])
    found = lookalike_names(names)
    if not found:
        return ()
    return (("value.lookalike", {"names": ", ".join(f"{name} ≠ {latin}" for name, latin in found)}),)


def _evaluate(g, inputs: dict, names: list, xp) -> tuple:
    """Forward and backward; with arrays, only the edges towards `names`."""
    vals = forward(g, inputs, xp)
    if xp is not ScalarNS:
        _scalar_output(g, vals)
    return vals, backward(g, vals, xp, names)


def _given(values) -> dict:
    """The caller's values as a dict: a --vals string is parsed, names must be text."""
    if isinstance(values, str):
        values = parse_values(values)
    elif values is not None and not isinstance(values, Mapping):
        raise BptutorValueError("input.not_text", None, what="values", type=type(values).__name__)
    given = dict(values or {})
    bad = [k for k in given if not isinstance(k, str)]
    if bad:
        raise BptutorValueError("value.bad_name", None, name=repr(bad[0]))
    return given


def _wanted(g, wrt) -> list[str]:
    """The inputs reported: all, in order of appearance, or those `wrt` names."""
    names = list(g.inputs)
    if not wrt:
        return names
    if not isinstance(wrt, (str, list, tuple)) or not all(isinstance(w, str) for w in wrt):
        raise BptutorValueError("value.unknown_wrt", None, names=shown(wrt), inputs=", ".join(names))
    wrt = [w.strip() for w in (wrt.split(",") if isinstance(wrt, str) else wrt) if w.strip()]
    unknown = [w for w in wrt if w not in g.inputs]
    if unknown:
        raise BptutorValueError("value.unknown_wrt", None, names=", ".join(unknown), inputs=", ".join(names))
    return wrt


def _mode(mode) -> str:
    if mode not in MODES:
        raise BptutorValueError("modes.bad_mode", None, given=shown(mode), modes=", ".join(MODES))
    return mode


def _zero_if_none(grad):
    return 0.0 if grad is None else grad


def _one_name(exc: BptutorValueError, g, inputs: dict) -> BptutorValueError:
    """No value for w0x0 while w0 and x0 have values: say it is one name."""
    from ..lang.notation import split_name
    known = set(inputs) | set(g.inputs)
    for name in g.inputs:
        parts = name not in inputs and len(name) <= 40 and split_name(name, known - {name})
        if parts:
            return BptutorValueError("value.missing_one_name", None, name=name, product="*".join(parts),
                                     spaced=" ".join(parts))
    return exc


def _scalar_output(g, vals) -> None:
    """Backpropagation starts from one number (a loss): an array output is an error."""
    shape = getattr(vals[g.output], "shape", ())
    if shape:
        node = g.nodes[g.output]
        raise BptutorValueError("tensor.output_not_scalar", (node.start, node.end), f=node.label,
                                shape=str(tuple(int(n) for n in shape)))


def _digits(hand) -> int:
    """The decimals of hand rounding: a whole number from 0 to 15."""
    if isinstance(hand, bool) or not isinstance(hand, int) or not 0 <= hand <= 15:
        raise BptutorValueError("value.bad_hand", None, value=shown(hand))
    return hand


def _eps(eps) -> float | None:
    """The central-difference step forced (a small positive number), or None:
    each check chooses its own (core/difference.py)."""
    if eps is None:
        return None
    try:
        h = float(eps)
    except (TypeError, ValueError, OverflowError):
        h = float("nan")
    if isinstance(eps, bool) or not (0 < h < 1):
        raise BptutorValueError("value.bad_eps", None, value=shown(eps))
    return h
