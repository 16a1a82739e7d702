"""Typing it the way it is written: the notes', Python's and numpy's notations
each parse to the same graph as bptutor's plain form; micrograd's own tests as
written, with their published numbers; user functions written out at each call
and narrated with the call's name; a note wherever a form could be read two ways."""
import json

import numpy as np
import pytest

import bptutor
from bptutor.errors import BptutorError
from bptutor.i18n import t
from bptutor.lang.parse import parse
from helpers import run

V = [1.0, 2.0]
M = [[0.1, 0.5], [-0.3, 0.8]]
VALUES = {"x": 0.5, "y": 1.5, "z": -4.0, "a": -2.0, "b": 3.0, "w": 0.7, "p": 0.5, "c": 2.0,
          "v": V, "u": [0.5, -1.0], "W": M, "A": M, "s": [1.0, 3.0, 2.0], "k": 1}

# (the form as people write it, bptutor's plain form of it)
FORMS = [
    # `+=` and friends, as micrograd writes them
    ("c = a; c += c + 1; c", "c = a; c = c + (c + 1); c"),
    ("c = a; c -= 2*b; c", "c = a; c = c - 2*b; c"),
    ("c = a; c *= b + 1; c", "c = a; c = c*(b + 1); c"),
    ("c = a; c /= b; c", "c = a; c = c/b; c"),
    # implicit multiplication, as the notes write it
    ("2x", "2*x"),
    ("2 x", "2*x"),
    ("(x+y)z", "(x+y)*z"),
    ("(a+b)(b+1)", "(a+b)*(b+1)"),
    ("2x^2 + 3x y", "2*x^2 + 3*x*y"),
    ("a sin(x)", "a*sin(x)"),
    ("2√x", "2*sqrt(x)"),
    # the symbols bptutor itself prints
    ("σ(x)", "sigmoid(x)"),
    ("(1-σ(x))σ(x)", "(1-sigmoid(x))*sigmoid(x)"),
    ("sum(Wᵀ @ v)", "sum(W.T @ v)"),
    ("sum(W^T @ v)", "sum(W.T @ v)"),
    ("√x", "sqrt(x)"),
    ("√(x + y)", "sqrt(x + y)"),
    ("|x - y|", "abs(x - y)"),
    ("x²", "x^2"),
    ("x³ + y²", "x^3 + y^2"),
    ("(x+y)²", "(x+y)^2"),
    ("ReLU(x)", "relu(x)"),
    ("Sigmoid(x) + Tanh(y)", "sigmoid(x) + tanh(y)"),
    ("log10(x)", "log(x, 10)"),
    ("np.log10(x)", "log(x, 10)"),
    ("math.log(x, 2)", "log2(x)"),
    ("max(s)", "s.max()"),
    ("min(s)", "np.min(s)"),
    ("x \\cdot y", "x*y"),
    ("x · y", "x*y"),
    ("x \\times y", "x*y"),
    ("sum(W \\cdot v)", "sum(W @ v)"),
    ("u·v", "u @ v"),
    # Python's and numpy's habits
    ("np.exp(x)", "exp(x)"),
    ("math.exp(x) + math.pi", "exp(x) + pi"),
    ("torch.sigmoid(x)", "sigmoid(x)"),
    ("torch.nn.functional.relu(x) + F.relu(y)", "relu(x) + relu(y)"),
    ("u.dot(v)", "u @ v"),
    ("dot(u, v)", "u @ v"),
    ("np.dot(W, v).sum()", "sum(W @ v)"),
    ("np.sum(v)", "sum(v)"),
    ("v.sum()", "sum(v)"),
    ("W.sum(axis=0).sum()", "sum(sum(W, 0))"),
    ("np.maximum(x, y)", "max(x, y)"),
    ("x**2", "x^2"),
    ("W.T.dot(v).sum()", "sum(W.T @ v)"),
    ("v.exp().sum() + np.square(x)", "sum(exp(v)) + x^2"),
    # labels given as values
    ("s[k]", "s[1]"),
    ("-log(softmax(s)[k])", "-log(softmax(s)[1])"),
    # user functions, written out where they are called
    ("f(x) = x^2 + 1; f(a) + f(b)", "(a^2 + 1) + (b^2 + 1)"),
    ("forward(x, w) = x*w; loss(x, y, w) = (forward(x, w) - y)^2; L = loss(2, 4, w)", "L = (2*w - 4)^2"),
    ("g(u, v) = u·v; g(W @ v, v) + g(x, y)", "(W @ v) @ v + x*y"),
    ("h(t) = t*c; c = 3; h(x)", "c = 3; x*c"),
]


def shape(src: str) -> list:
    """The graph as data: each node's op, inputs and constant (not its name or span)."""
    g = parse(src, known_inputs=VALUES)
    return [(n.op.name, n.args, repr(n.c)) for n in g.nodes] + [list(g.inputs), g.output]


