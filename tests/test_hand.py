"""--hand: backward worked as the notes do by hand, every value rounded to
--digits before it is used (core.engine.replay), so the seed examples come out
number for number; the exact derivation stays beside it."""
import io
import json

import pytest

import bptutor
from bptutor.app.repl import Session
from helpers import ROOT, run

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
VALS = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"


def example(name):
    return (ROOT / "examples" / f"{name}.bp").read_text()


def edge_numbers(d):
    """(target, local, upstream, product) of every edge step, in the order narrated."""
    return [(d.graph.nodes[s.target].label, s.local, s.upstream, s.contribution) for s in d.steps if s.kind == "edge"]


def test_the_sigmoid_by_hand_gives_the_notes_numbers():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, hand=2)
    # seed 000, step by step: 1/x, +1, exp, *-1, +, +, w2, *, *, w0, x0, w1, x1
    assert edge_numbers(d) == [
        ("+1", -0.53, 1.0, -0.53), ("exp", 1.0, -0.53, -0.53), ("*-1", 0.37, -0.53, -0.2),
        ("+₂", -1.0, -0.2, 0.2), ("w0*x0+w1*x1", 1.0, 0.2, 0.2), ("w2", 1.0, 0.2, 0.2),
        ("w0*x0", 1.0, 0.2, 0.2), ("w1*x1", 1.0, 0.2, 0.2),
        ("w1", -2.0, 0.2, -0.4), ("x1", -3.0, 0.2, -0.6), ("w0", -1.0, 0.2, -0.2), ("x0", 2.0, 0.2, 0.4)]
    assert d.gradients == {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}
    assert d.value == 0.73 and d.hand == 2
    # the exact derivation beside it, and the numeric check made on it
    assert d.exact.gradients["x0"] == pytest.approx(0.3932, abs=1e-4) and d.exact.hand is None
    assert [c.analytic for c in d.checks] == [c.analytic for c in d.exact.checks]
    assert all(c.verdict == "ok" for c in d.checks)


def test_the_sigmoid_by_hand_on_the_command_line():
    code, out, err = run(SIGMOID, "--vals", VALS, "--digits", "2", "--hand", "--lang", "zh")
    assert (code, err) == (0, "")
    assert "f = 0.73" in out and "-1/1.37² = -0.53" in out
    for shown in ("-0.53 × 1 = -0.53", "0.37 × (-0.53) = -0.20", "-1 × (-0.20) = 0.20",
                  "-1 × 0.20 = -0.20", "2 × 0.20 = 0.40", "-2 × 0.20 = -0.40", "-3 × 0.20 = -0.60"):
        assert shown in out
    assert "≈" not in out.split("数值检验")[0]            # every product is exact at the digits shown
    # the check table checks the exact gradients, so its columns agree with each other (0.39 beside 0.39)
    table = out.split("数值检验")[1].splitlines()
    assert next(line for line in table if line.startswith("x0")).split()[:4] == ["x0", "-1", "0.39", "0.39"]


@pytest.mark.parametrize("lang, note", [
    ("en", "so some gradients drift from the exact ones (in brackets): "
           "∂f/∂x0 = 0.40 (0.3932), ∂f/∂w1 = -0.40 (-0.3932), ∂f/∂x1 = -0.60 (-0.5898)"),
    ("zh", "所以有的梯度偏离了精确值（括号里是精确值）：∂f/∂x0 = 0.40 (0.3932), ∂f/∂w1 = -0.40 (-0.3932), "
           "∂f/∂x1 = -0.60 (-0.5898)"),
])
def test_the_drift_from_the_exact_gradients_is_said_once(lang, note):
    # w0 (-0.20 for -0.1966) and w2 (0.20 for 0.1966) round to the same two decimals: not named
    code, out, _ = run(SIGMOID, "--vals", VALS, "--digits", "2", "--hand", "--lang", lang)
    assert code == 0 and out.count(note) == 1 and out.count("∂f/∂x0 = 0.40") == 1
    assert "∂f/∂w0" not in out.split(note)[0][-300:] and "∂f/∂w2 = 0.20 (" not in out
    # nothing drifts at 4 decimals here, and without --hand there is nothing to say
    assert not [w for w in bptutor.derive(SIGMOID, SIGMOID_VALS, hand=4).warnings if w[0] == "hand.drift"]
    assert not [w for w in bptutor.derive(SIGMOID, SIGMOID_VALS).warnings if w[0] == "hand.drift"]


