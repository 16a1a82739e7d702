"""Vectors and matrices: the seed notes' numbers, every tensor op's VJP against
central differences on random shapes, broadcasting, shape errors with their
positions, value literals, the numeric check of arrays, JSON and renders."""
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.errors import BptutorError
from bptutor.lang.values import parse_values
from helpers import ROOT, render_text, run, snapshot

WX = "q = W @ x; f = sum(q^2)"
WX_VALS = {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]}


# ---- the seeds' numbers -----------------------------------------------------------
def test_wx_norm_as_in_the_notes():
    d = bptutor.derive(WX, WX_VALS)
    np.testing.assert_allclose(d.grad_of("q"), [0.44, 0.52])                 # 2q
    np.testing.assert_allclose(d.gradients["W"], [[0.088, 0.176], [0.104, 0.208]])   # 2q·xᵀ
    np.testing.assert_allclose(d.gradients["x"], [-0.112, 0.636])            # 2Wᵀq
    assert d.value == pytest.approx(0.22 ** 2 + 0.26 ** 2)
    assert [c.verdict for c in d.checks] == ["ok", "ok"]
    assert max(c.rel_error for c in d.checks) < 1e-8


def test_wx_norm_from_vals_text_and_from_the_example_file():
    text = bptutor.derive(WX, "W=[[0.1,0.5],[-0.3,0.8]], x=[0.2,0.4]")
    example = bptutor.derive((ROOT / "examples" / "wx_norm.bp").read_text())
    for d in (text, example):
        np.testing.assert_allclose(d.gradients["W"], [[0.088, 0.176], [0.104, 0.208]])
        np.testing.assert_allclose(d.gradients["x"], [-0.112, 0.636])


def test_two_layer_l2_sums_both_paths_into_w2():
    d = bptutor.derive((ROOT / "examples" / "two_layer_l2.bp").read_text())
    v = d.values
    x, y, W1, W2, lam = v["x"], v["y"], v["W1"], v["W2"], v["lam"]
    h = 1 / (1 + np.exp(-(W1 @ x)))
    o = W2 @ h
    dJ_do = o - y
    np.testing.assert_allclose(d.gradients["W2"], np.outer(dJ_do, h) + lam * W2)    # ∂J/∂o·hᵀ + λW2
    dJ_dz = (W2.T @ dJ_do) * h * (1 - h)                                             # ⊙ φ'(z)
    np.testing.assert_allclose(d.gradients["W1"], np.outer(dJ_dz, x) + lam * W1)    # ∂J/∂z·xᵀ + λW1
    sums = {d.graph.nodes[s.target].label: s for s in d.steps if s.kind == "sum"}
    assert {"W1", "W2"} <= set(sums) and len(sums["W2"].terms) == 2
    np.testing.assert_allclose(sums["W2"].total, np.outer(dJ_do, h) + lam * W2)
    assert all(c.verdict == "ok" for c in d.checks)


def test_cs231n_softmax_and_svm_losses():
    s = "s = [3.2, 5.1, -1.7]; "
    softmax = bptutor.derive(s + "L = -log(exp(s[0]) / sum(exp(s)))")
    assert round(softmax.value, 2) == 2.04
    p = np.exp([3.2, 5.1, -1.7]) / np.exp([3.2, 5.1, -1.7]).sum()
    np.testing.assert_allclose(softmax.gradients["s"], p - [1, 0, 0])          # p - 1(y)
    svm = bptutor.derive(s + "L = sum(max(0, s - s[0] + 1)) - 1")
    assert svm.value == pytest.approx(2.9)
    np.testing.assert_allclose(svm.gradients["s"], [-1, 1, 0])
    grouped = bptutor.derive(s + "L = logsumexp(s) - s[0]")
    assert grouped.value == pytest.approx(softmax.value)
    np.testing.assert_allclose(grouped.gradients["s"], p - [1, 0, 0])


def test_linear_model_over_a_batch_sums_the_scalar_weight_over_the_batch():
    d = bptutor.derive((ROOT / "examples" / "linear_batch.bp").read_text())
    assert d.gradients["w"] == pytest.approx(-28 / 3)
    assert d.value == pytest.approx((1 + 4 + 9) / 3)


@pytest.mark.parametrize("name", ["wx_norm", "two_layer", "two_layer_l2", "softmax_loss", "svm_loss",
                                  "linear_batch"])
def test_tensor_examples_derive_and_check(name):
    d = bptutor.derive((ROOT / "examples" / f"{name}.bp").read_text())
    assert d.arrays and d.checks and all(c.verdict == "ok" for c in d.checks)


