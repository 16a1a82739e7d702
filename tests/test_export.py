"""--graph (SVG, PNG, DOT, Mermaid, the terminal picture) and --format md/latex."""
import os
import re
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET

import pytest

import bptutor
from bptutor.render.numbers import picture_value, shape_text, tex_name, tex_num
from bptutor.app import graphviz
from bptutor.render import latex, markdown
from bptutor.render.picture import END, picture
from helpers import ROOT, render_text, run, snapshot

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
MML = "a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e"
# Every wire of the CS231n sigmoid picture at two digits: (value, gradient), from the notes.
SIGMOID_WIRES = [("2", "-0.20"), ("-1", "0.39"), ("-3", "-0.39"), ("-2", "-0.59"), ("-2", "0.20"),
                 ("6", "0.20"), ("4", "0.20"), ("-3", "0.20"), ("1", "0.20"), ("-1", "-0.20"),
                 ("0.37", "-0.53"), ("1.37", "-0.53"), ("0.73", "1")]

needs_layout = pytest.mark.skipif(graphviz.find_layout_program() is None,
                                  reason="neither graphviz-pure nor Graphviz dot is installed")


def sigmoid():
    return bptutor.derive(SIGMOID, SIGMOID_VALS)


# ---- the picture model --------------------------------------------------------------
def test_sigmoid_picture_has_the_notes_numbers_on_every_wire():
    pic = picture(sigmoid(), 2)
    assert sorted((w.value, w.grad) for w in pic.wires) == sorted(SIGMOID_WIRES)
    # every box by the name the narration uses; the gate beside a name that is not it
    gates = [(b.title, b.gate) for b in pic.boxes if b.kind == "gate"]
    assert gates == [("w0*x0", "*"), ("w1*x1", "*"), ("w0*x0+w1*x1", "+"), ("+₂", ""), ("*-1", ""), ("exp", ""),
                     ("+1", ""), ("f", "1/x")]
    assert [b.title for b in pic.boxes if b.kind == "input"] == ["w0", "x0", "w1", "x1", "w2"]
    assert pic.output == "" and sum(w.dst == END for w in pic.wires) == 1


def test_fan_out_is_one_wire_per_use_and_the_box_shows_the_sum():
    d = bptutor.derive("x*x + 2", "x=3")
    pic = picture(d, 2)
    x = d.graph.inputs["x"]
    from_x = [w for w in pic.wires if w.src == x]
    assert [(w.value, w.grad) for w in from_x] == [("3", "3"), ("3", "3")]      # ∂(x·x)/∂x = x per wire
    assert [w.path for w in from_x] == [1, 2]                                  # each one path's share
    assert pic.totals == {x: "6"}


@pytest.mark.parametrize("fmt", ["-", "dot", "mmd"])
def test_where_paths_meet_the_picture_shows_the_total_and_labels_each_share(tmp_path, fmt):
    # MML 5.14: ∂f/∂c = 0.4037 + (-0.9993) = -0.5956; 0.4037 alone is one path's share, never c's gradient
    path = "-" if fmt == "-" else str(tmp_path / f"g.{fmt}")
    code, out, _ = run(MML, "--vals", "x=0.5", "--graph", path)
    text = out if fmt == "-" else (tmp_path / f"g.{fmt}").read_text()
    assert code == 0
    assert "g₁=0.4037" in text and "g₂=-0.9993" in text and "Σ g=-0.5956" in text
    assert "g=0.4037" not in text.replace("g₁=0.4037", "")
    if fmt == "-":
        lines = [line for line in text.splitlines() if " c (+)" in line]
        assert len(lines) == 2 and all("Σ g=-0.5956" in line for line in lines)


def test_named_intermediates_show_their_names_and_gates():
    pic = picture(bptutor.derive(MML, "x=0.5"), 2)
    titles = {b.title: b.sub for b in pic.boxes if b.kind == "gate"}
    assert titles == {"a": "^2", "b": "exp", "c": "+", "d": "sqrt", "e": "cos", "f": "+"}
    assert pic.output == ""            # the named output box already says f


