"""The words of a derivation (render/words.py) as each printer prints them:
every step names its local gradient and its upstream gradient with their
values, then the product (seed 000), matrices too and in the problem's own
names; plain text for a pipe without Rich, the same text Rich lays out; 80
columns wrapped without cutting an equation; notes that fit the page."""
from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys

import pytest

import bptutor
from bptutor.render import plain, terminal
from bptutor.render.plain import cells
from helpers import ROOT, render_text, run

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
WX = "q = W @ x; f = sum(q^2)"
WX_VALS = "W=[[0.1,0.5],[-0.3,0.8]], x=[0.2,0.4]"
TWO_LAYER_L2 = str(ROOT / "examples" / "two_layer_l2.bp")


def steps(out: str) -> list[str]:
    """The backward steps of a piped narration, one string each (their notes joined on)."""
    body = out.split("\n\n")[2]
    items = re.split(r"\n(?=\s*\d+ )", body.split("\n", 1)[1])
    return [" ".join(item.split()) for item in items]


# ---- seed 000's ||Wx||²: q = Wx = [0.22, 0.26], ∂f/∂q = 2q = [0.44, 0.52],
# ∂f/∂W = 2q·xᵀ = [[0.088, 0.176], [0.104, 0.208]], ∂f/∂x = Wᵀ·2q = [-0.112, 0.636]
def test_a_matrix_step_names_the_local_and_the_upstream_gradient_and_their_product_zh():
    code, out, _ = run(WX, "--vals", WX_VALS, "--lang", "zh")
    assert code == 0
    w_step, x_step = steps(out)[3:5]
    assert ("q = W @ x 结点 (2,) 对 W (2, 2) 的局部梯度为 xᵀ = [0.2, 0.4]，从前面传过来的梯度为 "
            "∂f/∂q = [0.4400, 0.5200]，所以 ∂f/∂W = ∂f/∂q·xᵀ = [[0.0880, 0.1760], [0.1040, 0.2080]]") in w_step
    assert "逐个元素：∂f/∂W_ij = 2·q_i·x_j" in w_step                 # the notes' 2q_i x_j
    assert "矩阵乘法结点：∂f/∂W = ∂f/∂q·xᵀ，∂f/∂x = Wᵀ·∂f/∂q" in w_step
    assert ("局部梯度为 Wᵀ = [[0.1, -0.3], [0.5, 0.8]]，从前面传过来的梯度为 ∂f/∂q = [0.4400, 0.5200]，"
            "所以 ∂f/∂x = Wᵀ·∂f/∂q = [-0.1120, 0.6360]") in x_step
    assert "逐个元素：∂f/∂x_j = Σ_i W_ij·2·q_i" in x_step


def test_an_entrywise_array_step_names_both_gradients_en():
    code, out, _ = run(WX, "--vals", WX_VALS, "--lang", "en", "--digits", "2")
    square = steps(out)[2]
    assert square.startswith("3 q^2 gate (2,), towards node q (2,): local gradient 2·q = [0.44, 0.52], "
                              "upstream gradient ∂f/∂(q^2) = [1, 1], so ∂f/∂q = ∂f/∂(q^2) ⊙ 2·q = "
                              "[1, 1] ⊙ [0.44, 0.52] = [0.44, 0.52]")
    assert steps(out)[1].startswith("2 f = sum(q^2) gate, towards node q^2 (2,): local gradient 𝟏 = [1, 1], "
                                    "upstream gradient ∂f/∂f = 1, so ∂f/∂(q^2) = ∂f/∂f·𝟏 = [1, 1]")


