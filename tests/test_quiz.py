"""Practice mode: problems per level and seed, and quizzes played through a
pipe with right, rounded, wrong and hint answers, in both languages."""
import io
import math

import numpy as np
import pytest

from bptutor.app import cli
from bptutor.app.quiz import options_from_words
from bptutor.errors import BptutorError
from bptutor.tutor import quiz
from bptutor.tutor.program import derive


def play(argv, answers):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["quiz", *argv], out, err, io.StringIO("".join(a + "\n" for a in answers)))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("level", quiz.LEVELS)
def test_problems_are_deterministic_friendly_and_fully_named(level):
    seen = set()
    for seed in range(12):
        p = quiz.generate(level, seed)
        assert p == quiz.generate(level, seed)
        seen.add((p.source, repr(p.values)))
        entries = [e for v in p.values.values() for e in quiz.entries(np.asarray(v))]
        assert all(e == int(e) and 1 <= abs(e) <= 4 for e in entries)
        d = derive(p.source, p.values)
        assert quiz.friendly(d)
        assert all(c.verdict == "ok" for c in d.checks)
        # every question names a node the answer checker can find
        for i in quiz.questions(d):
            assert d.index_of(d.graph.nodes[i].label) == i
    assert len(seen) >= 8                  # seeds really change the problem


def test_questions_go_backward_and_every_consumer_comes_first():
    d = derive("a = x + y; b = x * z; f = a * b", {"x": 4, "y": -3, "z": 3})
    order = [d.graph.nodes[i].label for i in quiz.questions(d)]
    assert order == ["b", "z", "a", "y", "x"]
    for k, i in enumerate(quiz.questions(d)):
        for user, node in enumerate(d.graph.nodes):
            if i in node.args and user != d.graph.output:
                assert user in quiz.questions(d)[:k]


def test_level_three_is_a_neuron_or_a_matrix_product():
    sources = {quiz.generate(3, seed).source for seed in range(20)}
    assert any("sigmoid" in s for s in sources) and any("tanh" in s for s in sources)
    assert any("W @ x" in s for s in sources)


def test_a_matrix_quiz_through_a_pipe():
    # seed 0: q = W @ x; h = q^2; f = sum(h) with W = [[-1, -1], [2, 1]], x = [2, 1]: q = [-3, 5],
    # ∂f/∂q = 2q = [-6, 10], ∂f/∂x = Wᵀ·2q = [26, 16], ∂f/∂W = 2q·xᵀ = [[-12, -6], [20, 10]]
    code, out, err = play(["--level", "3", "--seed", "0"],
                          ["[1, 1]", "[-6, 10]", "[26, 16]", "?", "[[-12, 20], [-6, 10]]"])
    assert code == 1 and err == ""
    assert "  with W = [[-1, -1], [2, 1]]  x = [2, 1]\n" in out
    assert "Vectors and matrices are typed as lists" in out
    assert "[2/4] ∂f/∂q (2,) = [-6, 10]\n  ✓ right\n[3/4] ∂f/∂x (2,) = [26, 16]\n  ✓ right\n" in out
    assert "W feeds q = W @ x: matrix-multiply gate: ∂L/∂W = ∂L/∂q·xᵀ" in out
    wrong = "[4/4] ∂f/∂W (2, 2) = [[-12, 20], [-6, 10]]\n  ✗ not quite: ∂f/∂W = [[-12, -6], [20, 10]]\n"
    assert wrong in out
    diagnosis = out.split(wrong)[1].split("\n")[0]         # the answer checker's sentence
    assert "transpose" in diagnosis
    assert "Score: 3 of 4 right (hints used: 1)" in out


