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
def test_sign_lost_at_a_gate_with_a_negative_local_gradient():
    d = CIRCUIT_D()
    v = one(d, "x=4")                      # ∂f/∂x = z = -4: the * gate's local gradient -4 taken as 4
    assert not v.correct and v.diagnosis == "sign" and label(d, v) == "f" and not v.either
    assert v.detail["local"] == -4


def either(d, v):
    return [(code, d.graph.nodes[node].label if node is not None else None, (detail or {}).get("slip"))
            for code, node, detail in v.either]


def test_several_mistakes_giving_the_same_number_are_all_named(neuron):
    # x1 = -0.5898: 0.59 is the sign lost at w1*x1, or the −1 of exp(−z) dropped at *-1,
    # or the minus of (1/u)' = −1/u² dropped at 1/x: each computed, none picked
    v = one(neuron, "x1=0.59")
    assert not v.correct and v.diagnosis is None and v.note_key == "answers.either"
    assert either(neuron, v) == [("sign", "w1*x1", None), ("local", "*-1", "exp_minus"),
                                 ("local", "f", "recip_minus")]
    from bptutor.render.answers import why
    from bptutor.render.plain import Narration
    text = why(v, Narration(neuron, "en", 4))
    assert text.startswith("several mistakes give this number: either the sign was lost at node w1*x1")
    assert ", or the −1 of −z is missing at node *-1" in text and ", or at node f the minus is missing" in text


def test_missing_upstream_is_the_local_gradient_alone(neuron):
    v = one(neuron, "x0=2")                # ∂(w0*x0)/∂x0 = w0 = 2, not times 0.1966
    assert v.diagnosis == "missing_upstream" and label(neuron, v) == "w0*x0"
    assert v.detail["upstream"] == pytest.approx(0.1966, abs=1e-4)
    # the + gates above pass 0.1966 unchanged: forgetting it there gives 2 as well
    assert [place for _, place, _ in either(neuron, v)] == ["w0*x0", "w0*x0+w1*x1", "+₂"]
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


def test_a_number_fitting_several_kinds_of_mistake_names_each():
    d = bptutor.derive("(x+y)*z", {"x": 1, "y": 1, "z": -2})
    # x: true -2; 2 is both the sign flipped and q's own value given to q (wrong operand)
    v = one(d, "x=2")
    assert v.diagnosis is None and v.note_key == "answers.either"
    assert either(d, v) == [("sign", "f", None), ("wrong_operand", "f", None)]


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
                           "correct": False, "diagnosis": None, "either": ["sign", "local", "local"]}
    assert one(CIRCUIT_D(), "x=4").to_dict() == {"name": "x", "given": "4", "expected": -4, "correct": False,
                                                 "diagnosis": "sign", "either": []}


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
        {"name": "x", "given": "z", "expected": -4, "correct": True, "diagnosis": None, "either": [], "at": None,
         "either_at": []},
        {"name": "y", "given": "-4", "expected": -4, "correct": True, "diagnosis": None, "either": [], "at": None,
         "either_at": []},
        {"name": "z", "given": "3", "expected": 3, "correct": True, "diagnosis": None, "either": [], "at": None,
         "either_at": []}]
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
    # An integer claims the exact value, and so does zero however it is written:
    # 0 is not accepted for 1e-3 although rounding y to two decimals gives 0.00.
    d = bptutor.derive("x*y", {"x": 1, "y": 0.001})
    for zero in ("0", "0.0", "0.00", "-0.000", "0.0e99", "0e5", "0.0E-3"):
        assert not one(d, f"x={zero}").correct, zero
    assert one(d, "x=0.001").correct and math.isclose(one(d, "x=0.001").given_value, 0.001)
    assert one(d, "x=1e-3").correct and one(d, "x=0.0010").correct and one(d, "x=1.0e-3").correct


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
        for rounded in (f"{g:.2f}", f"{hand[i]:.2f}"):
            # zero however written claims the exact value: 0.00 is right only for 0
            assert one(d, f"{name}={rounded}").correct == (float(rounded) != 0 or g == 0)
        if abs(g) > 0.05:
            v = one(d, f"{name}={-g!r}")     # a sign lost at a gate, or (1/u)' or (e^−z)' without its minus
            named = {code for code, _, _ in v.either} | {v.diagnosis} - {None}
            assert not v.correct and (not named or named & {"sign", "local"})


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