def test_matrix_rules_use_the_problems_own_names():
    # z = W1x = [0.65, -0.05, -0.6, 0.325], h = σ(z) = [0.657, 0.488, 0.354, 0.581],
    # o = W2h = [0.253, 0.168], ∂J/∂o = o - y = [-0.747, 0.168]
    for lang in ("en", "zh"):
        code, out, _ = run("-f", TWO_LAYER_L2, "--digits", "3", "--lang", lang)
        assert code == 0
        assert "∂L/∂W" not in out and "∂L/∂q" not in out
        assert "∂J/∂W2 = ∂J/∂o·hᵀ" in out and "∂J/∂h = W2ᵀ·∂J/∂o" in out and "∂J/∂W1 = ∂J/∂z·xᵀ" in out
        assert "∂J/∂W2_ij = (∂J/∂o)_i·h_j" in out
    code, out, _ = run("-f", TWO_LAYER_L2, "--digits", "3", "--lang", "en")
    assert ("local gradient hᵀ = [0.657, 0.488, 0.354, 0.581], upstream gradient ∂J/∂o = [-0.747, 0.168], "
            "so this path adds ∂J/∂W2 = ∂J/∂o·hᵀ =") in out


def test_local_gradients_name_their_operands_never_u_or_v():
    code, out, _ = run(SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--lang", "en")
    assert "1/x gate: local gradient -1/(+1)² = -1/1.37² = -0.53, upstream gradient 1" in out
    assert "exp gate: local gradient e^(*-1) = e^(-1) = 0.37, upstream gradient -0.53" in out
    code, out, _ = run("-f", TWO_LAYER_L2, "--digits", "3", "--lang", "zh")
    assert "局部梯度为 (+₁) = 1.455" in out and "局部梯度为 (lam/2) = 0.050" in out
    for text in (out, run(SIGMOID, "--vals", SIGMOID_VALS, "--lang", "zh")[1]):
        assert not re.search(r"(?<![\w(])[uv](?![\w)])", text.split("反向传播")[1]), text


def test_where_a_node_takes_one_input_twice_each_path_shows_its_own_local_gradient():
    # f = x*x: ∂f/∂f·∂f/∂x twice would read as one term counted twice; the product rule reads right
    code, out, _ = run("f = x*x", "--vals", "x=3", "--lang", "en")
    assert "∂f/∂x = ∂f/∂f·x + ∂f/∂f·x = 3 + 3 = 6" in out
    code, out, _ = run("f = x/x + x", "--vals", "x=3", "--lang", "zh")
    assert "∂f/∂x = ∂f/∂(x/x)·(1/x) + ∂f/∂(x/x)·(-x/x²) + ∂f/∂f·∂f/∂x = 0.3333 + (-0.3333) + 1 = 1" in out


# ---- tensor gates: the local Jacobian with its numbers, or said to be applied ---------------------
def test_a_softmax_step_shows_its_local_jacobian_in_the_problems_names():
    # y = softmax(z) at z = [1, 2, 0.5]: ∂y_i/∂z_j = y_i(δ_ij − y_j); f = y[0], so ∂f/∂y = [1, 0, 0]
    # and ∂f/∂z is the Jacobian's first column
    z = [1.0, 2.0, 0.5]
    y = [math.exp(v) / sum(math.exp(w) for w in z) for v in z]
    jac = [[y[i] * ((i == j) - y[j]) for j in range(3)] for i in range(3)]
    shown = "[" + ", ".join("[" + ", ".join(f"{v:.4f}" for v in row) + "]" for row in jac) + "]"
    column = "[" + ", ".join(f"{row[0]:.4f}" for row in jac) + "]"
    assert shown == ("[[0.1778, -0.1453, -0.0324], [-0.1453, 0.2335, -0.0881], "
                     "[-0.0324, -0.0881, 0.1206]]")                   # y = [0.2312, 0.6285, 0.1402]
    code, out, _ = run("y = softmax(z); f = y[0]", "--vals", "z=[1,2,0.5]", "--lang", "en")
    index, soft = steps(out)[1:3]
    assert index.startswith("2 f = y[0] gate, towards node y (3,): local gradient 1[k=0] = [1, 0, 0], "
                            "upstream gradient ∂f/∂f = 1, so ∂f/∂y = ∂f/∂f·1[k=0] = [1, 0, 0]")
    assert soft.startswith(f"3 y = softmax(z) gate (3,), towards z (3,): local gradient diag(y) − yyᵀ = {shown}, "
                           f"upstream gradient ∂f/∂y = [1, 0, 0], so ∂f/∂z = (diag(y) − yyᵀ)·∂f/∂y = {column}")
    assert ("softmax gate: its Jacobian is diag(y) − yyᵀ, entry by entry y_i(δ_ij − y_j); backpropagation "
            "applies it without building it: y ⊙ (∂f/∂y − yᵀ·∂f/∂y)") in soft
    code, out, _ = run("y = softmax(z); f = y[0]", "--vals", "z=[1,2,0.5]", "--lang", "zh")
    soft = steps(out)[2]
    assert (f"对 z (3,) 的局部梯度为 diag(y) − yyᵀ = {shown}，从前面传过来的梯度为 ∂f/∂y = [1, 0, 0]，"
            f"所以 ∂f/∂z = (diag(y) − yyᵀ)·∂f/∂y = {column}") in soft
    assert "雅可比矩阵为 diag(y) − yyᵀ，逐个元素为 y_i(δ_ij − y_j)" in soft


def test_a_norm_step_names_its_local_gradient_and_its_lesson_the_problems_operand():
    # f = ‖Wx‖ at W = [[1, 2], [3, 4]], x = [1, -1]: Wx = [-1, -1], ∂f/∂(Wx) = Wx/‖Wx‖ = -1/√2 each
    half = f"{-1 / math.sqrt(2):.4f}"
    for lang, local, upstream, so in (("en", "local gradient", ", upstream gradient", ", so"),
                                      ("zh", "的局部梯度为", "，从前面传过来的梯度为", "，所以")):
        code, out, _ = run("f = norm(W @ x)", "--vals", "W=[[1,2],[3,4]], x=[1,-1]", "--lang", lang)
        norm = steps(out)[1]
        assert (f"{local} (W@x)/‖(W@x)‖ = [{half}, {half}]{upstream} ∂f/∂f = 1{so} "
                f"∂f/∂(W@x) = ∂f/∂f·(W@x)/‖(W@x)‖ = [{half}, {half}]") in norm
        assert "(W@x)/‖(W@x)‖" in norm.split(f"[{half}, {half}]")[-1]          # the lesson, in these names
        assert "x/‖x‖" not in out


def test_a_transpose_step_shows_the_permutation_and_transposes_the_gradient_back():
    # f = sum(Wᵀx), W = [[1, 2], [3, 4]], x = [1, -1]: ∂f/∂(Wᵀ) = 1·xᵀ = [[1, -1], [1, -1]], ∂f/∂W its transpose;
    # ∂(Wᵀ)_{kl}/∂W_{ij} = 1 where (k, l) = (j, i): rows (0,0) (0,1) (1,0) (1,1) pick W's (0,0) (1,0) (0,1) (1,1)
    code, out, _ = run("f = sum(W.T @ x)", "--vals", "W=[[1,2],[3,4]], x=[1,-1]", "--lang", "en")
    transpose = steps(out)[4]
    assert transpose.startswith("5 W.T gate (2, 2), towards W (2, 2): local gradient ∂(W.T)/∂W = "
                                "[[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], upstream gradient "
                                "∂f/∂(W.T) = [[1, -1], [1, -1]], so ∂f/∂W = (∂f/∂(W.T))ᵀ = [[ 1, 1], [-1, -1]]")


def test_a_jacobian_too_large_to_print_is_said_to_be_applied_with_both_gradients_given():
    # softmax of 5 entries: a 5×5 Jacobian (25 > 16 entries) is applied, not printed; f = y[4]:
    # ∂f/∂z = the Jacobian's last column y_4(δ_4j − y_j)
    z = [1.0, 2.0, 0.5, 3.0, -1.0]
    y = [math.exp(v) / sum(math.exp(w) for w in z) for v in z]
    column = "[" + ", ".join(f"{y[4] * ((j == 4) - y[j]):.4f}" for j in range(5)) + "]"
    code, out, _ = run("y = softmax(z); f = y[4]", "--vals", "z=[1,2,0.5,3,-1]", "--lang", "en")
    soft = steps(out)[2]
    assert soft.startswith("3 y = softmax(z) gate (5,), towards z (5,): local gradient diag(y) − yyᵀ, a Jacobian "
                           "too large to print, applied without building it; upstream gradient ∂f/∂y = "
                           f"[0, 0, 0, 0, 1], so ∂f/∂z = (diag(y) − yyᵀ)·∂f/∂y = {column}"), soft
    code, out, _ = run("y = softmax(z); f = y[4]", "--vals", "z=[1,2,0.5,3,-1]", "--lang", "zh")
    assert "的局部梯度为 diag(y) − yyᵀ（雅可比矩阵太大，不显式构造，直接作用于上游梯度），从前面传过来的梯度为 ∂f/∂y" \
        in steps(out)[2]


def test_no_tensor_step_leaves_its_local_gradient_without_a_value():
    for source, values in (("f = norm(W @ x)", "W=[[1,2],[3,4]], x=[1,-1]"), ("y = softmax(z); f = y[0]", "z=[1,2,0.5]"),
                           ("f = sum(W.T @ x)", "W=[[1,2],[3,4]], x=[1,-1]"), ("f = max(z) + logsumexp(z)", "z=[1,2,0.5]")):
        for lang in ("en", "zh"):
            code, out, _ = run(source, "--vals", values, "--lang", lang)
            assert code == 0
            for step in steps(out)[1:]:
                head = step.split("upstream gradient" if lang == "en" else "从前面传过来的梯度")[0]
                assert re.search(r"= \[", head) or re.search(r"(local gradient|局部梯度为) -?[\d(]", head), step
            assert "applied without" not in out and "不显式构造" not in out


# ---- one printer per format --------------------------------------------------------------------
@pytest.mark.parametrize("source, values, options", [
    (SIGMOID, SIGMOID_VALS, {}),
    ("a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e", "x=0.5", {}),
    (WX, WX_VALS, {}),
    ("y = W @ x; f = sum(y)", "W=[[1,2],[3,4]], x=[1,-1]", {"mode": "both"}),
    ("relu(W @ x)", "W=[[1,-2],[3,0.5]], x=[0.5,-1]", {"jacobian": True}),
])
def test_plain_text_is_what_rich_lays_out_at_unlimited_width(source, values, options):
    from rich.console import Console
    from bptutor.lang.values import parse_values
    d = bptutor.compile(source).derive(parse_values(values), **options)
    for lang in ("en", "zh"):
        con = Console(width=100_000, color_system=None, file=io.StringIO(), highlight=False, markup=False)
        with con.capture() as cap:
            con.print(terminal.render(d, lang, 3))
        rich_text = "\n".join(line.rstrip() for line in cap.get().split("\n"))
        assert plain.render(d, lang, 3) == rich_text


def test_the_piped_narration_imports_no_rich_and_is_styled_when_colour_is_forced():
    code = ("import io, sys; from bptutor.app.cli import main; out = io.StringIO(); "
            "main(['1/(1+exp(-(w0*x0+w1*x1+w2)))', '--vals', 'w0=2,x0=-1,w1=-3,x1=-2,w2=-3'], stdout=out); "
            "print(out.getvalue().count('×'), any(m.split('.')[0] == 'rich' for m in sys.modules), "
            "'\\x1b[1m' in out.getvalue())")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "TERM")}
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert piped.stdout.split() == [piped.stdout.split()[0], "False", "False"] and int(piped.stdout.split()[0]) > 10, \
        piped.stderr
    forced = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env=env | {"FORCE_COLOR": "1"})
    assert forced.stdout.split()[1:] == ["False", "True"], forced.stderr       # styled as Rich would, without it