def test_tensor_values_show_shapes_and_only_small_values():
    np = pytest.importorskip("numpy")
    small, big = np.array([1.0, -2.5]), np.ones((3, 4))
    assert picture_value(small, 2) == "[1.00, -2.50]"       # one format for the whole vector
    assert picture_value(big, 2) is None
    assert shape_text(big.shape) == "(3, 4)"
    assert picture_value(np.float64(0.5), 2) == "0.50"
    # A hand-made derivation of x*y with matrices: the picture labels boxes by shape.
    from bptutor.core.records import Derivation, Tape
    from bptutor.lang.parse import parse
    g = parse("x*y")
    x, y = big, 2 * big
    vals = [None] * len(g.nodes)
    vals[g.inputs["x"]], vals[g.inputs["y"]], vals[g.output] = x, y, x * y
    one = np.ones((3, 4))
    edges = [(g.output, 0, g.inputs["x"], y, one, y), (g.output, 1, g.inputs["y"], x, one, x)]
    d = Derivation("x*y", g, {"x": x, "y": y}, vals, Tape([x, y, one], edges, []), wrt=("x", "y"))
    pic = picture(d, 2)
    assert {b.sub for b in pic.boxes} == {"(3, 4)", "* (3, 4)"}
    assert all(w.value is None and w.grad is None for w in pic.wires)
    dot = run_dot(d)
    assert "(3, 4)" in dot


def run_dot(d):
    from bptutor.render.dot import render
    return render(d, 2)


# ---- DOT, Mermaid, the terminal ---------------------------------------------------------
@pytest.mark.parametrize("ext", ["dot", "mmd"])
def test_dot_and_mermaid_snapshots(tmp_path, ext):
    for name, src, vals in (("sigmoid", SIGMOID, SIGMOID_VALS), ("mml", MML, "x=0.5")):
        path = tmp_path / f"{name}.{ext}"
        code, out, err = run(src, "--vals", vals, "--digits", "2", "--graph", str(path), "--lang", "en")
        assert code == 0 and err == "" and "Backward pass" in out      # the narration still prints
        snapshot(f"graph_{name}.{ext}", path.read_text(encoding="utf-8"))


def test_mermaid_labels_are_plain_value_and_gradient():
    from bptutor.render.mermaid import render
    text = render(sigmoid(), 2)
    assert text.startswith("flowchart LR\n")
    labels = re.findall(r'-- "v=([^ ]+) \| g=([^"]+)" -->', text)
    assert sorted(labels) == sorted(SIGMOID_WIRES)


def test_terminal_picture():
    code, out, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--graph", "-")
    assert code == 0 and err == ""
    assert "Backward" not in out                 # the picture instead of the narration
    assert out.splitlines()[0] == "f (1/x)  v=0.73  g=1"
    snapshot("graph_sigmoid_terminal.txt", out)


def test_terminal_picture_marks_a_shared_box_once():
    from bptutor.render.graphtext import render
    out = render_text(render(bptutor.derive(MML, "x=0.5"), 2))
    assert out.count("x  v=0.50") == 1 and out.count("↑") == 2


