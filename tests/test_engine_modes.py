"""The engine's other modes: forward mode (tangents) agrees with backward and with
closed forms, the hand-rounding replay gives the notes' numbers, one_sided gives
each side of a kink."""
import math

import pytest

import bptutor
from bptutor.core.engine import forward, one_sided, replay, tangents
from bptutor.core.ops import OPS
from bptutor.core.xp import ScalarNS
from bptutor.errors import BptutorMathError
from bptutor.lang.parse import parse

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
MML = "a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e"


def evaluated(src, values, xp=ScalarNS):
    g = parse(src, known_inputs=frozenset(values))
    return g, forward(g, values, xp)


def central(src, values, name, h=1e-6):
    def f(v):
        g, vals = evaluated(src, {**values, name: v})
        return vals[g.output]
    return (f(values[name] + h) - f(values[name] - h)) / (2 * h)


# ---- forward mode ------------------------------------------------------------------------
def test_forward_mode_on_mml_5_14_is_the_closed_form_and_central_differences():
    g, vals = evaluated(MML, {"x": 0.5})
    dots, _ = tangents(g, vals, ScalarNS, {"x": 1.0})
    x = 0.5
    c = x * x + math.exp(x * x)
    exact = 2 * x * (1 / (2 * math.sqrt(c)) - math.sin(c)) * (1 + math.exp(x * x))     # MML (5.110)
    assert dots[g.output] == pytest.approx(exact, rel=1e-12)
    assert dots[g.output] == pytest.approx(-1.3604310786, abs=1e-10)
    assert dots[g.output] == pytest.approx(central(MML, {"x": 0.5}, "x"), abs=1e-8)


def test_forward_mode_on_the_sigmoid_neuron_gives_seed_000s_gradients():
    g, vals = evaluated(SIGMOID, SIGMOID_VALS)
    s = 1 / (1 + math.exp(-1.0))            # w0*x0 + w1*x1 + w2 = 1
    ds = s * (1 - s)                        # 0.1966
    exact = {"w0": -1 * ds, "x0": 2 * ds, "w1": -2 * ds, "x1": -3 * ds, "w2": ds}
    for name, want in exact.items():
        dots, _ = tangents(g, vals, ScalarNS, {name: 1.0})
        assert dots[g.output] == pytest.approx(want, rel=1e-12), name
    assert exact["w0"] == pytest.approx(-0.1966, abs=1e-4)


@pytest.mark.parametrize("src, values", [
    (SIGMOID, SIGMOID_VALS), (MML, {"x": 0.5}), ("(x+y)*z", {"x": -2.0, "y": 5.0, "z": -4.0}),
    ("max(x, y)*z + x*y + abs(z)/x", {"x": -2.0, "y": 5.0, "z": -4.0}),
    ("x*x*x + log(x)*tanh(x)", {"x": 1.5})])
def test_forward_mode_equals_backward_for_every_input(src, values):
    d = bptutor.derive(src, values)
    g, vals = evaluated(src, values)
    for name, index in g.inputs.items():
        by_name, _ = tangents(g, vals, ScalarNS, {name: 1.0})
        by_index, _ = tangents(g, vals, ScalarNS, {index: 1.0})
        assert by_name == by_index
        assert by_name[g.output] == pytest.approx(d.grad_of(name), rel=1e-12, abs=1e-15), name


def test_a_direction_over_several_inputs_is_the_directional_derivative():
    g, vals = evaluated("(x+y)*z", {"x": -2.0, "y": 5.0, "z": -4.0})
    dots, _ = tangents(g, vals, ScalarNS, {"x": 1.0, "y": 1.0, "z": 0.5})
    assert dots[g.output] == -4 + -4 + 0.5 * 3


def test_forward_edges_narrate_local_times_incoming_tangent():
    g, vals = evaluated("(x+y)*z", {"x": -2.0, "y": 5.0, "z": -4.0})
    dots, edges = tangents(g, vals, ScalarNS, {"x": 1.0})
    q, f = g.nodes[g.output].args[0], g.output
    # q = x+y: local 1, incoming 1; f = q*z: local z = -4, incoming ∂q/∂x = 1
    assert edges == [(q, 0, g.inputs["x"], 1.0, 1.0, 1.0), (f, 0, q, -4.0, 1.0, -4.0)]
    assert dots[g.inputs["y"]] == 0.0 and dots[g.inputs["z"]] == 0.0 and dots[f] == -4.0


