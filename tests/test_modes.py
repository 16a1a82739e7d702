"""Forward mode, Jacobians and what each mode costs (issue 13): MML example 5.14's
tangents number for number, forward = reverse on every example and on random
programs, Jacobians against hand-derived matrices and central differences
computed here, and the passes and multiply-adds each mode needs."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.core.arrays import ArrayNS
from bptutor.core.engine import backward, forward, pullback
from bptutor.core.xp import ScalarNS
from bptutor.errors import BptutorError
from bptutor.lang.parse import parse
from helpers import ROOT, run


def json_of(*argv):
    code, out, err = run(*argv, "--json")
    assert code == 0, err
    return json.loads(out)

MML = (ROOT / "examples" / "mml_5_14.bp").read_text(encoding="utf-8")
SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
RELU_NET = "y = W @ x; h = relu(y)"
RELU_VALS = {"W": [[1, -2], [3, 0.5], [-1, 1]], "x": [0.5, -1]}
W = np.array(RELU_VALS["W"], dtype=float)
X = np.array(RELU_VALS["x"], dtype=float)


def label(d, i):
    return d.graph.nodes[i].label


def tangent_of(d, name, wrt="x"):
    p = next(p for p in d.forward if label(d, p.about) == wrt)
    return p.values[d.index_of(name)]


def central_jacobian(f, x, h=1e-6):
    """∂f/∂x by central differences, written here: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=float)
    columns = []
    for p in range(x.size):
        step = np.zeros(x.size)
        step[p] = h
        step = step.reshape(x.shape)
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * h))
    out_shape = np.shape(columns[0])
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


# ---- MML example 5.14 in forward mode (eq. 5.121) -----------------------------------------
def test_mml_5_14_forward_tangents_number_for_number():
    d = bptutor.derive(MML, mode="forward")
    x = 0.5
    a = x * x
    c = a + math.exp(a)
    hand = {"x": 1.0, "a": 2 * x}                        # ẋ = 1, ȧ = ∂a/∂x·ẋ = 2x·1 = 1
    hand["b"] = math.exp(a) * hand["a"]                  # ḃ = e^a·ȧ = 1.2840
    hand["c"] = hand["a"] + hand["b"]                    # ċ = ȧ + ḃ = 2.2840
    hand["d"] = hand["c"] / (2 * math.sqrt(c))           # ḋ = ċ/(2√c) = 0.9221
    hand["e"] = -math.sin(c) * hand["c"]                 # ė = -sin(c)·ċ = -2.2825
    hand["f"] = hand["d"] + hand["e"]                    # ḟ = ḋ + ė = -1.3604
    for name, want in hand.items():
        assert tangent_of(d, name) == pytest.approx(want, rel=1e-12), name
    rounded = {name: round(tangent_of(d, name), 4) for name in hand}
    assert rounded == {"x": 1.0, "a": 1.0, "b": 1.284, "c": 2.284, "d": 0.9221, "e": -2.2825, "f": -1.3604}
    assert d.tangents["x"] == pytest.approx(d.gradients["x"], rel=1e-12)
    assert [c.verdict for c in d.checks] == ["ok"] and [c.verdict for c in d.forward_checks] == ["ok"]


def test_mml_5_14_forward_steps_read_left_to_right_with_the_sums():
    d = bptutor.derive(MML, mode="forward")
    (p,) = d.forward
    assert p.direction == "forward" and p.runs == 1
    lines = [(s.kind, label(d, s.node), label(d, s.target)) for s in p.steps]
    assert lines == [("seed", "x", "x"), ("edge", "a", "x"), ("edge", "b", "a"), ("edge", "c", "a"),
                     ("edge", "c", "b"), ("sum", "c", "c"), ("edge", "d", "c"), ("edge", "e", "c"),
                     ("edge", "f", "d"), ("edge", "f", "e"), ("sum", "f", "f")]
    c_from_b = p.steps[4]                   # ∂c/∂b · ḃ = 1 × 1.2840
    assert (c_from_b.local, c_from_b.upstream) == (1.0, pytest.approx(math.exp(0.25)))
    e_from_c = p.steps[7]                   # ∂e/∂c · ċ = -sin(c) × 2.2840
    c = 0.25 + math.exp(0.25)
    assert e_from_c.local == pytest.approx(-math.sin(c)) and e_from_c.upstream == pytest.approx(1 + math.exp(0.25))
    assert p.steps[-1].terms == (8, 9) and p.steps[-1].total == pytest.approx(-1.3604310786, abs=1e-10)


