"""One name per node (lang/names.py), the same in every view and accepted by
--answer; `e^x` is the exp gate; statements that do not reach the output are
named in a warning; --wrt trims the steps to the paths asked for."""
import io
import json
import re
import math

import pytest

import bptutor
from bptutor.lang.parse import parse
from bptutor.render.terminal import render
from rich.console import Console
from bptutor.tutor.answers import judge
from helpers import ROOT, run

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}


def labels(source):
    return [n.label for n in parse(source).nodes]


# ---- the names -------------------------------------------------------------------
def test_the_sigmoid_is_named_as_the_notes_draw_it():
    # the notes' gates +1, *-1, exp where the text is long; the two sums are told apart
    assert labels(SIGMOID) == ["w0", "x0", "w0*x0", "w1", "x1", "w1*x1", "w0*x0+w1*x1", "w2", "+₂", "*-1",
                               "exp", "+1", "f"]


def test_a_repeated_subexpression_is_numbered_by_its_text():
    assert labels("(x*y+z)*(x*y-z)") == ["x", "y", "x*y₁", "z", "x*y+z", "x*y₂", "x*y-z", "f"]
    # MML (5.109) typed as one expression: the two sums under sqrt and cos are two nodes
    names = labels("sqrt(x^2+exp(x^2)) + cos(x^2+exp(x^2))")
    assert names.count("x^2+exp(x^2)₁") == names.count("x^2+exp(x^2)₂") == 1
    assert [n for n in names if n.startswith("x^2") and len(n) == 4] == ["x^2₁", "x^2₂", "x^2₃", "x^2₄"]


def test_a_long_text_takes_its_gate_numbered_when_the_gate_repeats():
    assert labels("(aaaaaa+bbbbbbb)*(ccccc+ddddddd)+1") == [
        "aaaaaa", "bbbbbbb", "+₁", "ccccc", "ddddddd", "+₂", "*", "f"]


def test_a_reassigned_name_is_versioned_the_last_binding_keeps_it():
    assert labels("c = a + b; c = c + 1; c = c * 2; f = c - 1") == ["a", "b", "c₁", "c₂", "c", "f"]
    # an input read before its name is bound again: the input is the first binding
    assert labels("x = x + 1; x * 3") == ["x₁", "x", "f"]


@pytest.mark.parametrize("source", [
    SIGMOID, "(x*y+z)*(x*y-z)", "sqrt(x^2+exp(x^2)) + cos(x^2+exp(x^2))",
    "c = a + b; c = c + 1; c*2", "exp(x) + exp(y) + exp(x*y) + exp(exp(x))",
    "f = 3; g = f*x + f*x", "x + x + x + x", "q = W @ x; f = sum(q^2)",
    (ROOT / "examples" / "two_layer_l2.bp").read_text(),
    (ROOT / "examples" / "softmax_loss.bp").read_text(),
])
def test_every_node_has_its_own_name(source):
    g = parse(source)
    names = [n.label for n in g.nodes if n.op.name != "const"]
    assert all(names) and len(set(names)) == len(names), names


def test_names_are_stable():
    assert labels(SIGMOID) == labels(SIGMOID)
    assert labels("(x*y+z)*(x*y-z)") == labels("(x * y + z) * (x * y - z)")


# ---- one name in every view -----------------------------------------------------------
def test_json_names_every_node_and_step_by_its_name():
    code, out, _ = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--json")
    data = json.loads(out)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert list(nodes) == labels(SIGMOID)
    assert set(data["nodes"][0]) == {"name", "op", "inputs", "value", "gradient"}
    assert nodes["+₂"]["inputs"] == ["w0*x0+w1*x1", "w2"] and nodes["+₂"]["op"] == "add"
    assert nodes["w0*x0"]["value"] == -2 and nodes["w0*x0"]["gradient"] == pytest.approx(0.1966, abs=1e-4)
    assert {s["node"] for s in data["steps"]} <= set(nodes)
    assert {s["target"] for s in data["steps"] if s["kind"] == "edge"} <= set(nodes)
    assert data["hand"] is None