def test_deep_graph_draws_without_recursion(tmp_path):
    depth = 20_000
    src = "(" * depth + "x" + "+1)" * depth
    path = tmp_path / "deep.dot"
    code, _, err = run(src, "--vals", "x=1", "--graph", str(path), "--json")
    assert code == 0, err
    assert path.read_text().count("->") == 2 * (depth + 1)
    code, md, err = run(src, "--vals", "x=1", "--format", "md")          # spans measured before sliced
    assert code == 0 and md.count("\n- $") == depth
    from bptutor.render.graphtext import MAX_DEPTH, MAX_LINES, render
    out = render_text(render(bptutor.derive(src, "x=1", check=False), 2))
    lines = out.splitlines()
    assert len(lines) == MAX_DEPTH + 2 and lines[-1].endswith("└── …") and max(map(len, lines)) <= 80
    terms = [f"x{k}" for k in range(500)]              # a balanced sum of 500 inputs: cut at MAX_LINES
    while len(terms) > 1:
        terms = [f"({a}+{b})" for a, b in zip(terms[::2], terms[1::2])] + terms[len(terms) // 2 * 2:]
    wide = terms[0]
    out = render_text(render(bptutor.derive(wide, {f"x{k}": k for k in range(500)}, check=False), 2))
    assert len(out.splitlines()) == MAX_LINES + 1 and "… +" in out.splitlines()[-1]


# ---- SVG and PNG through Graphviz ---------------------------------------------------------
@needs_layout
def test_svg_parses_and_holds_every_value_and_gradient(tmp_path):
    path = tmp_path / "sigmoid.svg"
    code, _, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--graph", str(path))
    assert code == 0, err
    root = ET.parse(path).getroot()
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text") if el.text]
    for value, grad in SIGMOID_WIRES:
        assert value in texts and grad in texts
    for gate in ("*", "+", "*-1", "exp", "+1", "1/x", "w0", "x1", "f"):
        assert gate in texts
    fills = {el.get("fill") for el in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"#2e7d32", "#c62828"} <= fills           # values green, gradients red


@needs_layout
def test_png_starts_with_the_png_signature(tmp_path):
    path = tmp_path / "sigmoid.png"
    code, _, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--graph", str(path))
    assert code == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_graphviz_it_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(graphviz, "find_layout_program", lambda: None)
    code, out, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--graph", str(tmp_path / "g.svg"), "--lang", "en")
    assert code == 2 and "pip install graphviz-pure" in err and "Traceback" not in err
    code, _, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--graph", str(tmp_path / "g.png"), "--lang", "zh")
    assert code == 2 and "pip install graphviz-pure" in err and "无需系统软件包" in err
    assert not (tmp_path / "g.svg").exists()


def test_a_failing_layout_program_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setattr(graphviz, "find_layout_program", lambda: sys.executable)   # not a dot
    code, _, err = run("x*y", "--vals", "x=1,y=2", "--graph", str(tmp_path / "g.svg"))
    assert code == 2 and "Graphviz" in err and "Traceback" not in err


def test_a_big_layout_runs_with_bounded_effort_under_the_caps(monkeypatch):
    seen = {}

    def fake_run(argv, **kwargs):
        seen["argv"], seen["preexec"] = argv, kwargs.get("preexec_fn")
        return subprocess.CompletedProcess(argv, 0, b"<svg/>", b"")
    monkeypatch.setattr(graphviz, "find_layout_program", lambda: "dot")
    monkeypatch.setattr(graphviz.subprocess, "run", fake_run)
    graphviz.layout("digraph {}", "svg", graphviz.BOUNDED_EFFORT)
    assert seen["argv"] == ["dot", "-Tsvg"] and seen["preexec"] is not None
    graphviz.layout("digraph {}", "png", graphviz.BOUNDED_EFFORT + 1)
    assert seen["argv"] == ["dot", "-Tpng", "-Gdpi=144", *graphviz.EFFORT]


def test_unknown_extension_and_unwritable_path(tmp_path):
    code, _, err = run("x*y", "--vals", "x=1,y=2", "--graph", str(tmp_path / "g.jpg"), "--lang", "en")
    assert code == 2 and ".svg .png .dot" in err
    code, _, err = run("x*y", "--vals", "x=1,y=2", "--graph", str(tmp_path / "no" / "g.dot"), "--lang", "en")
    assert code == 2 and "cannot write" in err


def test_layout_program_is_found_beside_this_python():
    program = graphviz.find_layout_program()
    if program is None:
        pytest.skip("no layout program installed")
    assert re.search(r"(graphviz-pure|dot)(\.exe)?$", program)


def test_a_plain_run_imports_no_exporter():
    code = ("import sys; from bptutor.app.cli import main; main(['x*y', '--vals', 'x=1,y=2']);"
            "print(sorted(m for m in sys.modules if m.startswith('bptutor.render')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT).stdout
    loaded = out.strip().splitlines()[-1]
    for module in ("dot", "mermaid", "graphviz", "markdown", "latex", "picture", "graphtext"):
        assert f"bptutor.render.{module}'" not in loaded


# ---- Markdown and LaTeX -----------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_sigmoid(lang):
    code, out, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--format", "md", "--lang", lang)
    assert code == 0 and err == ""
    assert out.startswith(r"## $f = 1/(1+e^{-(w_{0} \cdot x_{0}+w_{1} \cdot x_{1}+w_{2})})$")
    assert "```mermaid\nflowchart LR\n" in out
    assert r"$-\frac{1}{(\text{+1})^2} = -\frac{1}{1.37^2} = -0.53$" in out     # the operand by its name, no u
    assert r"$2 \times 0.197 = 0.39$" in out
    assert "| $x_{0}$ | $-1$ | $0.39$ | $0.39$ |" in out
    if lang == "zh":
        assert "从前面传过来的梯度为 $-0.53$" in out
    snapshot(f"sigmoid_{lang}.md", out)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_writes_out_the_fan_out_sums(lang):
    code, out, _ = run(MML, "--vals", "x=0.5", "--digits", "2", "--format", "md", "--lang", lang)
    assert code == 0
    assert (r"$\frac{\partial f}{\partial c} = \frac{\partial f}{\partial d}\frac{\partial d}{\partial c} + "
            r"\frac{\partial f}{\partial e}\frac{\partial e}{\partial c} = 0.40 + (-1.00) = -0.60$") in out
    assert "- $a = x^{2} = 0.25$" in out and r"- $d = \sqrt{c} = 1.24$" in out
    assert "```\n" + MML + "\n```" in out
    snapshot(f"mml_{lang}.md", out)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_latex_snapshots(lang):
    for name, src, vals in (("sigmoid", SIGMOID, SIGMOID_VALS), ("mml", MML, "x=0.5")):
        code, out, _ = run(src, "--vals", vals, "--digits", "2", "--format", "latex", "--lang", lang)
        assert code == 0
        assert out.count(r"\begin{align*}") == 2 and r"\begin{tabular}{lrrrrrl}" in out
        assert "✓" not in out and r"$\checkmark$" in out
        snapshot(f"{name}_{lang}.tex", out)


def latex_document(fragment: str, lang: str) -> str:
    cjk = "\\usepackage{ctex}\n" if lang == "zh" else ""
    return ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,graphicx}\n" + cjk +
            "\\begin{document}\n" + fragment + "\\end{document}\n")


