"""The vector pass of the numeric check (core/points.py) gives bit for bit
what the node by node pass gave before it shared equal nodes' values and
added long sums in blocks: the reference below is that pass, as it was.
Every comparison is of the bits (f, which points are undefined, the node
crossed), on the examples, on random programs, near kinks and poles, where
points overflow, and on sums long enough to be cut into blocks."""
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.core import check, points
from bptutor.core.arrays import ArrayNS
from bptutor.core.xp import ScalarNS
from bptutor.errors import BptutorError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = points.samples


# ---- the reference: the node by node pass ---------------------------------------------------------
def reference_samples(g, values, node_values, points_):
    flagged = []
    with np.errstate(call=lambda kind, flag: flagged.append(kind), all="call", under="ignore"):
        out, crossed, bad = reference_run(g, values, node_values, points_, track=False)
        if flagged:
            out, crossed, bad = reference_run(g, values, node_values, points_, track=True)
    return [(None, None) if bad is not None and bad[p] else (float(out[p]), None if k < 0 else int(k))
            for p, k in enumerate(crossed)]


def reference_run(g, values, node_values, points_, track):
    n = len(points_)
    vals = list(node_values)
    for p, (name, x) in enumerate(points_):
        i = g.inputs[name]
        if type(vals[i]) is not np.ndarray:
            vals[i] = np.full(n, values[name], dtype=np.float64)
        vals[i][p] = x
    starts = np.array([g.inputs[name] for name, _x in points_])
    rows = g.rows
    last_use = list(range(len(rows)))
    for i, row in enumerate(rows):
        for j in row[1]:
            last_use[j] = i
    last_use[g.output] = len(rows)
    crossed = np.full(n, -1)
    far = {}
    bad = np.zeros(n, dtype=bool) if track else None
    for i in range(int(starts.min()), len(rows)):
        op, args, c = rows[i][:3]
        if not args:
            continue
        given_ = [vals[j] for j in args]
        if not any(type(v) is np.ndarray for v in given_):
            continue
        value = vals[i] = op.forward(ArrayNS, c, *given_)
        if op.branch is not None or op.period:
            reference_mark(rows[i], vals, node_values, i, starts, crossed, far)
        if track and type(value) is np.ndarray:
            bad |= ~np.isfinite(value)
        for j in args:
            if last_use[j] == i:
                vals[j] = None
    out = np.broadcast_to(np.asarray(vals[g.output], dtype=np.float64), (n,))
    if not track and not np.isfinite(out).all():
        bad = ~np.isfinite(out)
    return out, crossed, bad


def reference_mark(row, vals, base, i, starts, crossed, far):
    op, args, c = row[:3]
    changed = None
    if op.branch is not None:
        branch = op.branch(ArrayNS, c, *[vals[j] for j in args])
        if type(branch) is np.ndarray:
            differs = branch != op.branch(ScalarNS, c, *[base[j] for j in args])
            if differs.any():
                changed = differs
    if op.period and type(vals[args[0]]) is np.ndarray:
        key = (args[0], op.period)
        if key not in far:
            x, x0, reach = vals[args[0]], base[args[0]], op.period / 16
            far[key] = np.abs(x - x0) > reach if (x.max() - x0 > reach or x0 - x.min() > reach) else None
        moved = far[key]
        if moved is not None:
            changed = moved if changed is None else changed | moved
    if changed is not None:
        crossed[changed & (crossed < 0) & (starts <= i)] = i


def reference_noises(g, node_values, grads):
    rows = g.rows
    scaled, tiny = abs(node_values[g.output]), 1.0
    out = [0.0] * len(rows)
    for i in range(len(rows) - 1, -1, -1):
        grad = grads[i]
        if grad is not None and rows[i][1]:
            scaled += abs(node_values[i] * grad)
            tiny += abs(grad)
        out[i] = check.EPS * scaled + check.TINY * tiny
    return out


# ---- comparing -----------------------------------------------------------------------------------
def bits(x):
    return np.ascontiguousarray(x, dtype=np.float64).view(np.int64)