@pytest.mark.parametrize("form, plain", FORMS)
def test_each_form_parses_to_the_graph_of_its_plain_form(form, plain):
    assert shape(form) == shape(plain)
    d = bptutor.derive(form, VALUES)
    assert d.ok


@pytest.mark.parametrize("form, read, key", [
    ("W^T", "Wᵀ", "notation.transpose"),
    ("1/2x", "(1/2)·x", "notation.quotient_times"),
    ("c = 2; c(x + 1)", "c·(x + 1)", "notation.call_as_product"),
])
def test_a_form_read_one_of_two_ways_says_how_in_a_note(form, read, key):
    d = bptutor.derive(form, {k: v for k, v in {"W": 2.0, "x": 1.0}.items() if k in parse(form).inputs})
    assert [k for k, _ in d.warnings] == [key]
    for lang in ("en", "zh"):
        code, out, _ = run(form, "--vals", "W=2,x=1", "--lang", lang)
        assert code == 0 and read in out and t(key, lang, **d.warnings[0][1]) in out


def test_w_to_the_power_t_when_t_has_a_value():
    d = bptutor.derive("W^T", {"W": 2.0, "T": 3.0})
    assert d.value == 8 and not d.warnings and d.gradients["T"] == pytest.approx(8 * np.log(2))


def test_w0x0_is_one_name_and_the_message_says_so():
    assert list(parse("w0x0").inputs) == ["w0x0"]
    code, out, err = run("w0x0 + w1*x1", "--vals", "w0=2,x0=-1,w1=-3,x1=-2", "--lang", "en")
    assert code == 2 and "bptutor reads w0x0 as one name; for the product write w0*x0 or w0 x0" in err
    code, _, err = run("w0x0 + w1*x1", "--vals", "w0=2,x0=-1,w1=-3,x1=-2", "--lang", "zh")
    assert "w0x0 读作一个名字" in err
    assert bptutor.derive("w0x0 + w1*x1", "w0x0=2,w1=-3,x1=-2").value == 8


# ---- micrograd's tests, as written (karpathy/micrograd test/test_engine.py) ------------------
def test_micrograd_sanity_check():
    for src in ("x = -4; z = 2*x + 2 + x; q = relu(z) + z*x; h = relu(z*z); y = h + q + q*x",
                "x = -4.0\nz = 2 * x + 2 + x\nq = z.relu() + z * x\nh = (z * z).relu()\ny = h + q + q * x"):
        d = bptutor.derive(src)
        assert d.value == -20 and d.gradients == {"x": 46}


def test_micrograd_more_ops():
    src = ("a = -4.0\nb = 2.0\nc = a + b\nd = a * b + b**3\nc += c + 1\nc += 1 + c + (-a)\n"
           "d += d * 2 + (b + a).relu()\nd += 3 * d + (b - a).relu()\ne = c - d\nf = e**2\ng = f / 2.0\n"
           "g += 10.0 / f")
    d = bptutor.derive(src)
    assert d.value == pytest.approx(24.70408163265306, abs=1e-12)          # micrograd: 24.7041
    assert d.gradients["a"] == pytest.approx(138.83381924198252, abs=1e-10)   # 138.8338
    assert d.gradients["b"] == pytest.approx(645.5772594752186, abs=1e-10)    # 645.5773
    issue = ("a = -4; b = 2; c = a + b; d = a*b + b**3; c += c + 1; c += 1 + c + (-a); d += d*2 + relu(b+a); "
             "d += 3*d + relu(b-a); e = c - d; f = e**2; g = f/2.0; g += 10.0/f")
    code, out, _ = run(issue, "--json")
    data = json.loads(out)
    assert code == 0 and round(data["value"], 4) == 24.7041
    assert (round(data["gradients"]["a"], 4), round(data["gradients"]["b"], 4)) == (138.8338, 645.5773)


def test_a_reassigned_name_is_versioned_and_the_last_keeps_it():
    g = parse("a = x + 1; c = a*2; c += 1; c *= c; c")
    assert [n.label for n in g.nodes if n.name == "c"] == ["c₁", "c₂", "c"]


# ---- user functions -----------------------------------------------------------------------
SEED_001 = "forward(x, w) = x*w; loss(x, y, w) = (forward(x, w) - y)^2; L = loss(2, 4, w)"


def test_function_calls_are_narrated_with_the_calls_name():
    code, out, _ = run(SEED_001, "--vals", "w=1", "--lang", "en")
    assert code == 0 and "L = 4" in out
    assert "in loss(2, 4, w): -4 gate" in out
    assert "in loss(2, 4, w) › forward(x, w): x*w gate: local gradient 2, upstream gradient -4, so the gradient " \
           "of w is 2 × (-4) = -8" in out
    code, out, _ = run(SEED_001, "--vals", "w=1", "--lang", "zh")
    assert "在 loss(2, 4, w) › forward(x, w) 中：" in out
    assert bptutor.derive(SEED_001, {"w": 1}).gradients == {"w": -8}          # 2·2·(2w - 4) at w = 1