def needs_latex(engine: str, lang: str) -> None:
    """Skip loudly (a warning in the summary) where LaTeX is missing; fail where CI
    installed it (.ci/run sets BPTUTOR_REQUIRE_LATEX) and it is missing anyway."""
    missing = None
    if shutil.which(engine) is None:
        missing = f"{engine} is not installed"
    elif lang == "zh" and subprocess.run(["kpsewhich", "ctex.sty"], capture_output=True).returncode:
        missing = "ctex is not installed"
    if missing is None:
        return
    if os.environ.get("BPTUTOR_REQUIRE_LATEX"):
        pytest.fail(f"LaTeX notes not compiled: {missing}")
    message = (f"LaTeX notes NOT compiled: {missing} (apt-get install texlive-latex-base "
               "texlive-latex-recommended texlive-xetex texlive-lang-chinese)")
    warnings.warn(message)
    pytest.skip(message)


@pytest.mark.parametrize("lang,engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_latex_fragment_compiles_in_a_plain_article(tmp_path, lang, engine):
    needs_latex(engine, lang)
    programs = [("sigmoid", SIGMOID, SIGMOID_VALS), ("mml", MML, "x=0.5"),
                ("odd", "theta_1^y / max(x, 1e-9) + 2^x", "theta_1=2,y=3,x=0.5"),
                ("norm_wx", "f = norm(W @ x)", "W=[[1,2],[3,4]], x=[1,-1]"),
                ("softmax", "y = softmax(z); f = sum(W.T @ y)", "z=[1,2,0.5], W=[[1,2],[3,4],[5,6]]")]
    programs += [(name, "-f", str(ROOT / "examples" / f"{name}.bp"))          # matrices, comments with ∂ Σ φ
                 for name in ("wx_norm", "two_layer", "two_layer_l2", "softmax_loss")]
    for name, src, vals in programs:
        args = ("-f", vals) if src == "-f" else (src, "--vals", vals)
        code, out, _ = run(*args, "--format", "latex", "--lang", lang)
        assert code == 0, name
        (tmp_path / f"{name}.tex").write_text(latex_document(out, lang), encoding="utf-8")
        done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]
        assert (tmp_path / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
        # every line fits the page: matrices in displays (shrunk where wider), tables shrunk likewise
        log = (tmp_path / f"{name}.log").read_text(errors="replace")
        overfull = [float(pt) for pt in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
        assert all(pt <= 2.0 for pt in overfull), (name, overfull)


# ---- one place for numbers and labels ------------------------------------------------------
def test_tex_labels_and_numbers():
    assert tex_name("w0") == "w_{0}" and tex_name("w_0") == "w_{0}" and tex_name("theta") == r"\theta"
    assert tex_name("loss") == r"\mathrm{loss}"
    assert tex_num(2.5e-7, 2) == r"2.5\times10^{-7}" and tex_num(-0.5312, 2) == "-0.53"


@pytest.mark.parametrize("source, latex", [
    ("x^(a+b)*sqrt(c)", r"x^{a+b} \cdot \sqrt{c}"),
    ("x^-1", "x^{-1}"),
    (SIGMOID, r"1/(1+e^{-(w_{0} \cdot x_{0}+w_{1} \cdot x_{1}+w_{2})})"),
    ("a-(b-c) + a/(b*c)", r"a-(b-c)+a/(b \cdot c)"),
    ("(a*b)+c + (a-b)-c", r"a \cdot b+c+(a-b)-c"),         # brackets the precedence needs, and only those
    ("x - 3 + 3 - y + (3 - y)", "x-3+3-y+(3-y)"),         # x - 3 is stored as x + (-3)
    ("2*x + x*2 + (x)*2", r"2 \cdot x+x \cdot 2+x \cdot 2"),  # a constant stays on its side
    ("-x^2 + (-x)^2", "-x^{2}+(-x)^{2}"),
    ("a - -b + a*-2", r"a-(-b)+a \cdot (-2)"),            # a right operand never starts with a minus
    ("e^x + pi*x + 1e-9*x", r"e^{x}+\pi \cdot x+1\times10^{-9} \cdot x"),
    ("max(x, 0) + relu(x) + sigmoid(x)", r"\max (x,0)+\operatorname{relu}(x)+\sigma (x)"),
    ("sum(W.T.T @ x, 0) + (W.T)^2", r"\operatorname{sum}({W^\top}^\top\,x,0)+{W^\top}^{2}"),
    ("sum(x[1] * [1, 2])", r"\operatorname{sum}(x[1] \cdot \begin{bmatrix}1 \\ 2\end{bmatrix})"),
])
def test_expression_latex_is_typeset_from_the_graph(source, latex):
    from bptutor.lang.parse import parse
    from bptutor.render.formula import typeset
    g = parse(source)
    plain, tex = typeset(g, g.output, 400)
    assert tex == latex
    assert typeset(g, g.output, len(plain) - 1) is None       # past the budget: not typeset


def test_a_100000_deep_expression_typesets_without_recursion():
    from bptutor.lang.parse import parse
    from bptutor.render.formula import typeset
    depth = 100_000
    g = parse("tanh(" * depth + "x" + ")" * depth)
    assert typeset(g, g.output, 400) is None                   # refused from its span, before walking
    plain, tex = typeset(g, g.output, 10 ** 7)
    assert plain == "tanh(" * depth + "x" + ")" * depth
    assert tex == r"\tanh (" * depth + "x" + ")" * depth


def test_markdown_and_latex_render_without_the_cli():
    d = sigmoid()
    assert "| $w_{2}$ | $-3$ | $0.1966$ |" in markdown.render(d, "en", 4)
    assert r"\frac{\partial f}{\partial w_{2}} &= 0.1966" in latex.render(d, "en", 4)


# ---- the REPL's :graph and :md -------------------------------------------------------------
def test_repl_graph_and_markdown(tmp_path):
    import io
    from bptutor.app.repl import Session
    out, err = io.StringIO(), io.StringIO()
    session = Session("en", 2, out=out, err=err)
    for line in ("x = -2, y = 5, z = -4", "(x+y)*z", f":graph {tmp_path / 'g.dot'}", ":graph -", ":md"):
        session.handle(line)
    text = out.getvalue()
    assert err.getvalue() == ""
    assert f"graph written to {tmp_path / 'g.dot'}" in text
    assert (tmp_path / "g.dot").read_text().startswith("digraph bptutor {")
    assert "f (*)  v=-12  g=1" in text and "└── z  v=-4  g=3" in text
    assert "```mermaid" in text and r"$\frac{\partial f}{\partial f} = 1$" in text


def test_kinks_exact_checks_and_warnings_in_the_notes():
    args = ("relu(x)*y + max(x, z)", "--vals", "x=0,y=2,z=0,w=1", "--lang", "en")
    code, md, _ = run(*args, "--format", "md")
    # an exact check: 0, not 0e+00; the gradients in their column's format (0.5000 above)
    assert "| $y$ | $2$ | $0.0000$ | $0.0000$ | 1e-05 | 0 | ✓ |" in md
    assert "| $x$ | $0$ | $0.5000$ | $1.5000$ | 4e-13 | 7e-01 | kink crossed |" in md
    assert "> x: every step tried crossed a kink, a pole or a whole wave of relu(x) (down to h = 4e-13)" in md
    assert "> value given for w, which the expression does not use" in md
    code, tex, _ = run(*args, "--format", "latex")
    assert r"$y$ & $2$ & $0.0000$ & $0.0000$ & $1\times10^{-5}$ & $0$ & $\checkmark$ \\" in tex
    assert r"\noindent\textbf{!} value given for w, which the expression does not use\par" in tex


# ---- vectors and matrices -------------------------------------------------------------------
WX_NORM = str(ROOT / "examples" / "wx_norm.bp")


def test_matrix_notes_write_the_rules_as_the_notes_do():
    code, md, _ = run("-f", WX_NORM, "--digits", "2", "--format", "md", "--lang", "en")
    assert code == 0
    assert (r"$\frac{\partial f}{\partial W} = \frac{\partial f}{\partial q}\,x^\top = "
            r"\begin{bmatrix}0.09 & 0.18 \\ 0.10 & 0.21\end{bmatrix}$") in md
    assert r"$\frac{\partial f}{\partial x} = W^\top \frac{\partial f}{\partial q} = " in md
    assert "nan" not in md
    snapshot("wx_norm_en.md", md)
    code, tex, _ = run("-f", WX_NORM, "--digits", "2", "--format", "latex", "--lang", "zh")
    assert "∂" not in tex and "ᵀ" not in tex
    # the gate's rule in this problem's names (f, W, q, x), never another problem's L
    assert r"矩阵乘法结点：$\frac{\partial f}{\partial W} = \frac{\partial f}{\partial q}\,x^\top$" in tex
    assert r"\partial L" not in tex and "$\\partial$L" not in tex
    snapshot("wx_norm_zh.tex", tex)


def test_matrix_picture_shows_shapes_and_small_values(tmp_path):
    pic = picture(bptutor.derive((ROOT / "examples" / "wx_norm.bp").read_text()), 2)
    subs = {b.title: b.sub for b in pic.boxes}
    assert subs == {"W": "(2, 2)", "x": "(2,)", "q": "@ (2,)", "q^2": "^2 (2,)", "f": "sum"}
    wires = {(w.src, w.dst): (w.value, w.grad) for w in pic.wires}
    assert ("[[0.10, 0.50], [-0.30, 0.80]]", "[[0.09, 0.18], [0.10, 0.21]]") in wires.values()
    code, _, err = run("-f", str(ROOT / "examples" / "two_layer.bp"), "--graph", str(tmp_path / "t.dot"))
    dot = (tmp_path / "t.dot").read_text()
    assert code == 0 and "(3, 2)" in dot and "…" in dot          # W1 (3, 2): too big to write on a wire
    from bptutor.render.mermaid import render
    mmd = render(bptutor.derive((ROOT / "examples" / "two_layer.bp").read_text()), 2)
    assert '-- ""' not in mmd and re.search(r"^  n\d+ --> n\d+$", mmd, re.M)    # Mermaid refuses "" labels


@needs_layout
def test_matrix_picture_draws(tmp_path):
    path = tmp_path / "two_layer.svg"
    code, _, err = run("-f", str(ROOT / "examples" / "two_layer.bp"), "--digits", "2", "--graph", str(path))
    assert code == 0, err
    texts = [el.text for el in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert "[[0.050]]" in texts and "[[-9.06]]" in texts and "(3, 1)" in texts


def test_layout_program_falls_back_to_a_system_dot(monkeypatch, tmp_path):
    import shutil as sh
    import sysconfig as sc
    monkeypatch.setattr(sc, "get_path", lambda name: str(tmp_path))          # no wheel's binary here
    monkeypatch.setattr(graphviz.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(sh, "which", lambda name: "/usr/bin/dot" if name == "dot" else None)
    assert graphviz.find_layout_program() == "/usr/bin/dot"
    monkeypatch.setattr(sh, "which", lambda name: None)
    assert graphviz.find_layout_program() is None
    wheel_binary = tmp_path / "graphviz-pure"                                # beside an unactivated venv's python
    wheel_binary.write_text("#!/bin/sh\n")
    wheel_binary.chmod(0o755)
    assert graphviz.find_layout_program() == str(wheel_binary)


def test_pictures_hold_no_words_in_either_language(tmp_path):
    """Image renderers lack CJK glyphs: pictures carry numbers, names and symbols only."""
    for ext in ("dot", "mmd"):
        path = tmp_path / f"g.{ext}"
        code, _, _ = run(MML, "--vals", "x=0.5", "--lang", "zh", "--graph", str(path))
        assert code == 0
        assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", path.read_text(encoding="utf-8"))