# ---- forward = reverse ----------------------------------------------------------------------
EXAMPLES = sorted((ROOT / "examples").glob("*.bp"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_forward_equals_reverse_on_every_example(path):
    d = bptutor.derive(path.read_text(encoding="utf-8"), mode="both")
    assert set(d.tangents) == set(d.wrt)
    for name in d.wrt:
        np.testing.assert_allclose(d.tangents[name], d.gradients[name], rtol=1e-9, atol=1e-12, err_msg=name)
    assert d.forward_checks and all(c.verdict in ("ok", "kink") for c in d.forward_checks)
    assert [c.name for c in d.forward_checks] == [c.name for c in d.checks]
    assert d.ok


NAMES = ("x", "y", "z")
UNARY = ["exp", "sin", "cos", "tanh", "sigmoid", "-", "sqrt", "log"]
BINARY = ["+", "-", "*", "/"]


def combine(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(
        lambda t: f"-({t[1]})" if t[0] == "-" else
        f"{t[0]}(1 + ({t[1]})^2)" if t[0] in ("sqrt", "log") else f"{t[0]}({t[1]})")
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(
        lambda t: f"({t[1]})/(2 + sin({t[2]}))" if t[0] == "/" else f"({t[1]}){t[0]}({t[2]})")
    return st.one_of(unary, binary)


programs = st.recursive(st.one_of(st.sampled_from(NAMES), st.sampled_from(["0.5", "2", "-1.5"])), combine,
                        max_leaves=10)
points = st.fixed_dictionaries({n: st.floats(-2, 2, allow_nan=False) for n in NAMES})


@settings(max_examples=150, deadline=None, derandomize=True)
@given(programs, points)
def test_forward_equals_reverse_on_random_programs(src, values):
    try:
        d = bptutor.derive(src, values, mode="both", check=False)
    except BptutorError as exc:                 # a constant program, or an overflow
        assert exc.key in ("graph.constant_output", "math.overflow", "math.gradient_overflow"), exc.key
        return
    g = d.graph
    assert len(d.forward) == len(g.inputs)
    for name in d.wrt:
        assert d.tangents[name] == pytest.approx(d.gradients[name], rel=1e-9, abs=1e-12), (src, name)
    for p in d.forward:                         # every node's tangent is ∂node/∂input, whatever it feeds
        assert p.values[p.about] == 1.0


vector_points = st.fixed_dictionaries({
    "x": st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3).map(np.array),
    "y": st.floats(-2, 2, allow_nan=False), "z": st.floats(-2, 2, allow_nan=False)})


@settings(max_examples=60, deadline=None, derandomize=True)
@given(programs, vector_points)
def test_forward_equals_reverse_on_random_vector_programs(src, values):
    try:
        d = bptutor.derive(f"sum({src})", values, mode="both", check=False)
    except BptutorError as exc:
        assert exc.key in ("graph.constant_output", "math.overflow", "math.gradient_overflow"), exc.key
        return
    for name in d.wrt:
        np.testing.assert_allclose(d.tangents[name], d.gradients[name], rtol=1e-9, atol=1e-12, err_msg=src)


def test_pullback_from_the_output_is_backward():
    for src, values in ((SIGMOID, SIGMOID_VALS), (MML, {}), ("(x+y)*z + x*x", {"x": 1.5, "y": -2.0, "z": 0.5})):
        g = parse(src, known_inputs=frozenset(values))
        inputs = {**g.defaults, **values}
        vals = forward(g, inputs, ScalarNS)
        mine, theirs = pullback(g, vals, ScalarNS, {g.output: 1.0}), backward(g, vals, ScalarNS)
        assert mine.grads == theirs.grads and set(mine.kinks) == set(theirs.kinks)
        assert [tuple(e) for e in mine.edges] == [tuple(e) for e in theirs.edges]
    g = parse("f = sum((W @ x)^2)")
    vals = forward(g, {"W": W, "x": X}, ArrayNS)
    mine, theirs = pullback(g, vals, ArrayNS, {g.output: 1.0}), backward(g, vals, ArrayNS)
    assert [e[:3] for e in mine.edges] == [e[:3] for e in theirs.edges]
    for a, b in zip(mine.grads, theirs.grads):
        np.testing.assert_array_equal(a, b)


def test_wrt_picks_the_seed_direction_one_pass_per_input():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, mode="forward", wrt="w0")
    assert [label(d, p.about) for p in d.forward] == ["w0"]
    assert d.tangents == {"w0": pytest.approx(-0.19661193, abs=1e-8)}     # seed 000's ∂f/∂w0 = -0.20
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, mode="forward", wrt="x1,w2")
    assert [label(d, p.about) for p in d.forward] == ["x1", "w2"]
    assert d.cost["forward"].passes == 2
    assert all(p.steps[0].kind == "seed" and p.steps[0].total == 1.0 for p in d.forward)


