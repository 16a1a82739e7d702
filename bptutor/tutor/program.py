"""compile(source) -> Program, parsed once; Program.derive(values) -> Derivation
(pure data); derive() is the one-call form."""
from __future__ import annotations

import gc
from collections.abc import Mapping

from ..core.engine import backward, check_values, forward, needed_for
from ..core.xp import ScalarNS, namespace
from ..errors import BptutorError, BptutorInternalError, BptutorValueError
from ..core.check import central, choose, kink_inputs, verdict
from ..core.records import Check, Derivation
from ..lang.parse import parse
from ..lang.values import number, parse_values, shown


class Program:
    """A parsed program: derive it (narration data, numeric check) or step it
    (value and gradients only) at as many points as you like."""

    def __init__(self, source: str):
        if not isinstance(source, str):
            raise BptutorValueError("input.not_text", None, what="source", type=type(source).__name__)
        self.source = source

    def derive(self, values=None, *, eps: float = 1e-5, wrt=None, check: bool = True) -> Derivation:
        return derive(self.source, values, eps=eps, wrt=wrt, check=check)

    def step(self, values) -> tuple:
        """(value, gradients by input name), without narration or numeric check."""
        d = self.derive(values, check=False)
        return d.value, d.gradients


def compile(source: str) -> Program:      # noqa: A001 -- bptutor.compile, as re.compile
    """Parse `source` once; see Program."""
    return Program(source)


def derive(source: str, values=None, *, eps: float = 1e-5, wrt=None, check: bool = True) -> Derivation:
    """Parse `source`, run forward and backward, check every gradient numerically.

    `values` is a dict (name -> number, or nested lists / a numpy array for a
    vector or matrix) or a string as typed after --vals; values assigned in the
    program are defaults that `values` overrides. With arrays the output must
    still be a number, and gradients are numpy arrays shaped like their inputs.
    Raises BptutorError (with a message key and a source span) on bad input."""
    # The graph is acyclic and append-only: the cyclic GC has nothing to find in
    # it, and at 10^5 nodes its passes would dominate the run.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _derive(source, values, eps, wrt, check)
    except BptutorError as exc:
        raise exc.with_source(source) if isinstance(source, str) else exc from None
    except RecursionError:
        raise BptutorError("input.too_deep") from None
    except MemoryError:
        raise BptutorError("input.out_of_memory") from None
    except Exception as exc:
        # A bug, not the user's fault: still a BptutorError for callers, with the cause chained.
        raise BptutorInternalError.wrap(exc) from exc
    finally:
        if gc_was_on:
            gc.enable()


def _derive(source, values, eps, wrt, check) -> Derivation:
    if not isinstance(source, str):
        raise BptutorValueError("input.not_text", None, what="source", type=type(source).__name__)
    eps = _eps(eps)
    if isinstance(values, str):
        values = parse_values(values)
    elif values is not None and not isinstance(values, Mapping):
        raise BptutorValueError("input.not_text", None, what="values", type=type(values).__name__)
    given = dict(values or {})
    bad = [k for k in given if not isinstance(k, str)]
    if bad:
        raise BptutorValueError("value.bad_name", None, name=repr(bad[0]))
    g = parse(source, known_inputs=frozenset(given))
    inputs = {**g.defaults, **given}
    inputs = {k: number(k, v) for k, v in inputs.items()}
    unused = check_values(g, inputs)
    inputs = {name: inputs[name] for name in g.inputs}
    warnings = [("value.unused", {"names": ", ".join(unused)})] if unused else []
    names = list(g.inputs)
    if wrt:
        if not isinstance(wrt, (str, list, tuple)) or not all(isinstance(w, str) for w in wrt):
            raise BptutorValueError("value.unknown_wrt", None, names=shown(wrt), inputs=", ".join(names))
        wrt = [w.strip() for w in (wrt.split(",") if isinstance(wrt, str) else wrt) if w.strip()]
        unknown = [w for w in wrt if w not in g.inputs]
        if unknown:
            raise BptutorValueError("value.unknown_wrt", None, names=", ".join(unknown),
                                    inputs=", ".join(names))
        names = wrt
    xp = namespace(inputs.values(), g.tensor)
    if xp is ScalarNS:
        return _run(g, xp, source, inputs, warnings, eps, names, check)
    with xp.strict():
        return _run(g, xp, source, inputs, warnings, eps, names, check)


def _run(g, xp, source, inputs, warnings, eps, names, check) -> Derivation:
    vals = forward(g, inputs, xp)
    if xp is not ScalarNS:
        _scalar_output(g, vals)
    # Arrays: no edges into constants or into inputs left out by --wrt (as PyTorch
    # skips tensors without requires_grad); the scalar path keeps its lean loop.
    wanted = None if xp is ScalarNS else needed_for(g, names)
    grads, edges, kinks = backward(g, vals, xp, wanted)
    d = Derivation(source, g, inputs, vals, grads, edges, kinks, warnings=warnings, eps=eps, wrt=names,
                   arrays=xp is not ScalarNS)
    if check:
        _check(d, xp)
    return d


def _scalar_output(g, vals) -> None:
    """Backpropagation starts from one number (a loss): an array output is an error."""
    shape = getattr(vals[g.output], "shape", ())
    if shape:
        from ..render.numbers import shape_tuple
        node = g.nodes[g.output]
        raise BptutorValueError("tensor.output_not_scalar", (node.start, node.end), f=node.label,
                                shape=shape_tuple(shape))


def _eps(eps) -> float:
    """The central-difference step: a small positive number."""
    try:
        h = float(eps)
    except (TypeError, ValueError, OverflowError):
        h = float("nan")
    if isinstance(eps, bool) or not (0 < h < 1):
        raise BptutorValueError("value.bad_eps", None, value=shown(eps))
    return h


def _check(d: Derivation, xp) -> None:
    g = d.graph
    kinks = d.kinks
    on_kink = kink_inputs(g, kinks)
    picked, d.sampled = choose(d.wrt, len(g.nodes))
    if d.sampled:
        d.warnings.append(("check.sampled", {"checked": len(picked), "total": len(d.wrt)}))
    for name in picked:
        if xp is not ScalarNS:
            d.checks.append(xp.check(d, name, name in on_kink))
            continue
        numeric = central(g, d.values, d.node_values, name, d.eps, xp)
        analytic = d.grad(g.inputs[name])
        err, v = verdict(analytic, numeric, name in on_kink)
        d.checks.append(Check(name, d.values[name], analytic, numeric, err, v))
    if kinks:
        conventions = sorted({g.nodes[i].op.convention for i in kinks})
        for key in conventions:
            d.warnings.append((key, {}))