def test_each_call_is_a_frame_in_the_pictures():
    d = bptutor.derive(SEED_001.replace("L = loss(2, 4, w)", "L = loss(2, 4, w) + loss(3, 5, w)"), {"w": 1})
    from bptutor.render import dot, mermaid
    text = dot.render(d)
    assert text.count("subgraph cluster_call") == 4 and 'label="loss(3, 5, w)"' in text
    assert text.index('label="loss(2, 4, w)"') < text.index('label="forward(x, w)"')      # nested
    assert mermaid.render(d).count("subgraph call") == 4


def test_functions_of_any_number_of_parameters_called_many_times():
    src = "k() = 3; one(a) = a + k(); three(a, b, c) = a*b - c; three(one(x), y, z) + one(three(x, x, x))"
    d = bptutor.derive(src, {"x": 2.0, "y": 5.0, "z": 1.0})
    assert d.value == (5 * 5 - 1) + (4 - 2 + 3)
    assert d.gradients == {"x": 5 + (2 * 2 - 1), "y": 5, "z": -1}
    assert shape(src.replace("k() = 3; ", "").replace("k()", "3")) == shape(src)


@pytest.mark.parametrize("src, key, span", [
    ("f(x) = f(x) + 1; f(2)", "syntax.recursion", (7, 8)),
    ("f(2); f(x) = x", "syntax.function_later", (0, 1)),
    ("f(x, y) = x; f(1)", "syntax.function_arity", (13, 17)),
    ("f(x) = x; f(x) = 2*x; f(1)", "syntax.function_twice", (10, 11)),
    ("exp(x) = x; exp(1)", "syntax.builtin_redefined", (0, 3)),
    ("f(x, x) = x; f(1, 2)", "syntax.duplicate_param", (5, 6)),
    ("f(x) = x; f + 1", "syntax.function_as_value", (10, 11)),
    ("f(x) = x^2", "syntax.ends_with_definition", (10, 11)),
    ("x.foo()", "syntax.unknown_method", (1, 5)),
    ("np.foo(x)", "syntax.unknown_module_function", (0, 6)),
    ("np + 1", None, None),                       # np with no function after it is a name
    ("np.linalg + 1", "syntax.module_value", (0, 9)),
    ("x.shape", "syntax.unknown_attribute", (1, 7)),
    ("sum(x, keepdims=1)", "syntax.unknown_keyword", (7, 17)),
    ("log(x, 1)", "syntax.log_base", (7, 8)),
    ("s[y]", "tensor.label_without_value", (2, 3)),
    ("(x) = 3", "syntax.assign_needs_name", (4, 5)),
    ("x + y = 3", "syntax.assign_needs_name", (6, 7)),
])
def test_mistakes_in_the_new_forms_are_named_at_the_users_text(src, key, span):
    if key is None:
        assert bptutor.derive(src, {"np": 1.0}).value == 2
        return
    with pytest.raises(BptutorError) as exc:
        bptutor.derive(src, {"x": 1.0, "s": [1.0, 2.0]})
    assert (exc.value.key, exc.value.span) == (key, span)
    for lang in ("en", "zh"):
        assert "{" not in exc.value.message(lang)


def test_an_error_inside_a_function_points_into_its_body():
    with pytest.raises(BptutorError) as exc:
        bptutor.derive("f(x) = log(x - 1); f(a) + f(b)", {"a": 3.0, "b": 1.0})
    assert exc.value.key == "math.log_domain" and exc.value.span == (7, 17)


def test_calls_within_calls_are_written_out_without_recursion():
    # 300 functions, each calling the one before: every template is flat, so nothing recurses
    defs = "".join(f"f{k}(x) = f{k - 1}(x) + 1\n" for k in range(1, 300))
    d = bptutor.derive("f0(x) = x\n" + defs + "f299(y)", {"y": 1.0})
    assert d.value == 300 and d.gradients == {"y": 1}
    assert max(len(node.call or ()) for node in d.graph.nodes) == 299


# ---- the command line ---------------------------------------------------------------------
@pytest.mark.parametrize("argv, value", [
    (["(x+y)z", "--vals", "x=-2,y=5,z=-4"], -12),
    (["σ(w·x + b)", "--vals", "w=[1,2], x=[0.5,-1], b=0.1"], 1 / (1 + np.exp(1.4))),
    ([SEED_001, "--vals", "w=1"], 4),
    (["-log(p)", "--vals", "p=0.5"], np.log(2)),
])
def test_the_issues_examples(argv, value):
    code, out, err = run(*argv, "--json")
    assert code == 0, err
    assert json.loads(out)["value"] == pytest.approx(value)


def test_an_answer_pasted_from_the_narration():
    # the narration writes the sigmoid gate's rule as (1-σ(u))σ(u): that text is an answer too
    code, out, err = run("sigmoid(w*x)", "--vals", "w=2,x=-1", "--answer", "x = (1-σ(w x))σ(w x) w",
                         "--lang", "en")
    assert code == 0, out + err