def test_reverse_mode_runs_no_forward_pass_and_keeps_its_json():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS)
    assert d.mode == "reverse" and d.forward == () and set(d.cost) == {"reverse"}
    data = d.to_dict()
    assert data["mode"] == "reverse" and data["outputs"] == ["f"]
    assert {s["direction"] for s in data["steps"]} == {"reverse"}
    assert "tangent" not in data["nodes"][0] and "jacobian" not in data


def test_a_bad_mode_or_output_is_a_user_error():
    with pytest.raises(BptutorError) as info:
        bptutor.derive("x*y", {"x": 1, "y": 2}, mode="sideways")
    assert info.value.key == "modes.bad_mode" and "reverse, forward, both" in info.value.message("en")
    with pytest.raises(BptutorError) as info:
        bptutor.derive("a = x*y; b = a + 1", {"x": 1, "y": 2}, outputs="a,c")
    assert info.value.key == "modes.unknown_output" and "c" in info.value.message("en")
    assert "a, b" in info.value.message("zh")


# ---- Jacobians ------------------------------------------------------------------------------
def test_jacobian_of_w_at_x_is_w():
    d = bptutor.derive("y = W @ x", RELU_VALS)
    (y,) = d.outputs
    jac = d.jacobian
    np.testing.assert_array_equal(jac.blocks[y, "x"], W)
    dy_dw = np.zeros((3, 3, 2))                    # ∂y_i/∂W_kl = δ_ik x_l
    for i in range(3):
        dy_dw[i, i] = X
    np.testing.assert_array_equal(jac.blocks[y, "W"], dy_dw)
    np.testing.assert_array_equal(jac.by_reverse[y, "x"], W)
    assert jac.agree == 0.0 and all(c.verdict == "ok" for c in jac.checks)


def test_jacobian_of_relu_is_diag_of_y_positive():
    y = np.array([2.0, -1.0, 0.5, -3.0])
    d = bptutor.derive("h = relu(y)", {"y": y})
    np.testing.assert_array_equal(d.jacobian.blocks[d.outputs[0], "y"], np.diag((y > 0).astype(float)))


def test_relu_after_w_at_x_chains_the_diagonal_jacobian():
    d = bptutor.derive(RELU_NET, RELU_VALS, mode="both")
    (h,) = d.outputs
    y = W @ X                                           # (2.5, 1, -1.5): relu passes the first two
    relu = np.diag((y > 0).astype(float))
    np.testing.assert_array_equal(d.jacobian.blocks[h, "x"], relu @ W)     # ∂h/∂x = ∂h/∂y·∂y/∂x
    np.testing.assert_array_equal(d.jacobian.by_reverse[h, "x"], relu @ W)
    # forward: ẋ = I, ẏ = ∂y/∂x·ẋ = W, ḣ = ∂h/∂y·ẏ = diag(1, 1, 0)·W, column by column
    px = next(p for p in d.forward if label(d, p.about) == "x")
    assert px.runs == 2 and px.matrix
    seed, into_y, into_h = px.steps
    np.testing.assert_array_equal(seed.total, np.eye(2))
    np.testing.assert_array_equal(into_y.local, W)
    np.testing.assert_array_equal(into_y.total, W)
    np.testing.assert_array_equal(into_h.local, relu)       # ReLU's local Jacobian: diagonal
    np.testing.assert_array_equal(into_h.total, relu @ W)
    # reverse: ∂h/∂h = I, ∂h/∂y = diag(1, 1, 0), ∂h/∂x = ∂h/∂y·W, row by row
    (ph,) = d.reverse
    assert ph.runs == 3 and ph.direction == "reverse"
    into_x = next(s for s in ph.steps if s.kind == "edge" and label(d, s.target) == "x")
    np.testing.assert_array_equal(into_x.upstream, relu)
    np.testing.assert_array_equal(into_x.contribution, relu @ W)