def assert_same(g, values, node_values, points_):
    """Both passes (plain and tracking inf/nan) and samples() agree bit for bit."""
    for track in (False, True):
        with np.errstate(all="ignore"):
            out, crossed, bad = points._run(g, values, node_values, points_, track)
            ref_out, ref_crossed, ref_bad = reference_run(g, values, node_values, points_, track)
        assert np.array_equal(bits(out), bits(ref_out)), (track, out, ref_out)
        assert crossed.tolist() == ref_crossed.tolist(), track
        assert (bad is None) == (ref_bad is None) and (bad is None or bad.tolist() == ref_bad.tolist()), track
    new = SAMPLES(g, values, node_values, points_)
    old = reference_samples(g, values, node_values, points_)
    assert [(None if f is None else bits(f).item(), k) for f, k in new] == \
        [(None if f is None else bits(f).item(), k) for f, k in old]
    return new


def derived(src, values=None):
    d = bptutor.derive(src, values or {}, check=False)
    return d.graph, d.values, d.node_values


def random_points(rng, g, values, n, specials=()):
    """n points, each one input moved: by a step of any size, or onto a special value."""
    names = list(g.inputs)
    out = []
    for _ in range(n):
        name = rng.choice(names)
        x = values[name]
        r = rng.random()
        if r < 0.15 and specials:
            out.append((name, rng.choice(specials)))
        elif r < 0.25:
            out.append((name, x))                       # moved onto itself
        else:
            out.append((name, x + rng.choice([-1, 1]) * 10.0 ** rng.uniform(-12, 3)))
    return out


# ---- the examples and hand-made graphs ------------------------------------------------------------
SCALAR_EXAMPLES = ["cs231n_circuit.bp", "linear_loss.bp", "mml_5_14.bp", "sigmoid_gate.bp", "sigmoid_neuron.bp"]


@pytest.mark.parametrize("example", SCALAR_EXAMPLES)
def test_every_scalar_example_gives_the_same_bits(example):
    g, values, node_values = derived((ROOT / "examples" / example).read_text())
    assert not g.tensor
    rng = random.Random(example)
    for n in (1, 2, 7, 16, 40, 200):
        assert_same(g, values, node_values, random_points(rng, g, values, n, specials=(0.0, -0.0, 1e300, -1e300)))


def test_the_scalar_examples_are_all_there():
    tensor = {"linear_batch.bp", "softmax_loss.bp", "svm_loss.bp", "two_layer.bp", "two_layer_l2.bp", "wx_norm.bp"}
    assert sorted(p.name for p in (ROOT / "examples").glob("*.bp")) == sorted(SCALAR_EXAMPLES + list(tensor))


def big_sum(terms: int, inputs: int = 50):
    """The bench's big expression (bench/large.py), `terms` terms long."""
    values = {f"x{i}": (i % 17) / 10 - 0.8 for i in range(inputs)}
    src = " + ".join(f"x{i % inputs}*sin(x{(i * 7 + 3) % inputs})" for i in range(terms))
    return src, values


def test_the_bench_expression_checked_together_gives_the_same_bits(monkeypatch):
    """The points check._check_together asks for on a 30,000-node sum, each
    pass compared with the node by node one; the sum runs as blocks and the
    600 equal sin(x_b) as 50 vectors."""
    src, values = big_sum(10_000)
    d = bptutor.derive(src, values, check=False)
    taken = []

    def both(g, values_, node_values, points_):
        taken.append(len(points_))
        return assert_same(g, values_, node_values, points_)
    monkeypatch.setattr(points, "samples", both)
    check._check_together(d.graph, d.values, d.node_values, d.node_grads, list(d.graph.inputs), None)
    assert taken and taken[0] == 200
    plan = points._plan(d.graph)
    assert len(plan.visit) < 200                    # 50 sin, 50 products, 20 blocks of the sum
    rng = random.Random(1)
    for n in (1, 3, 15, 16, 17, 100):
        assert_same(d.graph, d.values, d.node_values, random_points(rng, d.graph, d.values, n))


