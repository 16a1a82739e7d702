"""Checking homework answers: the notes' own hand answers are right, every
mistake in the catalogue is named on a seed example, formulas are judged
around the point, kinks accept any subgradient."""
import json
import math

import pytest

import bptutor
from bptutor.tutor.answers import judge as check, parse_answers, precision
from bptutor.tutor.diagnose import hand_rounded
from bptutor.errors import BptutorError
from helpers import ROOT, run, snapshot

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
CIRCUIT = ("(x+y)*z", {"x": -2, "y": 5, "z": -4})
MML = "a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e"


@pytest.fixture(scope="module")
def neuron():
    return bptutor.derive(SIGMOID, SIGMOID_VALS)


@pytest.fixture(scope="module")
def mml():
    return bptutor.derive(MML, {"x": 0.5})


def one(d, text):
    [v] = check(d, text)
    return v


def label(d, v):
    return d.graph.nodes[v.node].label if v.node is not None else None


# ---- the notes' hand answers ------------------------------------------------------
def test_the_notes_hand_answers_for_the_sigmoid_neuron_are_right(neuron):
    # seed 000: w0 -0.20, x0 0.40 (exactly 0.3932), w1 -0.40, x1 -0.60 (exactly -0.5898), w2 0.20
    verdicts = check(neuron, "w0=-0.20, x0=0.40, w1=-0.40, x1=-0.60, w2=0.20")
    assert all(v.correct for v in verdicts)
    notes = {v.name: v.note_key for v in verdicts}
    assert notes == {"w0": None, "x0": "answers.accepted_rounding", "w1": "answers.accepted_rounding",
                     "x1": "answers.accepted_rounding", "w2": None}
    assert not hasattr(neuron, "answers")         # verdicts are returned, never stored in the Derivation


def test_rounding_every_step_to_two_decimals_gives_the_notes_numbers(neuron):
    hand = hand_rounded(neuron, 0.01)
    inputs = neuron.graph.inputs
    assert {name: hand[i] for name, i in inputs.items()} == \
        {"w0": -0.20, "x0": 0.40, "w1": -0.40, "x1": -0.60, "w2": 0.20}


@pytest.mark.parametrize("answer", ["x0=0.39", "x0=0.3932", "x0=0.393224", "x0=0.4", "x1=-0.5898"])
def test_exact_and_correctly_rounded_answers_are_right_without_a_note(neuron, answer):
    v = one(neuron, answer)
    assert v.correct and v.note_key is None


def test_precision_follows_what_was_written():
    assert precision("0.40") == pytest.approx(0.01)
    assert precision("-0.60") == pytest.approx(0.01)
    assert precision("3.93e-1") == pytest.approx(0.001)
    assert precision("4") is None and precision("1/3") is None and precision("z") is None


def test_exact_answers_are_judged_at_one_in_a_million(neuron):
    assert one(CIRCUIT_D(), "x=-4").correct
    assert one(CIRCUIT_D(), "x=-4.000001").correct is True
    assert not one(CIRCUIT_D(), "x=-4.0001").correct


def CIRCUIT_D():
    return bptutor.derive(*CIRCUIT)


# ---- each mistake, on a seed example --------------------------------------------------
def test_sign_lost_at_a_gate_with_a_negative_local_gradient(neuron):
    v = one(neuron, "x1=0.59")
    assert not v.correct and v.diagnosis == "sign" and label(neuron, v) == "w1*x1"
    assert v.detail["local"] == -3
    v = one(neuron, "x0=-0.39")            # x0's own gate is positive: the sign went at *-1
    assert v.diagnosis == "sign" and label(neuron, v) == "*-1"


def test_missing_upstream_is_the_local_gradient_alone(neuron):
    v = one(neuron, "x0=2")                # ∂(w0*x0)/∂x0 = w0 = 2, not times 0.1966
    assert v.diagnosis == "missing_upstream" and label(neuron, v) == "w0*x0"
    assert v.detail["upstream"] == pytest.approx(0.1966, abs=1e-4)
    d = CIRCUIT_D()
    v = one(d, "x=1")                      # the + gate's local gradient, upstream -4 forgotten
    assert v.diagnosis == "missing_upstream" and label(d, v) == "x+y"