def small_vector_functions():
    return [
        ("y1 = x1*x2 + sin(x1); y2 = x1^2 - x2", {"x1": 1.0, "x2": 2.0},
         lambda v: np.array([v[0] * v[1] + np.sin(v[0]), v[0] ** 2 - v[1]]),
         np.array([[2 + np.cos(1.0), 1.0], [2.0, -1.0]])),        # by hand: [[x2 + cos x1, x1], [2x1, -1]]
        ("p = softmax(z)", {"z": [0.5, -1.0, 2.0]},
         lambda v: np.exp(v) / np.exp(v).sum(), None),
        ("y = tanh(A @ v) * v[0]", {"A": [[1.0, 0.5], [-0.3, 2.0], [0.2, 0.1]], "v": [0.4, -0.7]},
         None, None),
    ]


@pytest.mark.parametrize("case", range(3))
def test_jacobians_of_small_vector_functions_against_central_differences(case):
    src, values, f, hand = small_vector_functions()[case]
    d = bptutor.derive(src, values, jacobian=True)
    if case == 0:
        assert [label(d, o) for o in d.outputs] == ["y1", "y2"]
        got = np.array([[d.jacobian.blocks[o, x] for x in ("x1", "x2")] for o in d.outputs])
        np.testing.assert_allclose(got, hand, rtol=1e-12)
        np.testing.assert_allclose(got, central_jacobian(f, [1.0, 2.0]), rtol=1e-7)
    elif case == 1:
        p = np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum()
        block = d.jacobian.blocks[d.outputs[0], "z"]
        np.testing.assert_allclose(block, np.diag(p) - np.outer(p, p), rtol=1e-12)     # diag(p) - ppᵀ
        np.testing.assert_allclose(block, central_jacobian(f, values["z"]), rtol=1e-6, atol=1e-9)
    else:
        A, v = np.array(values["A"]), np.array(values["v"])
        block_a = central_jacobian(lambda a: np.tanh(a @ v) * v[0], A)
        block_v = central_jacobian(lambda u: np.tanh(A @ u) * u[0], v)
        np.testing.assert_allclose(d.jacobian.blocks[d.outputs[0], "A"], block_a, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(d.jacobian.blocks[d.outputs[0], "v"], block_v, rtol=1e-6, atol=1e-9)
    assert d.jacobian.agree < 1e-12
    assert d.jacobian.checks and all(c.verdict == "ok" for c in d.jacobian.checks) and d.ok


def test_jacobian_on_a_scalar_output_is_the_gradient_as_one_row():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, jacobian=True)
    assert d.scalar and d.outputs == (d.graph.output,)
    row = [d.jacobian.blocks[d.graph.output, name] for name in d.wrt]
    assert row == [pytest.approx(d.gradients[name], rel=1e-12) for name in d.wrt]
    assert d.to_dict()["jacobian"] == pytest.approx(d.to_dict()["gradients"], rel=1e-12)


def test_outputs_pick_a_statement_and_jacobian_defaults_to_the_unread_statements():
    src = "a = x*y; b = sin(a); c = a^2"
    d = bptutor.derive(src, {"x": 0.5, "y": 2.0}, jacobian=True)
    assert [label(d, o) for o in d.outputs] == ["b", "c"]          # a is read; b and c are not
    d = bptutor.derive(src, {"x": 0.5, "y": 2.0}, outputs="b")
    assert d.scalar and label(d, d.graph.output) == "b"
    assert d.gradients == {"x": pytest.approx(math.cos(1.0) * 2.0), "y": pytest.approx(math.cos(1.0) * 0.5)}
    d = bptutor.derive(src, {"x": 0.5, "y": 2.0}, outputs=["a", "c"])
    assert not d.scalar and [label(d, o) for o in d.outputs] == ["a", "c"]


def test_statements_left_out_are_those_no_output_reads():
    src = "y1 = x1*x2 + sin(x1); y2 = x1^2 - x2; z = x1 + 1"
    d = bptutor.derive(src, {"x1": 1.0, "x2": 2.0}, outputs="y1,y2")
    assert [(key, params["statements"]) for key, params in d.warnings if key == "graph.unreached"] == \
        [("graph.unreached", "z = x1 + 1")]
    d = bptutor.derive(src, {"x1": 1.0, "x2": 2.0}, jacobian=True)     # every statement nothing reads
    assert [label(d, o) for o in d.outputs] == ["y1", "y2", "z"]
    assert not [key for key, _ in d.warnings if key == "graph.unreached"]