@pytest.mark.parametrize("src, values, specials", [
    # kinks and poles, right at them and near them
    ("relu(x - 1) + abs(y) * max(x, y) - min(y, 2) + 1/(x - 1.25) + tan(y) + log(x)", {"x": 1.0, "y": 0.0},
     (1.0, 1.25, 0.0, -0.0, math.pi / 2, -math.pi / 2, 1e-300)),
    ("relu(x) + relu(x) + abs(x) * abs(x) + sin(1000*x) + sin(1000*x) * y + tan(x) + tan(x)",
     {"x": 0.0, "y": 1.0}, (0.0, -0.0, math.pi / 2, 1e-9)),
    ("leaky_relu(x) + x^(-1) + (x*y)^y + sqrt(x*x) + 2^x + x^2 + log(y, 10)", {"x": 0.5, "y": 2.0},
     (0.0, -0.0, -1.0, 1e-320)),
    # inf and nan at some points: overflow, log of a negative, 1/0, inf - inf
    ("exp(1000*x) - exp(1000*x) + log(y) + 1/x + exp(x*y)", {"x": 0.1, "y": 1.0}, (0.0, 1.0, -1.0, 800.0, 1e308)),
    ("tanh(exp(x)) + sigmoid(exp(x)) + 1/exp(-x) + exp(-exp(x))", {"x": 1.0}, (710.0, 1e308, -1e308)),
    # fan-out, an unused statement, chains of - and /
    ("a = x*y\nu = exp(x)\nb = a - x - y - a - 1 - x - y - a - x - y - a - x - y - a - x - y - a - x\n"
     + "c = b / x / y / 2 / x / y\nc*a + sin(a) + a", {"x": 1.5, "y": -0.5}, (0.0, -0.0, 1e200)),
])
def test_kinks_poles_and_undefined_points_give_the_same_bits(src, values, specials):
    g, values, node_values = derived(src, values)
    rng = random.Random(src)
    for n in (1, 2, 9, 16, 33, 128):
        assert_same(g, values, node_values, random_points(rng, g, values, n, specials))


def test_sums_of_signed_zeros_keep_their_sign():
    """add.reduce would start from +0.0: a sum of -0.0s is -0.0 node by node."""
    terms = " + ".join(["x*y"] * 40)
    g, values, node_values = derived(terms, {"x": -0.0, "y": 1.0})
    for n in (1, 16, 20):
        pts = [("y", 2.0)] + [("x", -0.0)] * (n - 1)
        new = assert_same(g, values, node_values, pts)
        assert all(math.copysign(1, f) == -1 for f, _ in new[1:])


@pytest.mark.parametrize("length, op", [(17, "+"), (600, "+"), (1500, "-"), (1030, "+-")])
def test_long_sums_cut_into_blocks_give_the_same_bits(length, op):
    """Sums and differences longer than a block, terms equal and different,
    the first moved term anywhere (the sum before it a float)."""
    rng = random.Random(length)
    names = [f"v{i}" for i in range(12)]
    values = {name: rng.uniform(-3, 3) for name in names}
    terms = []
    for k in range(length):
        a, b = names[k % 12], names[(k * 5 + 1) % 12]
        terms.append(rng.choice([f"{a}*{b}", f"exp({a})", a, f"sin({a}*{b})", f"({a} + {k})"]))
    ops = []
    while len(ops) < len(terms) - 1:               # runs of one op, long and short
        ops += [rng.choice(op)] * rng.choice([1, 3, 20, 200])
    src = terms[0] + "".join(f" {o} {t}" for o, t in zip(ops, terms[1:]))
    g, values, node_values = derived(src, values)
    if length >= points.LONG_SUM:
        assert points._plan(g).steps and any(step[2] is None for step in points._plan(g).steps)
    for n in (1, 2, 15, 16, 64, 300):
        assert_same(g, values, node_values, random_points(rng, g, values, n, specials=(0.0, 1e300)))
    late = [(names[-1], 1.0)] * 20                 # only the last input moves: most of the sum is floats
    assert_same(g, values, node_values, late)


@pytest.mark.parametrize("src", ["x*0.0 + x*(-0.0)", "x*(-0.0) + x*0.0", "abs(x+0.0) - abs(x-0.0) + x*0.0 + x*(-0.0)",
                                 "relu(x*0.0) + relu(x*(-0.0))"])
def test_equal_constants_of_another_sign_are_not_shared(src):
    """x*0.0 and x*-0.0 differ at x < 0: they must not share a value."""
    g, values, node_values = derived(src, {"x": -2.0})
    assert_same(g, values, node_values, [("x", v) for v in (-1.0, -0.0, 0.0, 3.0)] * 5)


def test_a_node_sharing_a_value_marks_the_points_moved_between_it_and_the_first():
    """numpy's exp and math's differ in the last bit at x0: relu(exp(x) - e^x0)
    is at its kink in the scalar pass and off it in the vector pass even for
    points moving y. The first relu is before y: only the second, the same
    node again after y, counts those points as crossing."""
    x0 = -0.14041827508586513
    src = f"relu(exp(x) - {math.exp(x0)!r}) + y + relu(exp(x) - {math.exp(x0)!r})"
    g, values, node_values = derived(src, {"x": x0, "y": 1.0})
    found = assert_same(g, values, node_values, [("x", x0 + 1e-3), ("y", 2.0), ("y", 3.0)])
    if np.exp(np.full(3, x0))[0] != math.exp(x0):      # (numpy's exp on this machine)
        first, second = [i for i, row in enumerate(g.rows) if row[0].name == "relu"]
        assert [k for _f, k in found] == [first, second, second]