# ---- 80 columns ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_80_columns_wrap_with_a_hanging_indent_and_never_cut_an_equation(lang):
    src = (ROOT / "examples" / "two_layer_l2.bp").read_text()
    d = bptutor.compile(src).derive({})
    text = render_text(terminal.render(d, lang, 3), width=80)
    lines = text.splitlines()
    assert all(cells(line) <= 80 for line in lines)
    for line in lines:
        body = line.strip()
        assert body != "=" and not body.startswith(("= ", "× ", "⊙ ")), line
    # no number is cut: the numbers are those of the unwrapped text, each whole
    numbers = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
    assert sorted(numbers.findall(text)) == sorted(numbers.findall(plain.render(d, lang, 3)))
    # a step's continuation lines hang under its text, not under its number
    step = next(k for k, line in enumerate(lines) if line.startswith(" 9 "))
    assert lines[step + 1].startswith("   ") and not lines[step + 1].startswith("    ")
    # a value after = stays with it: `+₁ = 1.455` is never split
    assert "+₁ = 1.455" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_at_80_columns_the_check_table_stacks_the_numeric_matrix_under_the_gradient(lang):
    # two_layer_l2: W2's gradient, a 2×4 matrix, and its numeric twin do not fit side by side in 80
    # columns; each goes whole, row by row, the numeric one under the gradient and labelled
    src = (ROOT / "examples" / "two_layer_l2.bp").read_text()
    d = bptutor.compile(src).derive({})
    text = render_text(terminal.render(d, lang, 4), width=80)
    table = text[text.index("数值检验" if lang == "zh" else "Numeric check"):].splitlines()
    assert all(cells(line) <= 80 for line in table)
    for line in table:
        assert line.count("[") == line.count("]"), line            # no matrix row broken
    w2 = next(k for k, line in enumerate(table) if line.startswith("W2 "))
    assert table[w2].split()[3:7] == ["[-0.4709,", "-0.3943,", "-0.2548,", "-0.3938]"]
    assert table[w2 + 1].split() == ["[", "0.1005,", "0.1320,", "0.0896,", "0.0777]"]
    label = "数值梯度" if lang == "zh" else "numeric"
    assert table[w2 + 2].split()[0] == label and table[w2 + 2].split()[1:] == table[w2].split()[3:7]
    wide = render_text(terminal.render(d, lang, 4), width=200)            # room enough: side by side
    assert next(line for line in wide.splitlines() if line.startswith("W2 ")).count("[") == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_at_80_columns_a_matrix_too_wide_even_alone_goes_under_its_row(lang):
    # softmax_loss: ∂L/∂W is 3×4 in e-notation (48 cells a row), too wide beside the other columns
    d = bptutor.compile((ROOT / "examples" / "softmax_loss.bp").read_text()).derive({})
    text = render_text(terminal.render(d, lang, 4), width=80)
    table = text[text.index("数值检验" if lang == "zh" else "Numeric check"):].splitlines()
    assert all(cells(line) <= 80 and line.count("[") == line.count("]") for line in table), text
    w = next(k for k, line in enumerate(table) if line.startswith("W "))
    assert table[w].split()[:3] == ["W", "(3,", "4)"] and table[w].split()[-1] == "✓"
    assert table[w + 1].strip() == ("梯度" if lang == "zh" else "gradient")
    assert table[w + 2].split() == ["[", "3.332e-04,", "1.375e-03,", "1.428e-04,", "1.190e-05]"]
    assert table[w + 5].strip() == ("数值梯度" if lang == "zh" else "numeric")
    assert table[w + 6] == table[w + 2]