def test_a_large_jacobian_is_checked_on_a_sample():
    x = np.linspace(-1, 1, 400)
    d = bptutor.derive("y = x * x", {"x": x})
    np.testing.assert_allclose(d.jacobian.blocks[d.outputs[0], "x"], np.diag(2 * x), rtol=1e-12)
    (c,) = d.jacobian.checks
    # 400 × 400 entries: a seeded sample of 60 is checked, each as a gradient is
    assert c.verdict == "ok" and (c.checked, c.entries) == (60, 400 * 400) and d.jacobian.sampled
    assert np.isnan(c.numeric).sum() == 400 * 400 - 60


def test_a_jacobian_too_big_to_stack_is_refused():
    with pytest.raises(BptutorError) as info:
        bptutor.derive("y = x * 2", {"x": np.ones(5000)})
    assert info.value.key == "modes.too_big" and "5,000" in info.value.message("en")


def test_answers_need_one_scalar_output():
    from bptutor.tutor.answers import judge
    d = bptutor.derive(RELU_NET, RELU_VALS)
    with pytest.raises(BptutorError) as info:
        judge(d, "x=1")
    assert info.value.key == "modes.answers_one_output" and "h" in info.value.message("en")


# ---- what each mode costs ---------------------------------------------------------------------
def test_cost_on_the_sigmoid_reverse_wins():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, mode="both")
    # reverse: one pass over the 12 edges (w0*x0 and w1*x1: 2 each, the two +: 2 each, then
    # *-1, exp, +1, 1/x); forward: one pass per input, each over the edges from it to f
    # (w0, x0, w1, x1: 7 each; w2: 5)
    assert d.cost["reverse"] == (1, 12)
    assert d.cost["forward"] == (5, 7 + 7 + 7 + 7 + 5)


def test_cost_on_one_input_five_outputs_forward_wins():
    src = "a = exp(x) * x; y1 = sin(a); y2 = cos(a); y3 = a^2; y4 = 3*a; y5 = tanh(a)"
    d = bptutor.derive(src, {"x": 0.3}, jacobian=True, mode="both")
    assert len(d.outputs) == 5
    # forward: one pass: exp(x), the two edges of *, then one edge per output
    assert d.cost["forward"] == (1, 3 + 5)
    # reverse: one pass per output, each back through a and exp(x)
    assert d.cost["reverse"] == (5, 5 * (1 + 3))
    assert d.cost["forward"].multiply_adds < d.cost["reverse"].multiply_adds


def test_cost_counts_entries_with_arrays():
    d = bptutor.derive(RELU_NET, RELU_VALS, mode="both")
    # a reverse run: relu 3, the matmul's edges to W and to x 3×2 each -> 15; one run per output entry
    assert d.cost["reverse"] == (3, 3 * 15)
    # a forward run: the matmul edge 3×2, relu 3 -> 9; one run per entry of W (6) and x (2)
    assert d.cost["forward"] == (8, 8 * 9)


# ---- the JSON contract ------------------------------------------------------------------------
def test_json_in_both_modes_has_directions_tangents_and_cost():
    data = json_of("-f", str(ROOT / "examples" / "mml_5_14.bp"), "--mode", "both")
    assert data["mode"] == "both" and data["outputs"] == ["f"]
    directions = [s["direction"] for s in data["steps"]]
    assert directions == sorted(directions, reverse=True) and set(directions) == {"reverse", "forward"}
    forward_steps = [s for s in data["steps"] if s["direction"] == "forward"]
    assert forward_steps[0] == {"kind": "seed", "direction": "forward", "wrt": "x", "node": "x", "op": "input",
                                "value": 0.5, "tangent": 1.0}
    into_b = next(s for s in forward_steps if s["kind"] == "edge" and s["node"] == "b")
    assert into_b["source"] == "a" and into_b["incoming"] == 1.0 and into_b["local"] == pytest.approx(math.exp(0.25))
    tangents = {n["name"]: n["tangent"]["x"] for n in data["nodes"]}
    assert tangents["f"] == pytest.approx(-1.3604310786) and tangents["a"] == 1.0
    assert data["tangents"]["x"] == pytest.approx(data["gradients"]["x"])
    assert data["cost"] == {"reverse": {"passes": 1, "multiply_adds": 8}, "forward": {"passes": 1, "multiply_adds": 8}}
    assert data["forward_checks"][0]["verdict"] == "ok"