# ---- every tensor op's VJP against central differences ----------------------------
def numeric_gradient(src, values, name, eps=1e-6):
    """Central differences of derive(...).value, entry by entry (independent of the check)."""
    x = np.array(values[name], dtype=float)
    out = np.zeros_like(x)
    for p in range(x.size):
        for sign in (1, -1):
            moved = x.copy()
            moved.flat[p] += sign * eps
            out.flat[p] += sign * bptutor.derive(src, {**values, name: moved}, check=False).value
    return out / (2 * eps)


def assert_vjp(src, values):
    d = bptutor.derive(src, values, check=False)
    for name in values:
        np.testing.assert_allclose(d.gradients[name], numeric_gradient(src, values, name),
                                   rtol=1e-5, atol=1e-7, err_msg=f"{src}: ∂/∂{name}")


dims = st.integers(1, 4)
seeds = st.integers(0, 2 ** 32 - 1)
quick = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rand(rng, *shape):
    return rng.uniform(-1.5, 1.5, size=shape)


@quick
@given(m=dims, n=dims, p=dims, seed=seeds)
def test_matmul_every_shape_pairing(m, n, p, seed):
    rng = np.random.default_rng(seed)
    for a, b, out in (((m, n), (n, p), (m, p)), ((m, n), (n,), (m,)), ((n,), (n, p), (p,)), ((n,), (n,), ())):
        values = {"A": rand(rng, *a), "B": rand(rng, *b), "R": rand(rng, *out)}
        assert_vjp("sum((A @ B) * R)", values)      # R: an upstream gradient that is not all ones


@quick
@given(m=dims, n=dims, seed=seeds)
def test_transpose_index_and_reductions(m, n, seed):
    rng = np.random.default_rng(seed)
    A = rand(rng, m, n)
    assert_vjp("sum(A.T * R)", {"A": A, "R": rand(rng, n, m)})
    assert_vjp(f"A[{m - 1}, {n - 1}] * 3 + A[0, 0]^2", {"A": A})
    assert_vjp(f"sum(A[{m - 1}] * r)", {"A": A, "r": rand(rng, n)})
    for axis, shape in ((0, (n,)), (1, (m,))):
        assert_vjp(f"sum(sum(A, {axis}) * r)", {"A": A, "r": rand(rng, *shape)})
        assert_vjp(f"sum(mean(A, {axis}) * r)", {"A": A, "r": rand(rng, *shape)})
        assert_vjp(f"sum(norm(A, {axis}) * r)", {"A": A, "r": rand(rng, *shape)})
        assert_vjp(f"sum(logsumexp(A, {axis}) * r)", {"A": A, "r": rand(rng, *shape)})
        assert_vjp(f"sum(softmax(A, {axis}) * R)", {"A": A, "R": rand(rng, m, n)})
    assert_vjp("mean(A) + norm(A) + logsumexp(A)", {"A": A})
    assert_vjp("sum(softmax(A) * R)", {"A": A, "R": rand(rng, m, n)})


@quick
@given(m=dims, n=dims, seed=seeds)
def test_elementwise_ops_and_functions_on_arrays(m, n, seed):
    rng = np.random.default_rng(seed)
    A, B, P = rand(rng, m, n), rand(rng, m, n), rng.uniform(0.5, 2.0, size=(m, n))
    for src in ("sum(A * B + A / P - B)", "sum(exp(A) * tanh(B) + sigmoid(A) * sin(B) + cos(A))",
                "sum(log(P) + sqrt(P) + P^B + P^2.5 + 2^A)", "sum(max(A, B) + min(A, B) + abs(A))",
                "sum(relu(A) * B)"):
        assert_vjp(src, {"A": A, "B": B, "P": P} if "P" in src else {"A": A, "B": B})


@quick
@given(m=dims, n=dims, seed=seeds)
def test_broadcasting_sums_back_to_the_operand_shape(m, n, seed):
    rng = np.random.default_rng(seed)
    values = {"X": rand(rng, m, n), "b": rand(rng, m, 1), "c": rand(rng, n), "s": 0.7, "R": rand(rng, m, n)}
    assert_vjp("sum((X + b) * R) + sum((X * c - s) * R) + sum(b / (2 + X^2))", values)


def test_a_bias_added_to_a_batch_gets_the_sum_over_the_batch():
    X = np.arange(6.0).reshape(3, 2)
    d = bptutor.derive("sum((X + b)^2)", {"X": X, "b": [[1.0], [2.0], [3.0]]})
    np.testing.assert_allclose(d.gradients["b"], (2 * (X + [[1], [2], [3]])).sum(axis=1, keepdims=True))
    assert d.gradients["b"].shape == (3, 1)
    step = next(s for s in d.steps if s.kind == "edge" and d.graph.nodes[s.target].label == "b")
    assert np.shape(step.contribution) == (3, 1) and np.shape(step.upstream) == (3, 2)