def test_a_quiz_through_a_pipe_in_english():
    # seed 7, level 3: the sigmoid neuron with w0=-1, x0=1, w1=1, x1=-1, w2=1; every gradient is ±σ'(-1)
    p = quiz.generate(3, 7)
    assert p.source == "a = w0 * x0; b = w1 * x1; c = a + b; s = c + w2; f = sigmoid(s)"
    assert p.values == {"w0": -1, "x0": 1, "w1": 1, "x1": -1, "w2": 1}
    g = math.exp(-1) / (1 + math.exp(-1)) ** 2          # σ'(-1) = 0.19661...
    code, out, err = play(["--level", "3", "--seed", "7", "--lang", "en"], [
        repr(g),        # s: exact
        "?", "0.20",    # w2: a hint, then rounded to 2 decimals
        "0.2",          # c: rounded to 1 decimal
        "-0.2",         # b: wrong sign
        "0.1966",       # x1
        "5",            # w1: wrong
        "abc", "0.197",  # a: not a number (asked again), then right
        "-0.20", "0.20"])
    assert code == 1                                     # not everything was right
    assert f"[1/9] ∂f/∂s = {g!r}\n  ✓ right\n" in out
    assert ("[2/9] ∂f/∂w2 = ?\n  w2 feeds s = c + w2: add gate: passes the upstream gradient unchanged "
            "to every input. The upstream gradient there is ∂f/∂s = 0.20.\n[2/9] ∂f/∂w2 = 0.20\n  ✓ right") in out
    assert "[3/9] ∂f/∂c = 0.2\n  ✓ right" in out
    assert "[4/9] ∂f/∂b = -0.2\n  ✗ not quite" in out
    assert "[4/9] ∂f/∂b = -0.2\n  ✗ not quite: ∂f/∂b = 0.20\n  right size, wrong sign: the gradient is 0.20\n" in out
    assert ("  The right step:\n  c = a + b gate, towards node b: local gradient 1, upstream gradient "
            "0.20, so the gradient of node b is 1 × 0.20 = 0.20\n") in out
    assert "[6/9] ∂f/∂w1 = 5\n  ✗ not quite: ∂f/∂w1 = -0.20\n" in out
    assert "[7/9] ∂f/∂a = abc\n[7/9] ∂f/∂a = 0.197\n  ✓ right" in out
    assert err == "error: the formula uses abc, which is not in the problem (names: w0, x0, a, w1, x1, b, c, w2, s, f)\n"
    assert "Score: 7 of 9 right (hints used: 1). The full derivation:" in out
    assert "Numeric check (central differences" in out    # the full derivation follows
    assert "\x1b" not in out


def test_a_quiz_through_a_pipe_in_chinese_with_fan_out():
    # seed 5, level 2: a = x + y; b = x * z; f = a * b at x=4, y=-3, z=3
    code, out, err = play(["--level", "2", "--seed", "5", "--lang", "zh"],
                          ["1", "4.0", "12", "?", "12", "20"])
    assert code == 1 and err == ""
    assert "练习，难度 2（种子 5：相同的种子出相同的题）" in out
    assert "  a = x + y;  b = x * z;  f = a * b\n  其中 x = 4  y = -3  z = 3\n" in out
    assert "[1/5] ∂f/∂b = 1\n  ✓ 正确\n[2/5] ∂f/∂z = 4.0\n  ✓ 正确\n" in out
    assert "y 输入到 a = x + y：加法结点：把上游梯度原样分给每个输入。那里从前面传过来的梯度为 ∂f/∂a = 12。" in out
    assert "[5/5] ∂f/∂x = 20\n  ✗ 不对：∂f/∂x = 15\n" in out and "  正确的步骤：\n" in out
    assert "x 有 2 条路径汇合，梯度相加：∂f/∂x = ∂f/∂a·∂a/∂x + ∂f/∂b·∂b/∂x = 12 + 3 = 15" in out
    assert "得分：5 题中答对 4 题（用了 1 次提示）。完整的推导：" in out