def test_json_jacobian_has_output_shape_plus_input_shape():
    values = "W=[[1,-2],[3,0.5],[-1,1]], x=[0.5,-1]"
    data = json_of(RELU_NET, "--vals", values, "--jacobian")
    assert data["outputs"] == ["h"] and data["value"] == [2.5, 1.0, 0.0]
    assert np.shape(data["jacobian"]["x"]) == (3, 2) and np.shape(data["jacobian"]["W"]) == (3, 3, 2)
    assert data["jacobian"]["x"] == [[1.0, -2.0], [3.0, 0.5], [0.0, 0.0]]
    assert {c["verdict"] for c in data["jacobian_checks"]} == {"ok"}
    assert "gradients" not in data and "grad" not in data["nodes"][0]
    data = json_of("y1 = x1*x2 + sin(x1); y2 = x1^2 - x2", "--vals", "x1=1,x2=2", "--jacobian")
    assert data["outputs"] == ["y1", "y2"] and data["value"] == {"y1": pytest.approx(2 + math.sin(1)), "y2": -1.0}
    assert data["jacobian"] == {"x1": [pytest.approx(2 + math.cos(1)), 2.0], "x2": [1.0, -1.0]}
    data = json_of(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--jacobian")
    assert data["jacobian"]["w0"] == pytest.approx(data["gradients"]["w0"])


def test_json_forward_mode_with_arrays_stacks_tangents_as_jacobians():
    data = json_of(RELU_NET, "--vals", "W=[[1,-2],[3,0.5],[-1,1]], x=[0.5,-1]", "--mode", "forward")
    h = next(n for n in data["nodes"] if n["name"] == "h")
    assert np.shape(h["tangent"]["x"]) == (3, 2) and np.shape(h["tangent"]["W"]) == (3, 3, 2)
    assert {s["direction"] for s in data["steps"]} == {"forward"}
    assert data["cost"]["forward"] == {"passes": 8, "multiply_adds": 72}


def test_cli_mode_outputs_and_jacobian_options():
    code, _out, err = run("x*y", "--vals", "x=1,y=2", "--mode", "sideways")
    assert code == 2 and "--mode" in err
    code, _out, err = run("a = x*y; b = a+1", "--vals", "x=1,y=2", "--outputs", "q")
    assert code == 2 and "--outputs names q" in err
    code, _out, err = run("a = x*y; b = a+1", "--vals", "x=1,y=2", "--outputs", "a", "--jacobian", "--json")
    assert code == 0


def test_repl_mode_command_sets_the_mode_of_the_next_derivations():
    import io
    from bptutor.app.repl import Session
    out, err = io.StringIO(), io.StringIO()
    s = Session("en", 4, out, err)
    s.handle(":mode")
    assert "mode: reverse" in out.getvalue()
    s.handle(":mode forward")
    s.handle("x = 0.5")
    s.handle("a = x^2; f = exp(a)")
    assert err.getvalue() == ""
    assert s.last.mode == "forward" and s.last.tangents["x"] == pytest.approx(math.exp(0.25))
    s.handle(":mode sideways")
    assert ":mode reverse, :mode forward or :mode both" in err.getvalue() and s.mode == "forward"
    s.handle(":json")
    assert '"mode": "forward"' in out.getvalue()


# ---- the picture: tangents on the wires in forward mode -----------------------------------------
def test_forward_picture_carries_the_tangents_on_the_wires():
    from bptutor.render.picture import END, picture
    d = bptutor.derive(MML, mode="forward")
    pic = picture(d, 4)
    assert pic.tangents == "x" and pic.totals == {}
    by_source = {label(d, w.src): w.grad for w in pic.wires}
    # ẋ = 1, ȧ = 1, ḃ = 1.2840, ċ = 2.2840, ḋ = 0.9221, ė = -2.2825, ḟ = -1.3604
    assert by_source == {"x": "1", "a": "1", "b": "1.2840", "c": "2.2840", "d": "0.9221", "e": "-2.2825",
                         "f": "-1.3604"}
    assert next(w for w in pic.wires if w.dst == END).grad == "-1.3604"


def test_forward_picture_of_one_input_shows_zero_tangents_from_the_others():
    from bptutor.render.mermaid import render
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, mode="forward", wrt="x0")
    text = render(d, 2)
    assert '-- "v=2 | t=0" -->' in text and '-- "v=-1 | t=1" -->' in text       # ẇ0 = 0, ẋ0 = 1
    assert '-- "v=0.73 | t=0.39" --> out' in text and "g=" not in text          # ḟ = ∂f/∂x0 = 0.39
    from bptutor.render.dot import BLUE
    from bptutor.render.dot import render as dot
    assert BLUE in dot(d, 2) and "#c62828" not in dot(d, 2)