def test_the_forward_pass_and_steps_print_the_names():
    code, out, _ = run("(x*y+z)*(x*y-z)", "--vals", "x=1,y=2,z=3")
    assert code == 0
    assert "x*y₁ = 2" in out and "x*y₂ = 2" in out
    assert "∂f/∂(*)" not in out


# ---- answers by every printed name -------------------------------------------------------
@pytest.mark.parametrize("source, values", [
    (SIGMOID, SIGMOID_VALS),
    ("(x*y+z)*(x*y-z)", {"x": 1, "y": 2, "z": 3}),
    ("c = a + b; c = c + 1; c*2", {"a": 1, "b": 2}),
    ("sqrt(x^2+exp(x^2)) + cos(x^2+exp(x^2))", {"x": 0.5}),
    ("sigmoid(w0*x0+w1*x1+w2)", SIGMOID_VALS),
])
def test_every_printed_name_is_an_answer_name(source, values):
    d = bptutor.derive(source, values)
    text = ", ".join(f"{name}={d.grad(i)!r}" for name, i in d.names.items())
    verdicts = judge(d, text)
    assert [v.name for v in verdicts] == list(d.names)
    assert all(v.correct for v in verdicts)
    wrong = judge(d, ", ".join(f"{name}={d.grad(i) + 1!r}" for name, i in d.names.items()))
    assert not any(v.correct for v in wrong)


def test_answers_name_intermediates_as_the_narration_prints_them():
    code, out, err = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--digits", "2",
                         "--answer", "w0*x0=0.20, +₂ = 0.20; *-1=-0.20 +1=-0.53", "--answer", "f=1")
    assert (code, err) == (0, "")
    assert "5 of 5 right" in out
    # a wrong one is named as typed
    code, out, _ = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--answer", "w0×x0=0.3")
    assert code == 1 and "∂f/∂w0*x0" in out


def test_a_reassigned_name_answers_for_its_last_binding_and_c1_for_the_first():
    d = bptutor.derive("c = a * b; c = c * 3; c * 2", {"a": 1, "b": 2})
    assert d.grad_of("c") == 2 and d.grad_of("c₁") == 6
    first, last = judge(d, "c₁=6, c=2")
    assert first.correct and last.correct
    [wrong] = judge(d, "c=6")              # ∂f/∂c₁ given for c
    assert not wrong.correct
    code, out, _ = run("--help")
    assert "c₁" in out


def test_an_unknown_name_lists_the_names_one_may_use():
    code, _, err = run("(x*y+z)*(x*y-z)", "--vals", "x=1,y=2,z=3", "--answer", "q=1")
    assert code == 2
    assert "answers may name: x, y, x*y₁, z, x*y+z, x*y₂, x*y-z, f" in err


def test_formulas_read_the_last_binding_of_a_name():
    d = bptutor.derive("c = a * b; c = c * 3; f = c * c", {"a": 1, "b": 2})    # c = 6, ∂f/∂c = 2c = 12
    [v] = judge(d, "c=2*c")
    assert v.correct


# ---- e^x, unused statements, --wrt ---------------------------------------------------------
def test_e_to_the_x_is_the_exp_gate():
    g = parse("e^x")
    assert [n.op.name for n in g.nodes] == ["input", "exp"]
    assert [n.op.name for n in parse("e**(-x)").nodes] == ["input", "neg", "exp"]
    d = bptutor.derive("e^(2*x)", {"x": 0.5})
    assert d.gradients["x"] == pytest.approx(2 * math.e)
    assert bptutor.derive("e^x", {"x": 1, "e": 2}).gradients["x"] == pytest.approx(2 * math.log(2))


@pytest.mark.parametrize("lang, text", [
    ("en", "not used to compute the output b, so left out of the steps: a = x*y"),
    ("zh", "以下语句的值没有用于计算输出 b，所以步骤中不讲：a = x*y"),
])
def test_a_statement_that_does_not_reach_the_output_is_named(lang, text):
    code, out, _ = run("a = x*y; b = x+y", "--vals", "x=1,y=2", "--lang", lang)
    assert code == 0 and text in out
    d = bptutor.derive("k = 3; x*y; a = x*y; b = x+y*k", {"x": 1, "y": 2})
    assert d.warnings[-1] == ("graph.unreached", {"f": "b", "statements": "x*y; a = x*y"})
    assert not bptutor.derive("a = x*y; b = a + 1", {"x": 1, "y": 2}).warnings