def test_mistakes_are_diagnosed_in_both_languages():
    answers = ["1", "4", "-12", "12", "12"]         # a: sign lost; x: only one of its two paths
    code, out, err = play(["--level", "2", "--seed", "5"], answers)
    assert "[3/5] ∂f/∂a = -12\n  ✗ not quite: ∂f/∂a = 12\n  right size, wrong sign: the gradient is 12\n" in out
    assert ("[5/5] ∂f/∂x = 12\n  ✗ not quite: ∂f/∂x = 15\n"
            "  2 paths meet at x: its gradient adds them all, not only the one from node a\n") in out
    code, out, err = play(["--level", "2", "--seed", "5", "--lang", "zh"], answers)
    assert "  大小对了，但符号反了：梯度应为 12\n" in out
    assert "  x 有 2 条路径汇合：它的梯度要把所有路径加起来，而不只是来自 a 结点的那一条\n" in out


def test_a_formula_answer_is_judged_as_a_formula():
    code, out, err = play(["--level", "2", "--seed", "5"], ["a", "a*x", "b", "x*z", "x*z + a*z"])
    assert code == 0 and out.count("✓ right") == 5


def test_a_fan_out_hint_says_to_add_the_paths():
    code, out, err = play(["--level", "2", "--seed", "5"], ["1", "4", "12", "12", "?", "15"])
    assert code == 0
    assert "x feeds 2 gates: add up the gradients of all 2 paths." in out
    assert "Score: 5 of 5 right (hints used: 1)" in out


def test_a_quiz_that_ends_early():
    code, out, err = play(["--level", "1", "--seed", "1"], ["-2"])
    assert code == 1
    assert out.rstrip().endswith("Quiz stopped: 1 of 1 right.")
    code, out, err = play(["--level", "1", "--seed", "1", "--lang", "zh"], [":quit"])
    assert out.rstrip().endswith("练习结束：0 题中答对 0 题。")


def test_options():
    code, out, err = play(["--level", "4"], [])
    assert code == 2 and "invalid choice: 4" in err
    code, out, err = play(["--help"], [])
    assert code == 0 and "--level {1,2,3}" in out and "--seed SEED" in out


def test_quiz_in_the_repl():
    out, err = io.StringIO(), io.StringIO()
    lines = ":digits 2\n:quiz 1 4\n6\n3\n3\n2\nx = 1\nx*2\n"
    assert cli.main(["repl"], out, err, io.StringIO(lines)) == 0
    text = out.getvalue()
    assert "Quiz, level 1 (seed 4" in text and "Score: 5 of 5 right" not in text
    assert text.count("✓ right") == 3 and text.count("✗ not quite") == 1
    assert "Score: 3 of 4 right (hints used: 0)" in text
    assert "set x = 1" in text                   # the REPL carries on after the quiz
    assert err.getvalue() == ""


def test_quiz_options_in_the_repl():
    assert options_from_words([]) == (1, None)
    assert options_from_words(["2", "7"]) == (2, 7)
    with pytest.raises(BptutorError):
        options_from_words(["9"])


def test_a_bug_while_judging_is_an_internal_error(monkeypatch):
    monkeypatch.setattr(quiz, "judge", lambda d, name, answer: 1 / 0)
    code, out, err = play(["--level", "1", "--seed", "1", "--lang", "en"], ["-2", "3"])
    assert code == 3 and "Traceback" not in err
    assert err == ("error: internal error, a bug in bptutor (please report it with the input): "
                   "ZeroDivisionError: division by zero\n")
    assert "Score" not in out                       # the quiz stops: its verdicts cannot be trusted


def test_a_user_error_in_an_answer_asks_again():
    code, out, err = play(["--level", "1", "--seed", "1", "--lang", "en"], ["-2, x=1", "-2", "3"])
    assert code == 1
    assert err == "error: give one answer, the gradient for y: a number or a formula\n"
    assert out.count("[1/2] ∂f/∂y = ") == 2 and "Score: 1 of 2 right" in out
