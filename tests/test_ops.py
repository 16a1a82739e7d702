"""Every row of the op table, tested from the table itself, so a new row is
covered without editing this file: an elementwise row's local gradient against
central differences of its own forward (hypothesis, at points inside its
domain); a tensor row's VJP and JVP against central differences on random
shapes, and against each other (⟨u, J v⟩ = ⟨Jᵀu, v⟩); every row's texts in
every language."""
import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.core.arrays import ArrayNS
from bptutor.core.ops import FUNCTIONS, ROWS, Op
from bptutor.core.xp import ScalarNS
from bptutor.errors import BptutorError
from bptutor.i18n import LANGS, catalog, t

ELEMENTWISE = [op for op in ROWS if op.local]
TENSOR = [op for op in ROWS if op.vjp]
H = 1e-6
POINTS = st.integers(-3000, 3000).map(lambda n: n / 1000)     # ties and kinks (0) included, no subnormals


def row_id(op):
    return op.name


def smooth_slope(f, args, k):
    """The slope of f along input k by central differences, or None where f is
    not smooth around the point: undefined nearby (outside the domain), or the
    slopes just right and just left of it disagree (a kink in between, or a
    pole). Decided from forward alone, so it cannot hide a wrong local gradient."""
    right, left = list(args), list(args)
    right[k] += H
    left[k] -= H
    try:
        at, up, down = f(*args), f(*right), f(*left)
    except (ArithmeticError, ValueError):
        return None
    slope = (up - down) / (2 * H)
    if not all(math.isfinite(v) for v in (at, up, down, slope)):
        return None
    if abs((up - at) / H - (at - down) / H) > 1e-3 * max(1.0, abs(slope)):
        return None
    return slope


# ---- the rows' shape -----------------------------------------------------------------
def test_the_table_has_the_rows_the_language_and_the_lessons_rely_on():
    names = {op.name for op in ROWS}
    assert {"input", "const", "add", "mul", "div", "pow", "exp", "log", "sigmoid", "relu", "leaky_relu",
            "max", "rdiv_const", "neg", "matmul", "sum", "softmax", "norm"} <= names
    assert len(names) == len(ROWS)
    assert [op.name for op in ROWS if op.router] == ["max", "min", "relu", "amax", "amin"]
    assert [op.name for op in ROWS if op.product] == ["mul"]
    assert [op.name for op in ROWS if op.matmul] == ["matmul"]


@pytest.mark.parametrize("op", ROWS, ids=row_id)
def test_every_row_has_its_derivative_and_formulas_per_input(op):
    if op.arity == 0:
        assert op.forward is None
        return
    assert len(op.formula) == len(op.latex) == op.arity
    if op.tensor:           # a tensor row: a VJP and a JVP per input, no local gradient
        assert len(op.vjp) == len(op.jvp) == op.arity and not op.local
    else:
        assert len(op.local) == op.arity and not op.vjp and not op.jvp
    assert op.constant in ("", "number", "axis", "index")


@pytest.mark.parametrize("op", ROWS, ids=row_id)
def test_every_function_a_user_can_call_typesets_as_a_tex_name(op):
    if op.call:
        assert FUNCTIONS[op.call] is op
        assert re.fullmatch(r"\\[a-zA-Z]+(\{[^{}]+\})?", op.tex), op.tex


@pytest.mark.parametrize("op", ROWS, ids=row_id)
def test_every_row_has_its_lesson_and_kink_convention_in_every_language(op):
    entries = catalog("ops")
    keys = [op.lesson] + ([op.convention] if op.convention else [])
    assert (op.kink is None) == (op.convention == "")
    for key in keys:
        assert key in entries, key
        assert all(entries[key][lang].strip() for lang in LANGS), key
    assert re.search(r"[\u4e00-\u9fff]", t(op.lesson, "zh")), op.name


def test_rows_are_built_by_keyword_and_read_only():
    with pytest.raises(TypeError):
        Op("exp", 1, "exp", lesson="ops.exp.lesson")        # fields by position are refused
    with pytest.raises(AttributeError):
        ROWS[0].gate = "x"


# ---- elementwise rows: the local gradient ----------------------------------------------
@pytest.mark.parametrize("op", ELEMENTWISE, ids=row_id)
@settings(max_examples=60, deadline=None)
@given(xs=st.tuples(POINTS, POINTS), c=POINTS)
def test_local_gradient_matches_central_differences(op, xs, c):
    c = c if op.constant == "number" else None
    args = list(xs[:op.arity])

    def f(*a):
        return op.forward(ScalarNS, c, *a)

    if smooth_slope(f, args, 0) is None and c is not None and c < 0:
        c = -c                  # mirrored into a domain like log's base > 0, so fewer draws are lost
    if smooth_slope(f, args, 0) is None:
        args = [abs(a) for a in args]
    assume(op.kink is None or not op.kink(c, *args))
    slopes = [smooth_slope(f, args, k) for k in range(op.arity)]
    assume(all(s is not None for s in slopes))
    out = f(*args)
    for k, slope in enumerate(slopes):
        assert op.local[k](ScalarNS, c, out, *args) == pytest.approx(slope, rel=1e-5, abs=1e-6), (op.name, k, args)
    # The same row on arrays (numpy's namespace) gives the same numbers entry by entry.
    arrays = [np.array([a, a]) for a in args]
    out_array = op.forward(ArrayNS, c, *arrays)
    assert np.allclose(out_array, out, rtol=1e-12, atol=0)
    for k in range(op.arity):
        local = np.broadcast_to(op.local[k](ArrayNS, c, out_array, *arrays), (2,))
        assert np.allclose(local, op.local[k](ScalarNS, c, out, *args), rtol=1e-12, atol=1e-300)