# ---- every format narrates forward mode, the Jacobian and the cost ------------------------------------
def text_of(*argv):
    code, out, err = run(*argv)
    assert code == 0, err
    return out


MML_FILE = str(ROOT / "examples" / "mml_5_14.bp")


def test_forward_narration_of_mml_5_14_in_english():
    out = text_of("-f", MML_FILE, "--mode", "forward")
    assert "Forward mode from x (left to right, MML eq. 5.121): the tangent ṅ = ∂n/∂x of every node" in out
    assert "input x is the direction: ẋ = ∂x/∂x = 1" in out
    assert ("a = x^2 gate: local gradient 2·x = 2·0.5000 = 1, incoming tangent 1, "
            "so the tangent of node a is ȧ = ∂a/∂x·ẋ = 1 × 1 = 1") in out
    assert "so the tangent of node b is ḃ = ∂b/∂a·ȧ = 1.2840 × 1 = 1.2840" in out
    assert "2 inputs bring tangents into node c, so they add up: ċ = ∂c/∂a·ȧ + ∂c/∂b·ḃ = 1 + 1.2840 = 2.2840" in out
    assert "ḟ = ∂f/∂d·ḋ + ∂f/∂e·ė = 0.9221 + (-2.2825) = -1.3604" in out
    assert "Backward pass" not in out                      # forward mode only
    assert "x: tangent -1.3604, gradient -1.3604, numeric -1.3604" in out


def test_forward_narration_of_mml_5_14_in_chinese_reads_like_the_notes():
    out = text_of("-f", MML_FILE, "--mode", "forward", "--lang", "zh")
    assert "正向模式，从 x 出发（从左往右，MML 式 5.121）：每个结点的切向量 ṅ = ∂n/∂x" in out
    assert ("b = exp(a) 结点的局部梯度为 e^a = e^0.2500 = 1.2840，从输入传过来的切向量为 1，"
            "所以 b 结点的切向量为 ḃ = ∂b/∂a·ȧ = 1.2840 × 1 = 1.2840") in out
    assert "c 结点有 2 个输入带来切向量，相加：ċ = ∂c/∂a·ȧ + ∂c/∂b·ḃ = 1 + 1.2840 = 2.2840" in out
    assert "ḟ = ∂f/∂d·ḋ + ∂f/∂e·ė = 0.9221 + (-2.2825) = -1.3604" in out


def test_both_modes_tell_both_passes_and_compare_their_cost():
    out = text_of(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--mode", "both", "--digits", "2")
    backward, forward = out.index("Backward pass"), out.index("Forward mode from w0")
    assert backward < forward < out.index("Forward mode from w2") < out.index("What each mode cost")
    assert "forward mode: one pass per input entry, 5 in all, 33 multiply-adds" in out
    assert "reverse mode: one pass per output entry, 1 in all, 12 multiply-adds" in out
    assert "Reverse mode is cheaper here. Reverse mode needs one pass per output entry (1), forward mode one " \
           "per input entry (5)" in out
    out = text_of("a = exp(x) * x; y1 = sin(a); y2 = cos(a); y3 = a^2; y4 = 3*a; y5 = tanh(a)", "--vals", "x=0.3",
                  "--jacobian", "--lang", "zh")
    assert "这里正向模式更省。正向模式每个输入元素跑一趟（1 趟），反向模式每个输出元素跑一趟（5 趟）" in out


def test_the_jacobian_of_relu_after_w_at_x_with_labels_and_the_diagonal_chain():
    out = text_of(RELU_NET, "--vals", "W=[[1,-2],[3,0.5],[-1,1]], x=[0.5,-1]", "--jacobian", "--mode", "forward")
    assert "Jacobian ∂h/∂(W, x) (3×8)" in out
    assert out.count("Rows are outputs, columns inputs (numerator layout)") == 1       # stated once
    assert "the same matrix (largest difference 0)" in out
    table = out[out.index("W[0,0]"):].splitlines()
    assert table[0].split() == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "W[2,0]", "W[2,1]", "x[0]", "x[1]"]
    # one format per column: -2.0000 above 0.5000
    assert table[1].split() == ["h[0]", "0.5000", "-1", "0.0000", "0", "0", "0", "1", "-2.0000"]
    assert table[3].split() == ["h[2]", "0.0000", "0", "0.0000", "0", "0", "0", "0", "0.0000"]   # relu cuts y[2]
    # the chain ∂h/∂x = ∂h/∂y·∂y/∂x: ReLU's local Jacobian is diagonal, never built
    assert "ḣ = ∂h/∂y·ẏ = diag(1, 1, 0)·ẏ =" in out
    assert "ẏ = ∂y/∂x·ẋ = [[1.0000, -2.0000], [3.0000, 0.5000], [-1.0000, 1.0000]]·ẋ =" in out
    assert out.count("its Jacobian ∂h/∂y is diagonal, so sparse that the engine never builds it") == 1
    assert "∂h/∂x: 6 of 6 entries checked" in out