def test_hand_in_json():
    code, out, _ = run(SIGMOID, "--vals", VALS, "--digits", "2", "--hand", "--json")
    data = json.loads(out)
    assert data["hand"] == 2
    assert data["gradients"] == {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}
    assert data["exact_gradients"]["x0"] == pytest.approx(0.39322386648296376)
    assert [s["contribution"] for s in data["steps"] if s["kind"] == "edge"][-4:] == [-0.4, -0.6, -0.2, 0.4]


def test_answers_are_judged_against_the_exact_gradients():
    code, out, _ = run(SIGMOID, "--vals", VALS, "--digits", "2", "--hand", "--answer", "x0=0.3932, x1=-0.60")
    assert code == 0 and "2 of 2 right" in out


def test_the_repl_hand_command():
    out, err = io.StringIO(), io.StringIO()
    s = Session(lang="en", digits=2, out=out, err=err)
    s.handle("w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3")
    s.handle(":hand on")
    s.handle(SIGMOID)
    assert s.last.hand == 2 and s.last.gradients["x1"] == -0.6
    assert "-3 × 0.20 = -0.60" in out.getvalue()
    s.handle(":hand")                      # alone: switches
    s.handle(SIGMOID)
    assert s.last.hand is None and s.last.gradients["x1"] == pytest.approx(-0.5898, abs=1e-4)
    s.handle(":hand maybe")
    assert "on or off" in err.getvalue()


# ---- every seed example, against the numbers its notes print ------------------------------
def test_seed_000_circuit_by_hand():
    d = bptutor.derive(example("cs231n_circuit"), hand=2)
    assert d.value == -12 and d.gradients == {"x": -4, "y": -4, "z": 3}


def test_seed_000_sigmoid_gate_by_hand():
    # "+结点的输出值的局部梯度为 (1-σ(1))σ(1) = 0.2，所以梯度值为 0.2*1 = 0.2"
    d = bptutor.derive(example("sigmoid_gate"), hand=2)
    [gate] = [s for s in d.steps if s.kind == "edge" and d.graph.nodes[s.node].op.name == "sigmoid"]
    assert (gate.local, gate.upstream, gate.contribution) == (0.2, 1.0, 0.2)
    assert d.gradients == {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}


def test_seed_000_sigmoid_neuron_file_by_hand():
    d = bptutor.derive(example("sigmoid_neuron"), hand=2)
    assert d.gradients == {"w0": -0.2, "x0": 0.4, "w1": -0.4, "x1": -0.6, "w2": 0.2}


def test_seed_000_wx_norm_by_hand_keeps_matrices_exact_and_says_so():
    # the notes' picture: q = [0.22, 0.26], ∂f/∂q = [0.44, 0.52], ∂f/∂W = [[0.088, 0.176], [0.104, 0.208]]
    d = bptutor.derive(example("wx_norm"), hand=2)
    assert d.hand is None and d.warnings[-1][0] == "hand.unavailable_arrays"
    assert d.gradients["W"].round(3).tolist() == [[0.088, 0.176], [0.104, 0.208]]
    code, out, _ = run("-f", str(ROOT / "examples" / "wx_norm.bp"), "--digits", "2", "--hand")
    assert code == 0 and "vectors and matrices are shown exact" in out


def test_seed_001_linear_loss_by_hand():
    # loss = (x·w - y)², ∂loss/∂w = 2·x·(x·w - y) = 2·2·(2 - 4) = -8
    d = bptutor.derive(example("linear_loss"), hand=2)
    assert d.value == 4 and d.gradients == {"x": -4, "w": -8, "y": 4}


def test_seed_002_mml_by_hand_rounds_every_step():
    # (5.139) ∂f/∂c = 1/(2√c) - sin c at x = 0.5, to two decimals as by hand
    d = bptutor.derive(example("mml_5_14"), hand=2)
    c = d.index_of("c")
    assert d.node_values[c] == 1.53            # a = 0.25, b = 1.28 (rounded first)
    assert d.grad(c) == pytest.approx(-0.6, abs=1e-12)     # 0.40 + (-1.00), each product rounded
    assert d.exact.grad(c) == pytest.approx(-0.5956, abs=1e-4)


@pytest.mark.parametrize("name", ["cs231n_circuit", "sigmoid_gate", "sigmoid_neuron", "linear_loss", "mml_5_14"])
def test_every_seed_example_by_hand_multiplies_as_printed(name):
    # worked by hand, each product is of the rounded numbers shown: never ≈, as in the notes
    code, out, _ = run("-f", str(ROOT / "examples" / f"{name}.bp"), "--digits", "2", "--hand", "--lang", "zh")
    steps = out.split("反向传播")[1].split("数值检验")[0]
    assert code == 0 and " × " in steps and "≈" not in steps