# ---- tensor rows: VJP and JVP --------------------------------------------------------
CASES: dict = {}                # row name -> its fitting cases, found once
SHAPES = [()] + [(n,) for n in (1, 2, 3)] + [(m, n) for m in (1, 2, 3) for n in (1, 2, 3)]
CONSTANTS = {"": [None], "number": [-1.5, 0.5, 2.0], "axis": [None, -2, -1, 0, 1],
             "index": [(i,) for i in (-1, 0, 2)] + [(i, j) for i in (-1, 0, 1) for j in (0, 2)]}


def fitting_cases(op) -> list:
    """Every (constant, shapes) of up to 3×3 that the row accepts: found by
    trying its forward, so a new row needs no list of its own."""
    rng = np.random.default_rng(0)
    cases = []
    for c in CONSTANTS[op.constant]:
        for shapes in itertools.product(SHAPES, repeat=op.arity):
            try:
                op.forward(ArrayNS, c, *[rng.normal(size=shape) for shape in shapes])
            except BptutorError:            # shapes, axis or index that do not fit
                continue
            cases.append((c, shapes))
    return cases


def numeric_vjp(f, xs, k, u, h):
    """∂⟨u, f⟩/∂xs[k], entry by entry."""
    x = xs[k].astype(float).copy()
    grad = np.zeros(x.shape)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for p in range(flat.size):
        keep = flat[p]
        args = list(xs)
        flat[p] = keep + h
        args[k] = x.copy()
        plus = np.sum(u * f(*args))
        flat[p] = keep - h
        args[k] = x.copy()
        minus = np.sum(u * f(*args))
        flat[p] = keep
        out[p] = (plus - minus) / (2 * h)
    return grad


def numeric_jvp(f, xs, k, v, h):
    plus, minus = list(xs), list(xs)
    plus[k] = xs[k] + h * v
    minus[k] = xs[k] - h * v
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * h)


@pytest.mark.parametrize("op", TENSOR, ids=row_id)
@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2 ** 32 - 1))
def test_vjp_and_jvp_match_central_differences_and_each_other(op, data, seed):
    cases = CASES.get(op.name) or CASES.setdefault(op.name, fitting_cases(op))
    assert cases, op.name
    c, shapes = data.draw(st.sampled_from(cases))
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=shape) for shape in shapes]

    def f(*a):
        return op.forward(ArrayNS, c, *a)

    out = f(*xs)
    assume(op.kink is None or not op.kink(c, *xs))
    u = rng.normal(size=np.shape(out))
    for k in range(op.arity):
        numeric = numeric_vjp(f, xs, k, u, H)
        assume(np.allclose(numeric, numeric_vjp(f, xs, k, u, 10 * H), rtol=1e-4, atol=1e-6))   # smooth here
        vjp = np.broadcast_to(op.vjp[k](ArrayNS, c, u, out, *xs), xs[k].shape)
        assert np.allclose(vjp, numeric, rtol=1e-5, atol=1e-6), (op.name, k, c)
        v = rng.normal(size=xs[k].shape)
        jvp = op.jvp[k](ArrayNS, c, v, out, *xs)
        assert np.shape(jvp) == np.shape(out), (op.name, k)
        assert np.allclose(jvp, numeric_jvp(f, xs, k, v, H), rtol=1e-5, atol=1e-6), (op.name, k, c)
        assert np.sum(u * jvp) == pytest.approx(np.sum(vjp * v), rel=1e-9, abs=1e-12)


# ---- one row end to end: leaky_relu follows PyTorch at its kink ------------------------
def test_leaky_relu_uses_pytorchs_slope_below_and_at_zero():
    # PyTorch's leaky_relu_backward: x > 0 ? grad : grad * negative_slope (default 0.01).
    below = bptutor.derive("leaky_relu(x) * y", {"x": -2, "y": 3})
    assert below.value == pytest.approx(-0.06) and below.gradients == pytest.approx({"x": 0.03, "y": -0.02})
    at_kink = bptutor.derive("leaky_relu(x)", {"x": 0})
    assert at_kink.gradients["x"] == 0.01
    assert ("ops.leaky_relu.convention", {}) in at_kink.warnings
    matrix = bptutor.derive("sum(leaky_relu(W))", {"W": [[-1.0, 2.0], [0.0, 0.5]]})
    assert matrix.gradients["W"].tolist() == [[0.01, 1.0], [0.01, 1.0]]