# ---- errors ----------------------------------------------------------------------------
def error_of(src, values=None):
    with pytest.raises(BptutorError) as info:
        bptutor.derive(src, values)
    return info.value


def test_matmul_shape_error_names_both_shapes_and_points_at_the_operator():
    exc = error_of(WX, {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4, 1.0]})
    assert exc.message("en") == "W @ x: (2, 2) @ (3,) — inner sizes 2 and 3 differ"
    assert exc.span == (6, 7) and WX[exc.span[0]] == "@"
    assert "内侧维度 2 和 3 不相等" in exc.message("zh")


def test_broadcast_error_points_at_the_elementwise_operator():
    src = "q = W @ x + b; f = sum(q)"
    exc = error_of(src, {"W": np.eye(2), "x": [1.0, 2.0], "b": [1.0, 2.0, 3.0]})
    assert src[exc.span[0]:exc.span[1]] == "+"
    assert "(2,) and (3,)" in exc.message("en")


@pytest.mark.parametrize("src, key, marked", [
    ("f = s[3]", "tensor.index_range", "[3]"),
    ("f = s[0, 1]", "tensor.index_dims", "[0, 1]"),
    ("f = sum(s, 2)", "tensor.axis_range", "sum(s, 2)"),
    ("f = s[0.5]", "tensor.index_not_integer", "0.5"),
    ("f = sum(s, x)", "tensor.axis_not_integer", "x"),
    ("f = s[]", "tensor.empty_index", "[]"),
    ("f = s @ 2", "tensor.matmul_dims", "@"),
])
def test_tensor_errors_point_at_their_place(src, key, marked):
    exc = error_of(src, {"s": [1.0, 2.0, 3.0], "x": 1.0})
    assert exc.key == key
    assert src[exc.span[0]:exc.span[1]] == marked


@pytest.mark.parametrize("text, key, marked", [
    ("W=[[0.1,0.5],[-0.3]]", "tensor.ragged", "[-0.3]"),
    ("W=[1, [2, 3]]", "tensor.ragged", "[2, 3]"),
    ("W=[]", "tensor.empty_literal", "[]"),
    ("W=[[]]", "tensor.empty_literal", "[]"),
    ("W=[1, x]", "tensor.literal_not_constant", "x"),
    ("W=" + "[" * 9 + "1" + "]" * 9, "tensor.too_many_dims", "[1]"),
])
def test_bad_value_literals_are_input_errors_with_a_span(text, key, marked):
    with pytest.raises(BptutorError) as info:
        parse_values(text)
    exc = info.value
    assert exc.key == key
    assert marked in text[exc.span[0]:exc.span[1]]


def test_api_values_ragged_or_empty_are_input_errors():
    for value, key in (([[1.0, 2.0], [3.0]], "tensor.bad_value"), ([], "tensor.empty_value"),
                       ([1.0, float("nan")], "value.not_finite")):
        assert error_of("sum(x)", {"x": value}).key == key


def test_literals_in_programs_are_inputs_and_deep_nesting_is_refused_cleanly():
    d = bptutor.derive("s = [1, 2, 3]; f = sum(s * [2, 0, 1])")
    assert d.value == 5 and list(d.gradients["s"]) == [2, 0, 1]
    code, out, err = run("sum(" + "[" * 100_000 + "1" + "]" * 100_000 + ")")
    assert code == 2 and "at most 8 dimensions" in err


def test_the_cli_reports_shape_errors_with_a_caret():
    code, out, err = run(WX, "--vals", "W=[[0.1,0.5],[-0.3,0.8]], x=[0.2,0.4,1]", "--lang", "en")
    assert code == 2 and out == ""
    assert err.splitlines() == ["error: W @ x: (2, 2) @ (3,) — inner sizes 2 and 3 differ",
                                "  q = W @ x; f = sum(q^2)",
                                "        ^"]


# ---- the numeric check ----------------------------------------------------------------
def test_a_large_input_is_checked_on_a_seeded_sample_and_says_so():
    rng = np.random.default_rng(1)
    values = {"W": rng.normal(size=(20, 30)), "x": rng.normal(size=30)}
    d = bptutor.derive(WX, values)
    check = {c.name: c for c in d.checks}
    assert check["W"].verdict == "ok" and check["x"].verdict == "ok"
    numeric = np.asarray(check["W"].numeric)
    assert np.isfinite(numeric).sum() == 60 and np.isnan(numeric).sum() == 600 - 60
    assert ("tensor.sampled_entries", {"name": "W", "checked": 60, "total": 600}) in d.warnings
    again = bptutor.derive(WX, values)
    assert np.array_equal(np.isnan(again.checks[0].numeric), np.isnan(numeric))     # seeded
    assert json.dumps(d.to_dict())          # unchecked entries are null, not NaN