def test_wrong_operand_at_a_multiply_gate():
    d = CIRCUIT_D()
    v = one(d, "z=-4")                     # z given its own value instead of q = x+y = 3
    assert v.diagnosis == "wrong_operand" and label(d, v) == "f"
    assert d.graph.nodes[v.detail["own"]].label == "z" and d.graph.nodes[v.detail["other"]].label == "x+y"


def test_fanout_partial_names_the_node_where_paths_meet(mml):
    # seed 002 (5.139): ∂f/∂c = 0.4037 + (-0.9993); 0.4037 is the d-path alone
    assert mml.grad_of("c") == pytest.approx(-0.5956, abs=1e-4)
    v = one(mml, "c=0.4037")
    assert not v.correct and v.diagnosis == "fanout_partial" and label(mml, v) == "c"
    assert mml.graph.nodes[v.detail["path"]].label == "d"
    v = one(mml, "x=-0.7648")              # (5.141) with only the b-path at a; 2x = 1
    assert v.diagnosis == "fanout_partial" and label(mml, v) == "a"


def test_double_counted_path(mml):
    v = one(mml, "c=-1.5949")              # 0.4037 + 2 × (-0.9993)
    assert v.diagnosis == "double_counted" and mml.graph.nodes[v.detail["path"]].label == "e"


def test_a_value_used_twice_with_one_path_summed():
    d = bptutor.derive("x*x", {"x": 3})
    v = one(d, "x=3")
    assert v.diagnosis == "fanout_partial"


def test_swapped_max_routes_to_the_wrong_input():
    # seed 000: f = max(x, y), ∂f/∂x = 1(x ≥ y)
    d = bptutor.derive("max(x, y)*z", {"x": -2, "y": 5, "z": -4})
    assert d.gradients == {"x": 0, "y": -4, "z": 5}
    assert one(d, "x=-4").diagnosis == "swapped_max"
    assert one(d, "y=0").diagnosis == "swapped_max"


def test_rounding_close_but_outside_the_drift(neuron):
    v = one(neuron, "x0=0.38")
    assert not v.correct and v.diagnosis == "rounding" and v.detail["decimals"] == 2
    assert one(neuron, "x1=-0.5908").diagnosis == "rounding"     # 4 decimals, one digit off
    assert one(CIRCUIT_D(), "x=-3.99").diagnosis == "rounding"


def test_an_unmatched_mistake_gets_no_diagnosis(neuron):
    v = one(neuron, "x0=1.7")
    assert not v.correct and v.diagnosis is None and v.note_key is None


def test_a_number_fitting_several_mistakes_names_none():
    d = bptutor.derive("(x+y)*z", {"x": 1, "y": 1, "z": -2})
    # x: true -2; 2 is both the sign flipped and z's own value given to q (wrong operand)
    v = one(d, "x=2")
    assert v.diagnosis is None and v.note_key == "answers.ambiguous"
    assert set(v.detail["codes"]) >= {"sign", "wrong_operand"}


# ---- formulas ---------------------------------------------------------------------------
def test_formula_answers_right_at_the_point_and_around_it():
    d = CIRCUIT_D()
    verdicts = check(d, "x=z, y=z, z=x+y")
    assert [v.correct for v in verdicts] == [True, True, True]
    assert all(v.formula for v in verdicts) and verdicts[2].given_value == 3
    assert verdicts[0].detail["points"] == 5


def test_a_formula_right_only_at_the_point_is_wrong():
    d = CIRCUIT_D()
    v = one(d, "x=2*z+4")                  # -4 at z = -4, but not around it
    assert v.given_value == -4 and not v.correct and v.diagnosis is None


def test_a_wrong_formula_is_diagnosed_when_it_matches_a_mistake_everywhere():
    d = CIRCUIT_D()
    v = one(d, "x=x+y")                    # q instead of z: the multiply gate's own input
    assert not v.correct and v.diagnosis == "wrong_operand"