# ---- issue 15: an answer checker that cannot be gamed ----------------------------------------
@pytest.mark.parametrize("given, unit", [
    ("0.40", 0.01), ("1.98", 0.01), ("3.93e-1", 0.001), ("1.0e-3", 1e-4), ("-0.60", 0.01), ("1.5e3", 100),
    ("0", None), ("0.0", None), ("0.00", None), ("0.0e99", None), ("-0.000E-5", None), ("4", None), ("1/3", None),
])
def test_precision_is_the_significant_digits_written_and_zero_is_exact(given, unit):
    assert precision(given) == (pytest.approx(unit) if unit else None)


def test_zero_written_with_a_huge_exponent_is_not_every_answer(tmp_path):
    code, out, _ = run("x*y+z", "--vals", "x=1,y=2,z=3", "--answer", "x=0.0e99, y=0.0e99, z=0.0e99", "--json")
    assert code == 1 and [a["correct"] for a in json.loads(out)["answers"]] == [False, False, False]
    from test_grade import grade, write
    hw = write(tmp_path, '[[problem]]\nexpr = "x*y+z"\nvals = "x=1,y=2,z=3"\n'
                         'answers = { x = "0.0e99", y = "0.0e99", z = "0.0e99" }\n')
    code, out, _ = grade(hw, "--json")
    assert code == 1 and json.loads(out)["score"] == 0


def test_rounding_is_accepted_for_what_hand_rounding_gives_not_a_band_that_grows():
    # 100 factors of 1.004: exactly 1.004^100 = 1.4906; rounded by hand to two decimals
    # every factor is 1.00, so the notes' way gives 1.00. 1.98 is neither.
    d = bptutor.derive("x" + "*1.004" * 100, {"x": 1})
    assert d.grad_of("x") == pytest.approx(1.004 ** 100) and round(d.grad_of("x"), 4) == 1.4906
    v = one(d, "x=1.98")
    assert not v.correct and v.note_key is None
    assert one(d, "x=1.49").correct and one(d, "x=1.4906").correct
    v = one(d, "x=1.00")
    assert v.correct and v.note_key == "answers.accepted_rounding" and v.detail["hand"] == 1.0
    for between in ("1.25", "1.10", "1.40"):        # between the two is neither
        assert not one(d, f"x={between}").correct


def test_an_answer_names_the_programs_last_binding_of_a_name():
    # a = x*2; a = a*3: the program's `a` at its end is a*3 = 6, with ∂f/∂a = 1
    d = bptutor.derive("a = x*2; a = a*3; f = a + x", {"x": 1})
    verdicts = check(d, "a=1, x=7")
    assert [v.correct for v in verdicts] == [True, True]
    assert all(v.diagnosis is None and v.note_key is None and not v.either for v in verdicts)
    assert not one(d, "a=3").correct            # the first binding's gradient is not `a`'s
    assert one(d, "x=a/x + 1").correct          # formulas read `a` as 6x too: 7
    code, out, _ = run("a = x*2; a = a*3; f = a + x", "--vals", "x=1", "--answer", "a=1, x=7", "--lang", "en")
    assert code == 0 and "2 of 2 right" in out


def test_a_grading_file_names_the_last_binding_too(tmp_path):
    from test_grade import grade, write
    hw = write(tmp_path, '[[problem]]\nexpr = "a = x*2; a = a*3; f = a + x"\nvals = "x=1"\n'
                         'answers = { a = 1, x = 7 }\n')
    code, out, _ = grade(hw, "--json")
    assert code == 0 and json.loads(out)["score"] == 1


def test_the_half_forgotten_in_a_square_root_is_named_beside_the_path_counted_twice(mml):
    # seed 002 (5.139): ∂f/∂c = 1/(2√c) - sin c = -0.5956. Without the ½: 1/√c - sin c = -0.1919,
    # which is also 0.4037 (the d-path) counted twice: both are computed, both are named
    assert mml.grad_of("c") == pytest.approx(-0.5956, abs=1e-4)
    v = one(mml, "c=-0.1919")
    assert not v.correct and v.note_key == "answers.either"
    assert either(mml, v) == [("double_counted", "c", None), ("local", "d", "sqrt_half")]
    code, out, _ = run("-f", str(ROOT / "examples" / "mml_5_14.bp"), "--lang", "en", "--answer", "c=-0.1919")
    assert code == 1 and "either the path from node d into node c was counted twice" in out
    assert "or at node d the ½ is missing: (√u)' = 1/(2√u) = 0.4037, not 1/√u = 0.8074" in out
    # on x (5.110) the same two: 2x·(1/√c − sin c)·(1 + e^(x²))
    x, c = 0.5, 0.25 + math.exp(0.25)
    wrong = 2 * x * (1 / math.sqrt(c) - math.sin(c)) * (1 + math.exp(x * x))
    v = one(mml, f"x={wrong:.4f}")
    assert either(mml, v) == [("double_counted", "c", None), ("local", "d", "sqrt_half")]