def test_the_check_is_not_fooled_by_an_output_that_is_a_view_of_the_input():
    d = bptutor.derive("x.T", {"x": 1.0})
    assert d.checks[0].verdict == "ok" and d.checks[0].numeric == pytest.approx(1.0)
    d = bptutor.derive("A[0, 1] + sum(A.T[1])", {"A": [[1.0, 2.0], [3.0, 4.0]]})
    assert d.checks[0].verdict == "ok"


def test_a_wrong_gradient_would_be_caught():
    from bptutor.core.arrays import ArrayNS
    from bptutor.core.check import check_gradients
    d = bptutor.derive(WX, WX_VALS, check=False)
    grads = list(d.node_grads)
    grads[d.graph.inputs["x"]] = grads[d.graph.inputs["x"]] * 1.01
    checks, _ = check_gradients(d.graph, d.values, d.node_values, grads, ["x"], d.eps, d.kinks, ArrayNS)
    assert [c.verdict for c in checks] == ["fail"]
    right, _ = check_gradients(d.graph, d.values, d.node_values, d.node_grads, ["x"], d.eps, d.kinks, ArrayNS)
    assert [c.verdict for c in right] == ["ok"]


# ---- JSON and renders -------------------------------------------------------------------
def test_json_has_nested_lists_and_shapes():
    code, out, _ = run(WX, "--vals", "W=[[0.1,0.5],[-0.3,0.8]], x=[0.2,0.4]", "--json")
    assert code == 0
    data = json.loads(out)
    np.testing.assert_allclose(data["gradients"]["W"], [[0.088, 0.176], [0.104, 0.208]])
    np.testing.assert_allclose(data["gradients"]["x"], [-0.112, 0.636])
    edge = next(s for s in data["steps"] if s["kind"] == "edge" and s["target"] == "W")
    assert edge["shape"] == [2] and edge["target_shape"] == [2, 2]
    np.testing.assert_allclose(edge["contribution"], [[0.088, 0.176], [0.104, 0.208]])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wx_norm_render(lang):
    code, out, _ = run("-f", str(ROOT / "examples" / "wx_norm.bp"), "--digits", "3", "--lang", lang)
    assert code == 0
    assert "∂f/∂W = ∂f/∂q·xᵀ" in out and "∂f/∂x = Wᵀ·∂f/∂q = [-0.112, 0.636]" in out
    assert "[0.088, 0.176]" in out and "[0.104, 0.208]" in out
    assert "∂f/∂q = ∂f/∂(q^2) ⊙ 2·q = [1, 1] ⊙ [0.440, 0.520] = [0.440, 0.520]" in out
    snapshot(f"wx_norm_{lang}.txt", out)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_layer_render_shows_the_sum_over_the_batch(lang):
    code, out, _ = run("-f", str(ROOT / "examples" / "two_layer.bp"), "--digits", "3", "--lang", lang)
    assert code == 0
    assert "∂loss/∂b1 = sum(∂loss/∂H, 1) =" in out
    assert ("summed over axis 1" if lang == "en" else "沿轴 1 求和") in out
    snapshot(f"two_layer_{lang}.txt", out)


def test_large_arrays_are_summarised_unless_all():
    values = "W=" + str(np.arange(100.0).reshape(10, 10).tolist()) + ", x=" + str([1.0] * 10)
    code, out, _ = run(WX, "--vals", values, "--lang", "en")
    assert code == 0 and "(10, 10) [0, 1, 2, …] ‖·‖ = " in out
    code, full, _ = run(WX, "--vals", values, "--lang", "en", "--all")
    assert "(10, 10) [" not in full and "[90, 91, 92, 93, 94, 95, 96, 97, 98, 99]" in full


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_layer_l2_render_at_80_columns(lang):
    from bptutor.render.terminal import render
    d = bptutor.derive((ROOT / "examples" / "two_layer_l2.bp").read_text())
    text = render_text(render(d, lang, 3))
    assert max(len(line) for line in text.splitlines()) <= 80 or lang == "zh"
    assert ("2 paths meet at W2" if lang == "en" else "W2 有 2 条路径汇合") in text
    snapshot(f"two_layer_l2_{lang}_80.txt", text)


def test_a_costly_graph_checks_fewer_entries_within_the_work_budget(monkeypatch):
    import bptutor.core.check as tensor
    monkeypatch.setattr(tensor, "ARRAY_WORK_BUDGET", 1.0)
    rng = np.random.default_rng(2)
    d = bptutor.derive(WX, {"W": rng.normal(size=(4, 5)), "x": rng.normal(size=5)})
    assert all(c.verdict == "ok" for c in d.checks)
    assert ("tensor.sampled_entries", {"name": "W", "checked": tensor.MIN_SAMPLE, "total": 20}) in d.warnings
