"""derive(): source text and values in, a Derivation (pure data) out."""
from __future__ import annotations

import gc

from .engine import backward, check_values, forward, namespace
from .errors import BptutorError, BptutorValueError
from .numcheck import central, choose, kink_inputs, verdict
from .records import Check, Derivation
from .syntax import parse, parse_values


def derive(source: str, values=None, *, eps: float = 1e-5, wrt=None, check: bool = True) -> Derivation:
    """Parse `source`, run forward and backward, check every gradient numerically.

    `values` is a dict (name -> number) or a string as typed after --vals;
    values assigned in the program are defaults that `values` overrides.
    Raises BptutorError (with a message key and a source span) on bad input."""
    # The graph is acyclic and append-only: the cyclic GC has nothing to find in
    # it, and at 10^5 nodes its passes would dominate the run.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _derive(source, values, eps, wrt, check)
    except BptutorError as exc:
        raise exc.with_source(source) from None
    except RecursionError:
        raise BptutorError("input.too_deep") from None
    except MemoryError:
        raise BptutorError("input.too_large", size=len(source), limit="-") from None
    finally:
        if gc_was_on:
            gc.enable()


def _derive(source, values, eps, wrt, check) -> Derivation:
    if isinstance(values, str):
        values = parse_values(values)
    given = dict(values or {})
    g = parse(source, known_inputs=frozenset(given))
    inputs = {**g.defaults, **given}
    inputs = {k: _number(k, v) for k, v in inputs.items()}
    unused = check_values(g, inputs)
    inputs = {name: inputs[name] for name in g.inputs}
    warnings = [("value.unused", {"names": ", ".join(unused)})] if unused else []
    names = list(g.inputs)
    if wrt:
        wrt = [w.strip() for w in (wrt.split(",") if isinstance(wrt, str) else wrt) if w.strip()]
        unknown = [w for w in wrt if w not in g.inputs]
        if unknown:
            raise BptutorValueError("value.unknown_wrt", None, names=", ".join(unknown),
                                    inputs=", ".join(names))
        names = wrt
    xp = namespace(inputs.values())
    vals = forward(g, inputs, xp)
    grads, edges, kinks = backward(g, vals, xp)
    d = Derivation(source, g, inputs, vals, grads, edges, kinks, warnings=warnings, eps=eps, wrt=names)
    if check:
        _check(d, xp)
    return d


def _number(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        if hasattr(v, "__len__"):
            from .tensor import as_array
            return as_array(name, v)
        raise BptutorValueError("value.not_a_number", None, name=name, value=repr(v))
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        raise BptutorValueError("value.not_finite", None, value=f"{name}={v}")
    return v


def _check(d: Derivation, xp) -> None:
    g = d.graph
    kinks = d.kinks
    on_kink = kink_inputs(g, kinks)
    picked, d.sampled = choose(d.wrt, len(g.nodes))
    if d.sampled:
        d.warnings.append(("check.sampled", {"checked": len(picked), "total": len(d.wrt)}))
    for name in picked:
        if xp is not _scalar_ns():
            d.checks.append(xp.check(d, name))
            continue
        numeric = central(g, d.values, d.node_values, name, d.eps, xp)
        analytic = d.grad(g.inputs[name])
        err, v = verdict(analytic, numeric, name in on_kink)
        d.checks.append(Check(name, d.values[name], analytic, numeric, err, v))
    if kinks:
        conventions = sorted({g.nodes[i].op.convention for i in kinks})
        for key in conventions:
            d.warnings.append((key, {}))


def _scalar_ns():
    from .ops import ScalarNS
    return ScalarNS