def test_the_wrapper_breaks_after_operators_and_keeps_short_values_with_their_equals():
    from bptutor.render.terminal import breaks
    line = "so ∂J/∂(o-y) = ∂J/∂((o-y)^2) ⊙ 2·(o-y) = [0.500, 0.500] ⊙ [-1.494, 0.336] = [-0.747, 0.168]"
    for width in range(20, len(line)):
        for p in breaks(line, width):
            following = line[p:].split(" ")[0]
            assert line[p - 1] == " " and line[p] not in "=⊙×+·", (width, line[p:])
            assert not (line[:p].rstrip().endswith("=") and cells(following) <= 12), (width, line[p:])
    assert breaks("+₁ = 1.455  ·  s = 0.073", 12) == [15]


# ---- notes formats ------------------------------------------------------------------------------
def test_markdown_puts_a_steps_notes_on_lines_of_their_own():
    code, md, _ = run(WX, "--vals", WX_VALS, "--digits", "2", "--format", "md", "--lang", "en")
    assert ("\\begin{bmatrix}0.09 & 0.18 \\\\ 0.10 & 0.21\\end{bmatrix}$  \n"
            "   entry by entry: $\\frac{\\partial f}{\\partial {W}_{ij}} = 2 \\cdot {q}_{i}\\cdot {x}_{j}$  \n"
            "   matrix-multiply gate: ") in md