def test_a_seeded_intermediate_is_independent_and_its_tangent_is_its_gradient():
    d = bptutor.derive(MML, {"x": 0.5})
    g, vals = evaluated(MML, {"x": 0.5})
    c = next(i for i, node in enumerate(g.nodes) if node.name == "c")
    dots, _ = tangents(g, vals, ScalarNS, {c: 1.0})
    assert dots[c] == 1.0 and dots[g.inputs["x"]] == 0.0
    assert dots[g.output] == pytest.approx(d.grad_of("c"), rel=1e-12)       # ∂f/∂c = -0.5956
    assert dots[g.output] == pytest.approx(-0.5956, abs=1e-4)


def test_forward_mode_skips_values_the_output_never_uses():
    # b = sqrt(x) has no derivative at 0, but nothing uses b: backward never visits it either
    g, vals = evaluated("b = sqrt(x); f = x*2", {"x": 0.0})
    dots, edges = tangents(g, vals, ScalarNS, {"x": 1.0})
    assert dots == [1.0, 0.0, 2.0] and len(edges) == 1


def test_forward_mode_through_an_undefined_local_gradient_is_a_math_error():
    g, vals = evaluated("sqrt(x)*2", {"x": 0.0})
    with pytest.raises(BptutorMathError) as exc:
        tangents(g, vals, ScalarNS, {"x": 1.0})
    assert exc.value.key == "math.gradient_undefined"


def test_forward_mode_runs_through_tensor_rows_with_their_jvps():
    import numpy as np
    from bptutor.core.arrays import ArrayNS
    x = np.array([1.0, -2.0, 3.0])
    g, vals = evaluated("sum(x*x)", {"x": x}, ArrayNS)
    dots, _ = tangents(g, vals, ArrayNS, {"x": np.ones(3)})
    assert dots[g.output] == pytest.approx(2 * x.sum())        # ∇f · (1, 1, 1)


# ---- the notes' hand rounding ---------------------------------------------------------------
def test_replay_rounded_to_two_decimals_gives_seed_000s_hand_numbers():
    g, vals = evaluated(SIGMOID, SIGMOID_VALS)
    hand_vals, grads, edges = replay(g, vals, ScalarNS, rounded=2)
    assert {name: grads[i] for name, i in g.inputs.items()} == \
        {"w0": -0.20, "x0": 0.40, "w1": -0.40, "x1": -0.60, "w2": 0.20}
    assert hand_vals[g.output] == 0.73                   # σ(1) = 0.7311 rounded
    # the notes' products at the multiply gates: 2 × 0.20 = 0.40, -2 × 0.20 = -0.40, -3 × 0.20 = -0.60
    into = {g.nodes[j].name: (local, upstream, contribution)
            for _i, _k, j, local, upstream, contribution in edges if g.nodes[j].op is OPS["input"]}
    assert into["x0"] == (2.0, 0.20, 0.40)
    assert into["w1"] == (-2.0, 0.20, -0.40)
    assert into["x1"] == (-3.0, 0.20, -0.60)
    assert into["w0"] == (-1.0, 0.20, -0.20)


def test_replay_with_many_decimals_is_backward():
    d = bptutor.derive(MML, {"x": 0.5})
    g, vals = evaluated(MML, {"x": 0.5})
    _, grads, _ = replay(g, vals, ScalarNS, rounded=12)
    assert grads[g.inputs["x"]] == pytest.approx(d.grad_of("x"), abs=1e-10)


def test_replay_is_none_where_rounding_leaves_the_domain_and_for_arrays():
    g, vals = evaluated("sqrt(x - 0.004)", {"x": 0.005})     # 0.001 rounds to 0.00: no 1/(2√0)
    assert replay(g, vals, ScalarNS, rounded=3) is not None
    assert replay(g, vals, ScalarNS, rounded=2) is None
    import numpy as np
    from bptutor.core.arrays import ArrayNS
    g, vals = evaluated("sum(x*x)", {"x": np.array([1.0, 2.0])}, ArrayNS)
    assert replay(g, vals, ArrayNS, rounded=2) is None


# ---- one-sided local gradients at a kink -------------------------------------------------------
@pytest.mark.parametrize("src, values, sides", [
    ("relu(x)", {"x": 0.0}, ((0.0,), (1.0,))),
    ("abs(x)", {"x": 0.0}, ((-1.0,), (1.0,))),
    ("max(x, y)", {"x": 2.0, "y": 2.0}, ((0.0, 1.0), (1.0, 0.0))),
    ("min(x, y)", {"x": 2.0, "y": 2.0}, ((1.0, 0.0), (0.0, 1.0))),
])
def test_one_sided_local_gradients_at_a_kink(src, values, sides):
    g, vals = evaluated(src, values)
    assert one_sided(g, vals, g.output, ScalarNS) == sides