def test_nodes_far_apart_do_not_share_a_vector():
    """sin(x) again 2,000 nodes later is computed again: a shared vector would
    live across everything between (memory); near, it is shared."""
    middle = " + ".join(f"y*{k}" for k in range(2, 1100))
    g, values, node_values = derived(f"sin(x) + {middle} + sin(x) + sin(x)", {"x": 0.5, "y": 2.0})
    sines = [i for i, row in enumerate(g.rows) if row[0].name == "sin"]
    assert sines[1] - sines[0] > points.SHARE_REACH > sines[2] - sines[1]
    visited = set(points._plan(g).visit)
    assert [i in visited for i in sines] == [True, True, False]
    assert_same(g, values, node_values, [("x", 0.75), ("y", 1.0), ("x", 0.5)] * 7)


# ---- random programs -----------------------------------------------------------------------------
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "leaky_relu", "-"]
BINARY = ["+", "-", "*", "/", "max", "min", "^"]


def random_expression(rng, names, depth):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(names + ["0.5", "2", "3", "-1"])
    if rng.random() < 0.45:
        f, inner = rng.choice(UNARY), random_expression(rng, names, depth - 1)
        return f"-({inner})" if f == "-" else f"{f}({inner})"
    op, left, right = rng.choice(BINARY), random_expression(rng, names, depth - 1), random_expression(rng, names,
                                                                                                     depth - 1)
    return f"{op}({left}, {right})" if op in ("max", "min") else f"({left}){op}({right})"


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10 ** 9))
def test_random_programs_give_the_same_bits(seed):
    """Random expressions, each used several times (equal subexpressions),
    summed in a long + / - chain with some products of them."""
    rng = random.Random(seed)
    names = ["x", "y", "z"]
    values = {name: rng.choice([rng.uniform(-3, 3), float(rng.randint(-2, 2)), rng.uniform(0.1, 2)]) for name in names}
    pool = [random_expression(rng, names, rng.randint(1, 4)) for _ in range(rng.randint(1, 4))]
    terms = [rng.choice(pool) if rng.random() < 0.7 else f"({rng.choice(pool)})*({rng.choice(pool)})"
             for _ in range(rng.choice([1, 3, 20, 60]))]
    ops = []
    while len(ops) < len(terms) - 1:               # runs of + and of -: long ones run as blocks
        ops += [rng.choice("+-")] * rng.choice([1, 5, 40])
    src = terms[0] + "".join(f" {o} ({t})" for o, t in zip(ops, terms[1:]))
    try:
        g, values, node_values = derived(src, values)
    except BptutorError:
        return                                  # undefined at these values
    specials = (0.0, -0.0, 1.0, -1.0, math.pi / 2, 1e300)
    for n in (1, 5, 16, 40):
        assert_same(g, values, node_values, random_points(rng, g, values, n, specials))


# ---- the noise sweep -----------------------------------------------------------------------------
@pytest.mark.parametrize("src, values", [
    big_sum(2_000),
    ("a = x*y\nsin(a) + a*a - relu(x) + 1/(y - 3) + 2", {"x": 1.5, "y": -0.5}),
    ((ROOT / "examples" / "mml_5_14.bp").read_text(), {}),
])
def test_the_noise_of_every_node_is_the_same_as_a_loop_gives(src, values):
    d = bptutor.derive(src, values, check=False)
    everywhere = list(range(len(d.graph.rows)))
    assert check.noises(d.graph, d.node_values, d.node_grads, points.inner(d.graph), everywhere) == \
        reference_noises(d.graph, d.node_values, d.node_grads)
    holes = list(d.node_grads)                      # nodes without a gradient, and one that is nan
    holes[1::3] = [None] * len(holes[1::3])
    holes[-2] = math.nan
    found = check.noises(d.graph, d.node_values, holes, points.inner(d.graph), everywhere)
    assert [bits(x).item() for x in found] == [bits(x).item() for x in reference_noises(d.graph, d.node_values, holes)]