def test_a_wide_latex_check_table_is_split_and_fits_the_page(tmp_path):
    from test_export import latex_document, needs_latex
    code, tex, _ = run("-f", TWO_LAYER_L2, "--format", "latex", "--lang", "en")
    check = tex[tex.index("Numeric check"):]
    assert check.count(r"\begin{tabular}") == 2
    assert "input & value & gradient \\\\" in check and "input & numeric & h & rel. error & verdict \\\\" in check
    needs_latex("pdflatex", "en")
    doc = latex_document(tex, "en")
    (tmp_path / "t.tex").write_text(doc, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    lines = doc.splitlines()
    first = next(k for k, line in enumerate(lines, 1) if r"\begin{tabular}" in line and k > doc[:doc.index(
        "Numeric check")].count("\n"))
    last = max(k for k, line in enumerate(lines, 1) if r"\end{tabular}" in line)
    log = (tmp_path / "t.log").read_text(errors="replace")
    for a, b in re.findall(r"Overfull \\hbox \([\d.]+pt too wide\) (?:in paragraph|in alignment) at lines (\d+)--(\d+)",
                           log):
        assert int(b) < first or int(a) > last, (a, b, first, last)


def test_the_jacobians_layout_line_takes_its_example_from_the_problem():
    code, out, _ = run("relu(W @ x)", "--vals", "W=[[1,-2],[3,0.5]], x=[0.5,-1]", "--jacobian", "--lang", "en")
    assert "which is why a transpose appears in ∂f/∂W = ∂f/∂(W@x)·xᵀ" in out and "∂L" not in out
    code, out, _ = run("x*y", "--vals", "x=[1,2], y=[3,4]", "--jacobian", "--lang", "zh")
    assert "梯度是 1×n 那一行的转置\n" in out and "∂L" not in out          # no product, no example


def test_matrix_steps_of_forward_and_reverse_passes_name_both_factors():
    # relu(Wx) at W = [[1, -2], [3, 0.5]], x = [0.5, -1]: Wx = [2.5, 1] > 0, so ∂relu/∂(Wx) = diag(1, 1)
    code, out, _ = run("relu(W @ x)", "--vals", "W=[[1,-2],[3,0.5]], x=[0.5,-1]", "--jacobian", "--digits", "2",
                       "--lang", "en")
    assert ("relu gate (2,), towards node W@x (2,): local gradient ∂f/∂(W@x) = diag(1, 1), upstream gradient "
            "∂f/∂f = [[1, 0], [0, 1]], so ∂f/∂(W@x) = ∂f/∂f·∂f/∂(W@x) = ∂f/∂f·diag(1, 1) =") in out
    code, out, _ = run("sum(relu(W @ x))", "--vals", "W=[[1,-2],[3,0.5]], x=[0.5,-1]", "--mode", "forward",
                       "--digits", "2", "--lang", "zh")
    assert ("W@x 结点 (2,) 对 x (2,) 的局部梯度为 ∂(W@x)/∂x = [[1.00, -2.00], [3.00, 0.50]]，"
            "从 x 传过来的切向量为 ẋ = [[1, 0], [0, 1]]，所以 (W@x)˙ = ∂(W@x)/∂x·ẋ") in out


def test_on_a_terminal_only_the_step_number_is_dim():
    from rich.console import Console
    d = bptutor.derive(SIGMOID, dict(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="standard")
    segments = list(console.render(terminal.render(d, "en", 2)))
    dim = {seg.text.strip() for seg in segments if seg.style and seg.style.dim and seg.text.strip()}
    assert "2" in dim and "13" in dim                                 # the numbers of the steps
    assert not any("local gradient" in text for text in dim)         # never their sentences