def test_the_jacobian_of_a_scalar_output_is_its_gradient_row_and_says_so():
    out = text_of(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--jacobian", "--digits", "2")
    assert "node f is one number: its Jacobian is the 1×5 row of its gradient, and the gradient is its transpose" \
        in out
    row = out[out.index("   w0    x0"):].splitlines()[1].split()
    assert row == ["f", "-0.20", "0.39", "-0.39", "-0.59", "0.20"]          # seed 000's gradients
    zh = text_of(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--jacobian", "--lang", "zh")
    assert "f 结点 是一个数：它的雅可比矩阵就是梯度排成的 1×5 行，梯度是它的转置" in zh
    assert "行对应输出，列对应输入（分子布局）" in zh


def test_a_large_jacobian_is_summarised():
    values = "x=[" + ",".join(str(k / 10) for k in range(20)) + "]"
    out = text_of("y = x * x", "--vals", values)
    assert "∂y/∂x (20×20) is too big to print (at most 8×8): 19 of its 400 entries are not 0, the largest " \
           "in size is 3.8000; --json gives every entry" in out
    assert "∂y/∂x: 60 of 400 entries checked" in out


@pytest.mark.parametrize("fmt", ["md", "latex", "html"])
def test_notes_formats_narrate_forward_mode_the_jacobian_and_the_cost(fmt):
    out = text_of("-f", MML_FILE, "--mode", "forward", "--format", fmt)
    if fmt == "html":
        assert '<section class="bp-pass">\n<h3>Forward mode from <math' in out
        assert "<mn>2.2840</mn>" in out and "<mn>1.3604</mn>" in out and "<mover>" in out      # ċ, ḟ, the dots
        assert "tangents ∂/∂x in blue" in out or "<figure" not in out
    else:
        assert r"\dot{c} = \frac{\partial c}{\partial a}\cdot \dot{a} + \frac{\partial c}{\partial b}\cdot \dot{b}" \
               r" = 1 + 1.2840 = 2.2840" in out
        assert "-1.3604" in out
    out = text_of(RELU_NET, "--vals", "W=[[1,-2],[3,0.5],[-1,1]], x=[0.5,-1]", "--jacobian", "--mode", "both",
                  "--format", fmt, "--lang", "zh")
    assert "雅可比矩阵" in out and "分子布局" in out and "正向模式" in out and "反向模式" in out
    assert r"\operatorname{diag}(1, 1, 0)" in out or "diag" in out
    assert "h[2]" in out and "x[1]" in out


@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_forward_mode_and_jacobian_notes_compile(tmp_path, lang, engine):
    import subprocess
    from test_export import latex_document, needs_latex
    needs_latex(engine, lang)
    runs = {"mml": ("-f", MML_FILE, "--mode", "both"),
            "relu": (RELU_NET, "--vals", "W=[[1,-2],[3,0.5],[-1,1]], x=[0.5,-1]", "--jacobian", "--mode", "both"),
            "twolayer": ("-f", str(ROOT / "examples" / "two_layer.bp"), "--mode", "forward"),
            "big": ("y = x * x", "--vals", "x=[" + ",".join(str(k) for k in range(12)) + "]", "--mode", "both")}
    for name, argv in runs.items():
        out = text_of(*argv, "--format", "latex", "--lang", lang)
        (tmp_path / f"{name}.tex").write_text(latex_document(out, lang), encoding="utf-8")
        done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (name, done.stdout[-2000:])


def test_forward_mode_snapshots():
    from helpers import snapshot
    snapshot("mml_forward_zh.txt", text_of("-f", MML_FILE, "--mode", "forward", "--lang", "zh"))
    snapshot("relu_jacobian_en.txt", text_of(RELU_NET, "--vals", "W=[[1,-2],[3,0.5],[-1,1]], x=[0.5,-1]",
                                             "--jacobian", "--mode", "both"))
