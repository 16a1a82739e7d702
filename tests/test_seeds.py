"""The seed notes' own numbers (../shared/seeds/), asserted exactly."""
import math

import pytest

import bptutor
from helpers import ROOT

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}


def test_cs231n_circuit():
    d = bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    assert d.value == -12
    assert d.gradients == {"x": -4, "y": -4, "z": 3}
    assert d.grad_of("f") == 1


@pytest.mark.parametrize("source", [SIGMOID, "sigmoid(w0*x0+w1*x1+w2)"])
def test_sigmoid_neuron(source):
    d = bptutor.derive(source, SIGMOID_VALS)
    assert round(d.value, 4) == 0.7311
    g = {k: round(v, 4) for k, v in d.gradients.items()}
    assert g == {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}
    assert all(c.verdict == "ok" for c in d.checks)


def test_sigmoid_gates_as_the_notes_draw_them():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS)
    gates = [n.op.name for n in d.graph.nodes if n.args]
    assert gates == ["mul", "mul", "add", "add", "neg", "exp", "add_const", "rdiv_const"]
    values = [round(d.node_values[i], 2) for i, n in enumerate(d.graph.nodes) if n.args]
    assert values == [-2, 6, 4, 1, -1, 0.37, 1.37, 0.73]
    grads = [round(d.node_grads[i], 2) for i, n in enumerate(d.graph.nodes) if n.args]
    assert grads == [0.2, 0.2, 0.2, 0.2, -0.2, -0.53, -0.53, 1]


def test_sigmoid_as_one_gate_has_local_gradient_one_minus_sigma_times_sigma():
    d = bptutor.derive("sigmoid(w0*x0+w1*x1+w2)", SIGMOID_VALS)
    [step] = [s for s in d.steps if s.kind == "edge" and d.graph.nodes[s.node].op.name == "sigmoid"]
    s = 1 / (1 + math.exp(-1))
    assert step.local == pytest.approx((1 - s) * s) and round(step.local, 2) == 0.2


def test_mml_example_5_14():
    src = "a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e"
    x = 0.5
    d = bptutor.derive(src, {"x": x})
    c = x * x + math.exp(x * x)
    # (5.110): df/dx = 2x [1/(2 sqrt c) - sin c] (1 + exp(x²))
    expected = 2 * x * (1 / (2 * math.sqrt(c)) - math.sin(c)) * (1 + math.exp(x * x))
    assert d.gradients["x"] == pytest.approx(expected, rel=1e-12)
    assert d.value == pytest.approx(math.sqrt(c) + math.cos(c), rel=1e-12)
    # (5.139) and (5.141): the fan-out sums, shown as sums of paths
    sums = {d.graph.nodes[s.target].label: s for s in d.steps if s.kind == "sum"}
    assert set(sums) == {"c", "a"}
    assert sums["c"].total == pytest.approx(1 / (2 * math.sqrt(c)) - math.sin(c))
    terms = sorted(d.graph.nodes[d.steps[k].node].label for k in sums["c"].terms)
    assert terms == ["d", "e"]


def test_linear_loss_from_the_pytorch_notes():
    d = bptutor.derive("(x*w - y)^2", {"x": 2, "w": 1, "y": 4})
    assert d.gradients["w"] == 2 * 2 * (2 * 1 - 4)       # 2·x·(x·w − y)


@pytest.mark.parametrize("name", ["cs231n_circuit", "sigmoid_neuron", "sigmoid_gate", "mml_5_14", "linear_loss"])
def test_examples_derive_and_check(name):
    source = (ROOT / "examples" / f"{name}.bp").read_text()
    d = bptutor.derive(source)
    assert d.checks and all(c.verdict == "ok" for c in d.checks)


# ---- every seed example as a student sees it at 80 columns, in both languages ---------------
SEED_FILES = ["cs231n_circuit", "sigmoid_gate", "sigmoid_neuron", "wx_norm", "mml_5_14", "two_layer",
              "two_layer_l2", "softmax_loss", "svm_loss", "linear_loss"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", SEED_FILES)
def test_each_seed_example_at_80_columns(name, lang):
    from rich.cells import cell_len

    from bptutor.render.terminal import render
    from helpers import render_text, snapshot
    d = bptutor.derive((ROOT / "examples" / f"{name}.bp").read_text(encoding="utf-8"))
    text = render_text(render(d, lang, 4), width=80)
    assert all(cell_len(line) <= 80 for line in text.splitlines()), name      # CJK characters are 2 cells
    assert not any(line.lstrip().startswith(("=", "≈")) for line in text.splitlines())
    snapshot(f"seed_{name}_{lang}_80.txt", text)
