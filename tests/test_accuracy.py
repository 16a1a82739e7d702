"""Grouped gates computed without underflow or overflow (issue 15): scaled
norms, max-shifted logsumexp and softmax with gradients from the stable forms,
and powers computed where they are defined and refused, naming the node,
where they are not."""
import math

import numpy as np
import pytest

import bptutor
from bptutor.errors import BptutorMathError


def test_norm_of_tiny_entries_does_not_underflow():
    d = bptutor.derive("norm(x)", {"x": [1e-200, 1e-200]})
    assert d.value == pytest.approx(math.sqrt(2) * 1e-200, rel=1e-15)
    assert d.gradients["x"] == pytest.approx([0.5 ** 0.5] * 2, rel=1e-15)
    assert not d.warnings                   # not taken for norm(0), which has no gradient


def test_norm_of_huge_entries_does_not_overflow_and_zero_is_still_the_kink():
    d = bptutor.derive("norm(x)", {"x": [1e200, -1e200]})
    assert d.value == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)
    assert d.gradients["x"] == pytest.approx([0.5 ** 0.5, -(0.5 ** 0.5)], rel=1e-15)
    rows = bptutor.derive("sum(norm(A, 1))", {"A": [[3e-300, 4e-300], [0.0, 0.0]]})
    assert rows.gradients["A"] == pytest.approx(np.array([[0.6, 0.8], [0, 0]]), rel=1e-15)
    assert ("ops.norm.convention", {}) in rows.warnings    # the zero row


def test_logsumexp_gradient_comes_from_the_stable_softmax():
    # exp(s - logsumexp(s)) is exp(0) = 1 each at 1e16, where ln 2 is below the resolution
    d = bptutor.derive("logsumexp(s)", {"s": [1e16, 1e16]})
    assert d.value == 1e16
    assert d.gradients["s"].tolist() == [0.5, 0.5]
    tiny = bptutor.derive("1e-10*logsumexp(s)", {"s": [1e16, 1e16]})
    assert tiny.gradients["s"] == pytest.approx([5e-11, 5e-11], rel=1e-15)


def test_extreme_but_finite_softmax_and_logsumexp_are_computed_not_refused():
    d = bptutor.derive("softmax(s)[0]", {"s": [1e308, -1e308]})
    assert d.value == 1.0 and d.gradients["s"].tolist() == [0.0, 0.0]
    d = bptutor.derive("logsumexp(s)", {"s": [1e308, -1e308]})
    assert d.value == 1e308 and d.gradients["s"].tolist() == [1.0, 0.0]
    d = bptutor.derive("softmax(s)[1]", {"s": [1000.0, 0.0]})
    assert d.value == pytest.approx(math.exp(-1000), abs=1e-300)


@pytest.mark.parametrize("src, x", [("sigmoid(x)", -1000.0), ("sigmoid(x)", 1000.0), ("sum(sigmoid(x))", [-1000.0, 1000.0])])
def test_sigmoid_at_extremes(src, x):
    d = bptutor.derive(src, {"x": x})
    assert np.all(np.asarray(d.gradients["x"]) == 0.0)


def test_x_to_the_0_at_0_and_0_to_the_x_at_2_are_computed():
    d = bptutor.derive("x^0", {"x": 0})
    assert d.value == 1.0 and d.gradients == {"x": 0.0}
    d = bptutor.derive("0^x", {"x": 2})
    assert d.value == 0.0 and d.gradients == {"x": 0.0}
    d = bptutor.derive("x^y", {"x": 0, "y": 2})          # 0^y = 0 for every y > 0: flat in y
    assert d.gradients == {"x": 0.0, "y": 0.0}
    d = bptutor.derive("sum(x^0)", {"x": [0.0, 2.0]})
    assert d.gradients["x"].tolist() == [0.0, 0.0]
    d = bptutor.derive("x^y", {"x": 0, "y": 0})          # 0^y jumps at y = 0: 0, as PyTorch
    assert d.value == 1.0 and d.gradients == {"x": 0.0, "y": 0.0}


@pytest.mark.parametrize("src, values, node", [
    ("x^y", {"x": -2, "y": 2}, "f"),                     # (-2)^2 = 4, but ∂/∂y = 4·ln(-2) does not exist
    ("f = 3*(x^y)", {"x": -2, "y": 3}, "x^y"),
    ("(-2)^x", {"x": 2}, "f"),
    ("sum(x^y)", {"x": [-2.0, 2.0], "y": 2}, "x^y"),
])
def test_the_exponents_gradient_with_a_negative_base_is_a_domain_error_naming_the_node(src, values, node):
    with pytest.raises(BptutorMathError) as exc:
        bptutor.derive(src, values)
    assert exc.value.params["node"] == node and exc.value.span is not None
    assert "ln((-2))" not in str(exc.value)