def test_wrt_trims_the_steps_to_the_paths_asked_for():
    d = bptutor.derive(SIGMOID, SIGMOID_VALS, wrt="w0")
    targets = [d.graph.nodes[s.target].label for s in d.steps if s.kind == "edge"]
    assert targets == ["+1", "exp", "*-1", "+₂", "w0*x0+w1*x1", "w0*x0", "w0"]
    code, out, _ = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--wrt", "x1,w2")
    assert "towards x1" in out and "towards w2" in out
    assert "towards w0" not in out and "towards x0" not in out and "towards w1" not in out
    # where paths meet, the sum counts only the paths kept
    d = bptutor.derive("a = x*y; f = a*x + a*z", {"x": 1, "y": 2, "z": 3}, wrt="z")
    assert not [s for s in d.steps if s.kind == "sum"]


def test_grading_files_take_the_printed_names(tmp_path):
    homework = tmp_path / "hw.toml"
    homework.write_text('''
[[problem]]
name = "sigmoid, intermediates by their printed names"
expr = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
vals = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
answers = { "w0*x0" = 0.20, "+₂" = 0.20, "*-1" = -0.20 }

[[problem]]
name = "a name assigned twice"
expr = "c = a * b; c = c * 3; c * 2"
vals = "a=1,b=2"
answers = { "c₁" = 6, c = 2 }
''', encoding="utf-8")
    code, out, err = run("grade", str(homework), "--json")
    assert (code, err) == (0, "")
    problems = json.loads(out)["problems"]
    assert [p["correct"] for p in problems] == [True, True]
    assert [a["name"] for a in problems[0]["answers"]] == ["w0*x0", "+₂", "*-1"]


def test_a_tie_in_max_is_written_as_the_half_each_input_gets():
    # at a tie PyTorch gives each input half: 1(3>3) alone would say 0 = 0.5
    code, out, _ = run("max(x,y)", "--vals", "x=3,y=3")
    assert code == 0 and "1(x>y) + ½·1(x=y) = 1(3>3) + ½·1(3=3) = 0.5000" in out
    assert "1(3>3) = 0.5" not in out


def test_the_english_path_sentence_cannot_be_read_as_a_subtraction():
    # "this path gives node c -0.9993 × 1" read as "c − 0.9993"
    code, out, _ = run("a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e", "--vals", "x=0.5")
    assert "so this path adds -0.9993 × 1 = -0.9993 to the gradient of node c" in out
    assert "gives node c -0.9993" not in out


# ---- every name the text output prints is an answer name, judged right ---------------
PRINTED = re.compile(r"(?:gradient of (?:node )?|towards (?:node )?|meet at (?:node )?)(\S+?)(?: is |: |, | \()")


def printed_names(d) -> list[str]:
    """The names the forward pass and the steps print for nodes, in order of appearance."""
    console = Console(file=io.StringIO(), width=4000, color_system=None)
    console.print(render(d, "en", 4))
    text = console.file.getvalue()
    forward = text.split("Forward pass (left to right)\n", 1)[1].split("\n", 1)[0]
    found = [item.split(" = ")[0] for item in forward.split("  ·  ")]
    found += PRINTED.findall(text.split("Backward pass", 1)[1])
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("source, values", [
    (SIGMOID, SIGMOID_VALS),
    ("(x*y+z)*(x*y-z)", {"x": 1, "y": 2, "z": 3}),
    ("c = a + b; c = c + 1; c*2", {"a": 1, "b": 2}),
    ("a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e", {"x": 0.5}),
    ("sqrt(x^2+exp(x^2)) + cos(x^2+exp(x^2))", {"x": 0.5}),
    ("max(x,y)*z + x", {"x": 1, "y": 2, "z": 3}),
    ((ROOT / "examples" / "cs231n_circuit.bp").read_text(), None),
])
def test_answers_given_by_every_printed_name_are_judged_right(source, values):
    d = bptutor.derive(source, values)
    names = printed_names(d)
    assert len(names) >= len(d.graph.nodes) - 1 - sum(n.op.name == "const" for n in d.graph.nodes)
    verdicts = judge(d, ", ".join(f"{name}={d.grad_of(name)!r}" for name in names))
    assert [v.name for v in verdicts] == names and all(v.correct for v in verdicts), names
    # and wrong when the number is not the gradient of the node so named
    wrong = judge(d, ", ".join(f"{name}={d.grad_of(name) + 0.5!r}" for name in names))
    assert not any(v.correct for v in wrong)