SLIP_CASES = [
    # (program, values, input, slip, node label): each slip on a seed-like example
    (SIGMOID, SIGMOID_VALS, "w2", "recip_minus", "f"),            # seed 000: 1/x without its minus
    (SIGMOID, SIGMOID_VALS, "w2", "recip_square", "f"),           # 1/x without its square
    (SIGMOID, SIGMOID_VALS, "w2", "exp_minus", "*-1"),            # (e^−z)' as e^−z
    ("sigmoid(w0*x0+w1*x1+w2)", SIGMOID_VALS, "w2", "sigmoid_self", "f"),    # σ' as σ
    ("(x*w - y)^2", {"x": 2, "w": 1, "y": 4}, "w", "power_factor", "f"),     # seed 001: (u²)' as u
    ("tanh(w*x + b)", {"w": 0.5, "x": 2, "b": -0.3}, "w", "tanh_one_minus", "f"),
    ("log(sigmoid(w*x))", {"w": 0.5, "x": 2}, "w", "log_as_x", "f"),
    (MML, {"x": 0.5}, "x", "sqrt_half", "d"),                     # seed 002
    ("x/y", {"x": 3, "y": 2}, "y", "recip_minus", "f"),           # a quotient's denominator
    ("x/y", {"x": 3, "y": 2}, "y", "recip_square", "f"),
]


def slip_value(d, name, slip, where):
    """∂f/∂name by brute force: backward again with the slip's local gradient at `where`."""
    n = next(i for i, node in enumerate(d.graph.nodes) if node.label == where)
    node = d.graph.nodes[n]
    [(k, wrong_local)] = [(k, f) for s, k, f in node.op.slips if s == slip]
    xp = __import__("bptutor.core.xp", fromlist=["ScalarNS"]).ScalarNS
    wrong = wrong_local(xp, node.c, d.node_values[n], *[d.node_values[j] for j in node.args])
    return replay(d, d.graph.inputs[name], local_of=lambda s: wrong if s.node == n and s.k == k else s.local)


@pytest.mark.parametrize("src, vals, name, slip, where", SLIP_CASES, ids=[c[3] + ":" + c[0][:12] for c in SLIP_CASES])
def test_each_wrong_local_derivative_is_computed_at_its_node_and_named(src, vals, name, slip, where):
    d = bptutor.derive(src, vals)
    value = slip_value(d, name, slip, where)
    assert value != pytest.approx(d.grad_of(name))
    v = one(d, f"{name}={value!r}")
    assert not v.correct
    found = [(code, place, s) for code, place, s in either(d, v)] or [(v.diagnosis, label(d, v), v.detail["slip"])]
    assert ("local", where, slip) in found


def test_a_mistake_that_was_not_computed_is_never_named(neuron, mml):
    # numbers no catalogued mistake gives: wrong, and nothing named
    for d, answer in ((neuron, "x0=1.7"), (neuron, "w1=0.25"), (mml, "c=3.5"), (mml, "x=0.1234")):
        v = one(d, answer)
        assert not v.correct and v.diagnosis is None and not v.either


@pytest.mark.parametrize("op", [op for op in bptutor.core.ops.ROWS if op.slips], ids=lambda op: op.name)
def test_every_slip_on_a_row_has_its_sentence_and_is_another_number(op):
    from bptutor.core.xp import ScalarNS
    from bptutor.i18n import LANGS, catalog
    sentences = catalog("answers")
    for slip, k, wrong_local in op.slips:
        assert all(lang in sentences[f"answers.slip_{slip}"] for lang in LANGS)
        xs = (0.7, 1.3)[:op.arity]
        c = 2.0 if op.constant == "number" else None
        out = op.forward(ScalarNS, c, *xs)
        assert wrong_local(ScalarNS, c, out, *xs) != op.local[k](ScalarNS, c, out, *xs), slip
