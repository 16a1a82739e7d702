"""Every scalar row of the op table: its local gradient against central
differences of its own forward, at random points (hypothesis)."""
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bptutor.core.ops import ROWS
from bptutor.core.xp import ScalarNS

SCALAR_ROWS = [op for op in ROWS if op.arity >= 1 and not getattr(op, "tensor", False) and op.local]
POSITIVE = {"log", "sqrt", "pow"}                      # first input must be > 0
CONSTANT = {"add_const": 1.5, "mul_const": -2.0, "div_const": 4.0, "rsub_const": 1.0,
            "rdiv_const": 1.0, "pow_const": 3.0, "rpow_const": 2.0}

values = st.floats(min_value=-3, max_value=3, allow_nan=False)


def central(f, args, k, h=1e-6):
    plus, minus = list(args), list(args)
    plus[k] += h
    minus[k] -= h
    return (f(*plus) - f(*minus)) / (2 * h)


def test_every_op_is_covered():
    assert {"mul", "add", "div", "pow", "exp", "log", "sigmoid", "relu", "max", "rdiv_const", "neg"} <= {
        op.name for op in SCALAR_ROWS}


@pytest.mark.parametrize("op", SCALAR_ROWS, ids=lambda op: op.name)
@settings(max_examples=60, deadline=None)
@given(a=values, b=values)
def test_local_gradient_matches_central_differences(op, a, b):
    args = [a, b][:op.arity]
    if op.name in POSITIVE:
        args[0] = abs(args[0]) + 0.1
    if op.name in ("div", "rdiv_const"):
        assume(abs(args[-1]) > 0.1)
    if op.name == "tan":
        assume(abs(math.cos(args[0])) > 0.1)
    if op.kink is not None:
        assume(not op.kink(CONSTANT.get(op.name), *args) and min(abs(x) for x in args) > 1e-3)
        if op.arity == 2:
            assume(abs(args[0] - args[1]) > 1e-3)
    c = CONSTANT.get(op.name)
    f = lambda *xs: op.forward(ScalarNS, c, *xs)        # noqa: E731
    out = f(*args)
    for k in range(op.arity):
        local = op.local[k](ScalarNS, c, out, *args)
        numeric = central(f, args, k)
        assert local == pytest.approx(numeric, rel=1e-5, abs=1e-6), (op.name, k, args)


@pytest.mark.parametrize("op", SCALAR_ROWS, ids=lambda op: op.name)
def test_every_row_has_its_formulas(op):
    assert len(op.formula) == len(op.latex) == len(op.local) == op.arity