def test_a_diagnosis_names_nodes_as_the_steps_do_and_defines_its_rule_s_letters():
    code, out, _ = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--answer", "w0=0.20")
    assert code == 1
    # the sign lost at 1/x's rule: u is the +1 node, 1 + e^(-1) = 1.3679; z under the exp is +₂ = 1
    assert "at node f the minus is missing: (1/u)' = −1/u², where u is node +1 = 1.3679, " \
           "so the local gradient is -0.5344, not 0.5344" in out
    assert "(e^(−z))' = −e^(−z), where z is node +₂ = 1, so" in out
    code, out, _ = run("sqrt(x*y) + log(x+y)", "--vals", "x=1,y=3", "--answer", "x=1.9821", "--lang", "zh")
    assert code == 1 and "(√u)' = 1/(2√u)" in out and "其中 u 是 x*y 结点，值为 3" in out


def test_a_grading_file_takes_every_printed_name(tmp_path):
    d = bptutor.derive(SIGMOID, SIGMOID_VALS)
    names = printed_names(d)
    answers = ", ".join(f'"{name}" = {d.grad_of(name)!r}' for name in names)
    homework = tmp_path / "hw.toml"
    homework.write_text(f'[[problem]]\nname = "sigmoid"\nexpr = "{SIGMOID}"\n'
                        f'vals = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"\nanswers = {{ {answers} }}\n', encoding="utf-8")
    code, out, err = run("grade", str(homework), "--json")
    assert (code, err) == (0, "")
    [problem] = json.loads(out)["problems"]
    assert [a["name"] for a in problem["answers"]] == names and problem["correct"]


def test_json_and_grading_name_where_a_mistake_happens_as_the_steps_do(tmp_path):
    # -3 for ∂f/∂x1: w1's local gradient without the upstream 0.1966, at node w1*x1
    code, out, _ = run(SIGMOID, "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--answer", "x1=-3, w0=0.20", "--json")
    first, second = json.loads(out)["answers"]
    assert (first["diagnosis"], first["at"]) == ("missing_upstream", "w1*x1")
    assert second["either"] == ["sign", "local", "local"] and second["either_at"] == ["w0*x0", "*-1", "f"]
    assert second["at"] is None                         # several mistakes: none picked
    homework = tmp_path / "hw.toml"
    homework.write_text(f'[[problem]]\nexpr = "{SIGMOID}"\nvals = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"\n'
                        'answers = { x1 = -3 }\n', encoding="utf-8")
    code, out, _ = run("grade", str(homework), "--json")
    [answer] = json.loads(out)["problems"][0]["answers"]
    assert code == 1 and answer["at"] == "w1*x1" and answer["either_at"][0] == "w1*x1"


def test_labels_are_given_without_making_node_objects():
    """A graph's labels are kept by index (`node_labels`): labelling makes no
    Node object (10^5 of them cost a big parse a tenth of its time); those
    made later carry the same labels, as do those made while parsing."""
    g = parse("c = x*y\nd = c + 1\nd*d")
    assert g._nodes == []
    assert g.node_labels == ["x", "y", "c", "d", "f"]
    assert [n.label for n in g.nodes] == g.node_labels
    # `·` reads its operands' nodes while parsing: W and x are made before the labels
    g = parse("W·x + b", known_inputs={"W": [[1.0, 2.0]], "x": [1.0, 2.0], "b": 0.5})
    assert [n.label for n in g.nodes] == g.node_labels == ["W", "x", "W·x", "b", "f"]