def test_formulas_may_use_named_intermediates(mml):
    # (5.110)
    assert one(mml, "x=2*x*(1/(2*sqrt(c)) - sin(c))*(1 + exp(x^2))").correct
    v = one(mml, "x=2*x*(1/(2*sqrt(c)) - sin(c))")            # the b-path into a forgotten
    assert not v.correct and v.diagnosis == "fanout_partial"


def test_a_formula_undefined_at_the_point_is_wrong():
    d = bptutor.derive("x*y", {"x": 2, "y": -1})
    v = one(d, "x=log(y)")
    assert not v.correct and v.note_key == "answers.formula_undefined"


# ---- kinks ----------------------------------------------------------------------------------
def test_at_a_kink_any_subgradient_is_right_and_pytorch_is_named():
    d = bptutor.derive("relu(x)*y", {"x": 0, "y": 3})
    for answer in ("x=0", "x=1.5", "x=3"):
        v = one(d, answer)
        assert v.correct and v.note_key == "answers.kink"
        assert (v.detail["low"], v.detail["high"], v.detail["pytorch"]) == (0, 3, 0)
    assert not one(d, "x=4").correct
    tie = bptutor.derive("max(x, y)", {"x": 2, "y": 2})
    assert one(tie, "x=1").correct and one(tie, "x=0.5").detail["pytorch"] == 0.5
    assert not one(tie, "x=1.5").correct


# ---- input: names, dicts, errors --------------------------------------------------------------
def test_parse_answers_keeps_the_text_as_written():
    assert parse_answers("x0=0.40, w0 = -0.20; x = z+1") == [
        ("x0", "0.40", (0, 7)), ("w0", "-0.20", (9, 19)), ("x", "z+1", (21, 28))]
    assert parse_answers("ｘ０＝０．４０")[0][1] == "0.40"         # full-width, as a Chinese IME types


def test_dict_answers_numbers_and_formulas(neuron):
    sigma = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
    verdicts = check(neuron, {"x0": 0.4, "w2": "0.1966", "w1": f"x1*(1-{sigma})*{sigma}", "x1": "1-1+0.5898"})
    assert verdicts[0].given == "0.4" and verdicts[0].correct          # one decimal written
    assert verdicts[1].correct and not verdicts[1].formula
    assert verdicts[2].correct and verdicts[2].formula
    assert not verdicts[3].correct                                       # an expression claims exactness


@pytest.mark.parametrize("text, key", [
    ("q=1", "answers.unknown_target"), ("x=1, x=2", "answers.duplicate"),
    ("x=w", "answers.unknown_name"), ("", "answers.empty"), ("x=", "syntax."),
])
def test_bad_answers_are_input_errors(text, key):
    with pytest.raises(BptutorError) as exc:
        check(CIRCUIT_D(), text)
    assert exc.value.key.startswith(key)


def test_verdict_to_dict_is_the_json_contract(neuron):
    v = one(neuron, "x1=0.59")
    assert v.to_dict() == {"name": "x1", "given": "0.59", "expected": pytest.approx(-0.5898, abs=1e-4),
                           "correct": False, "diagnosis": "sign"}


# ---- the command line ------------------------------------------------------------------------
def test_cli_answers_en_snapshot():
    code, out, err = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--lang", "en",
                         "--answer", "w0=-0.20, x0=0.40", "--answer", "x1=0.59, w1=-2")
    assert code == 1 and err == ""
    assert "accepted, rounding" in out and "sign lost" in out and "2 of 4 right" in out
    assert "upstream not multiplied" in out
    snapshot("answers_sigmoid_en.txt", out)


def test_cli_answers_zh_snapshot():
    code, out, _ = run("-f", str(ROOT / "examples" / "mml_5_14.bp"), "--lang", "zh",
                       "--answer", "c=0.4037, x=-1.3604")
    assert code == 1
    assert "漏加路径" in out and "∂f/∂c = ∂f/∂d·∂d/∂c + ∂f/∂e·∂e/∂c = 0.4037 + (-0.9993) = -0.5956" in out
    snapshot("answers_mml_zh.txt", out)


def test_cli_all_right_exits_0_and_json_has_answers():
    code, out, _ = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--answer", "x=z, y=-4, z=3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["answers"] == [
        {"name": "x", "given": "z", "expected": -4, "correct": True, "diagnosis": None},
        {"name": "y", "given": "-4", "expected": -4, "correct": True, "diagnosis": None},
        {"name": "z", "given": "3", "expected": 3, "correct": True, "diagnosis": None}]
    code, out, _ = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--answer", "x=4", "--json")
    assert code == 1 and json.loads(out)["answers"][0]["diagnosis"] == "sign"


def test_cli_bad_answer_is_an_input_error_with_a_caret():
    code, out, err = run("(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--answer", "x=1, q=2", "--lang", "zh")
    assert code == 2 and out == ""
    assert "题目中没有 q" in err and "x=1, q=2" in err and "\n       ^" in err


def test_a_plain_run_does_not_import_the_answer_checker():
    import subprocess
    import sys
    code = ("import sys; from bptutor.app.cli import main; import io; "
            "main(['x*y','--vals','x=1,y=2'], io.StringIO(), io.StringIO()); "
            "print('bptutor.tutor.answers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
    assert out.strip() == "False"


def test_hand_rounding_stays_out_of_exact_answers():
    # An integer claims the exact value: 0 is not accepted for 1e-3 because 0.00 would be.
    d = bptutor.derive("x*y", {"x": 1, "y": 0.001})
    assert not one(d, "x=0").correct and one(d, "x=0.00").correct
    assert math.isclose(one(d, "x=0.001").given_value, 0.001)


def test_a_sign_lost_at_one_of_several_gates_names_them_all(neuron):
    v = one(neuron, "x1=0.59")
    assert {neuron.graph.nodes[i].label for i in v.detail["others"]} == {"*-1", "f"}


def test_many_paths_give_no_diagnosis_by_coincidence():
    # y feeds 30 gates: one path's contribution is a wrong version only for hand-sized fan-out
    src = "+".join(f"sin(x{i}*y)" for i in range(30))
    d = bptutor.derive(src, {**{f"x{i}": 0.1 * i for i in range(30)}, "y": 0.7})
    [path] = [s for s in d.steps if s.kind == "edge" and s.target == d.graph.inputs["y"]][:1]
    v = one(d, f"y={path.contribution!r}")
    assert not v.correct and v.diagnosis is None


def test_render_at_80_columns_in_both_languages(neuron, mml):
    from bptutor.render.answers import render_answers
    from helpers import render_text
    verdicts = check(neuron, "w0=-0.20, x0=-0.39, x1=-0.60, w2=1")
    snapshot("answers_render_en_80.txt", render_text(render_answers(neuron, verdicts, "en", 2)))
    verdicts = check(mml, "c=0.4037, a=-1.3604, x=2*x*(1/(2*sqrt(c)) - sin(c))")
    snapshot("answers_render_zh_80.txt", render_text(render_answers(mml, verdicts, "zh", 4)))


def test_formulas_may_use_the_output_as_f(neuron):
    # seed 000: the sigmoid gate's local gradient (1-σ)σ, with σ the output f
    verdicts = check(neuron, "w2=(1-f)*f, x0=w0*(1-f)*f, x1=w0*(1-f)*f")
    assert [v.correct for v in verdicts] == [True, True, False]


# ---- vectors and matrices (seed 000: f = ||W·x||², ∂f/∂W = 2q·xᵀ, ∂f/∂x = 2Wᵀq) ----------------------
@pytest.fixture(scope="module")
def wx():
    return bptutor.derive((ROOT / "examples" / "wx_norm.bp").read_text())


def test_matrix_answers_right_at_the_precision_written(wx):
    assert one(wx, "W=[[0.088, 0.176], [0.104, 0.208]]").correct
    assert one(wx, "W=[[0.09, 0.18], [0.10, 0.21]]").correct
    assert one(wx, "x=[-0.112, 0.636]").correct
    assert one(wx, "x=2*W.T@q").correct                     # the notes' formula 2Wᵀq


def test_transposed_gradient_and_wrong_product_order(wx):
    v = one(wx, "W=[[0.088, 0.104], [0.176, 0.208]]")       # (2q·xᵀ)ᵀ
    assert not v.correct and v.diagnosis == "transpose"
    v = one(wx, "x=[0.304, 0.284]")                         # W·2q instead of Wᵀ·2q
    assert v.diagnosis == "transpose" and wx.graph.nodes[v.node].label == "q"
    v = one(wx, "x=2*W@q")                                  # the same, as a formula
    assert not v.correct and v.diagnosis == "transpose"
    assert one(wx, "x=[0.112, -0.636]").diagnosis == "sign"


def test_an_answer_of_the_wrong_shape(wx):
    v = one(wx, "W=[0.088, 0.176]")
    assert not v.correct and v.note_key == "answers.shape" and v.detail["shape"] == [2, 2]
    code, out, _ = run("-f", str(ROOT / "examples" / "wx_norm.bp"), "--lang", "en",
                       "--answer", "W=[[0.088, 0.104], [0.176, 0.208]], x=[0.1, 0.2, 0.3]")
    assert code == 1 and "transposed" in out and "shape (3,)" in out
    snapshot("answers_wx_en.txt", out)


# ---- properties -------------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

small = st.integers(-30, 30).map(lambda k: k / 10)


@settings(max_examples=60, deadline=None)
@given(st.tuples(small, small, small, small, small))
def test_rounded_and_hand_rounded_answers_are_right_and_a_flipped_sign_is_not(vals):
    d = bptutor.derive(SIGMOID, dict(zip(("w0", "x0", "w1", "x1", "w2"), vals)))
    hand = hand_rounded(d, 0.01)
    for name, i in d.graph.inputs.items():
        g = d.grad(i)
        assert one(d, f"{name}={g!r}").correct
        assert one(d, f"{name}={g:.2f}").correct
        assert one(d, f"{name}={hand[i]:.2f}").correct
        if abs(g) > 0.05:
            v = one(d, f"{name}={-g!r}")
            assert not v.correct and v.diagnosis in ("sign", None)


def replay(d, x, local_of=lambda s: s.local, upstream_of=lambda s, up: up, keep=lambda s: True):
    """Backward again over the recorded edges with one rule changed: the brute-force
    check of the wrong versions answers.py computes in closed form."""
    grads = {d.graph.output: 1.0}
    for s in d.steps:
        if s.kind == "edge" and s.node in grads and keep(s):
            up = upstream_of(s, grads[s.node])
            grads[s.target] = grads.get(s.target, 0.0) + local_of(s) * up
    return grads.get(x, 0.0)


@pytest.mark.parametrize("src, vals", [(SIGMOID, SIGMOID_VALS), (MML, {"x": 0.5}),
                                       ("max(x, y)*z + x*y", {"x": -2, "y": 5, "z": -4})])
def test_every_wrong_version_is_what_backward_gives_with_that_mistake(src, vals):
    from bptutor.tutor.diagnose import Paths
    d = bptutor.derive(src, vals)
    paths = Paths(d)
    for name, x in d.graph.inputs.items():
        for w in paths.wrong_versions(x, d.grad(x)):
            n, detail = w.node, dict(w.detail)
            if w.code == "missing_upstream":
                brute = replay(d, x, upstream_of=lambda s, up: 1.0 if s.node == n else up)
            elif w.code == "sign" and n is not None:
                flip = lambda s: -s.local if s.node == n and s.local < 0 and paths.tangent(x)[s.target] else s.local  # noqa: E731
                brute = replay(d, x, local_of=flip)
            elif w.code == "wrong_operand":
                brute = replay(d, x, local_of=lambda s: d.node_values[s.target]
                               if s.node == n and paths.tangent(x)[s.target] else s.local)
            elif w.code == "swapped_max":
                brute = replay(d, x, local_of=lambda s: 1 - s.local if s.node == n else s.local)
            elif w.code == "fanout_partial":
                brute = replay(d, x, keep=lambda s: s.target != n or s.node == detail["path"])
            elif w.code == "double_counted":
                brute = replay(d, x, local_of=lambda s: 2 * s.local if s.target == n and s.node == detail["path"]
                               else s.local)
            else:
                continue
            assert w.value == pytest.approx(brute, rel=1e-9, abs=1e-12), (name, w)
