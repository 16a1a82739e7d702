"""Property-based fuzzing: whatever is typed, the only outcomes are a result or
a BptutorError (through the API) and exit 0/1 with output or exit 2 with a
message (through the CLI) -- never a traceback, never an internal error. Each
front end's check (assert_*_outcome) fails on an internal error, and a test
below injects a bug to show that the REPL's check catches it.

CI runs a few thousand examples in all. The long run raises the count:
    BPTUTOR_FUZZ_EXAMPLES=50000 python -m pytest tests/test_fuzz.py
"""
import io
import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.errors import BptutorError
from helpers import assert_no_internal_error, random_expressions, run

SCALE = int(os.environ.get("BPTUTOR_FUZZ_EXAMPLES", "0")) or None


def examples(ci: int) -> settings:
    return settings(max_examples=SCALE or ci, deadline=None, derandomize=SCALE is None,
                    suppress_health_check=list(HealthCheck))


# ---- random text: the grammar's alphabet, function names, look-alikes, any Unicode ----
PIECES = ["x", "y", "z", "w0", "e", "pi", "0", "1", "2.5", "1e3", "1e999", ".5", "+", "-", "*", "/", "^", "**",
          "@", ".T", "(", ")", "[", "]", ",", ";", "=", " ", "\n", "\t", "#", "\\\n", "exp(", "log(", "sqrt(",
          "max(", "relu(", "sigmoid(", "tanh(", "abs(", "sigmiod(", "（", "）", "＋", "×", "−", "²", "√", "₀",
          "\x00", "\x1b", "\u200b", "\u202e", "'", '"', "__import__", "\udcff", "ｘ", "，", "、"]
texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=20).map("".join),
)
VALS = "x=1.5, y=-2, z=0.5, w0=3"


def assert_api_outcome(src, values):
    try:
        d = bptutor.derive(src, values)
    except BptutorError as exc:
        assert exc.key != "input.internal", exc
        exc.message("en"), exc.message("zh")        # every key has both texts, every placeholder filled
        return
    assert finite(d.value) and all(finite(g) for g in d.gradients.values())


def finite(v) -> bool:
    """A finite number, or an array (a 0-d one for `x.T` of a scalar) of them."""
    if isinstance(v, float):
        return math.isfinite(v)
    import numpy as np
    return bool(np.isfinite(np.asarray(v, dtype=float)).all())


def assert_cli_outcome(*argv):
    code, out, err = run(*argv)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err
    assert_no_internal_error(out, err)
    if code == 2:
        assert out == "" and err.startswith(("error: ", "错误：")), err
    else:
        assert out and not err


@examples(1500)
@given(texts)
def test_random_text_through_the_api(src):
    assert_api_outcome(src, VALS)


@examples(600)
@given(texts, st.sampled_from(["en", "zh"]))
def test_random_text_through_the_cli(src, lang):
    assert_cli_outcome(src, "--vals", VALS, "--lang", lang)


@examples(500)
@given(texts)
def test_random_text_as_values(vals):
    assert_api_outcome("x*y", vals)
    assert_cli_outcome("x*y", "--vals", vals, "--json")


# ---- random well-formed expressions with random values --------------------------------
NAMES = ["x", "y", "z", "w0"]
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "-", "sum", "mean",
         "norm", "softmax", "logsumexp"]
BINARY = ["+", "-", "*", "/", "^", "**", "max", "min"]
numbers = st.one_of(st.integers(-5, 5).map(str), st.sampled_from(["0.5", "2.5", "1e-3", "1e2", "pi", "e"]))


expressions = random_expressions(st.one_of(st.sampled_from(NAMES), numbers), UNARY, BINARY, max_leaves=12)
values = st.fixed_dictionaries({}, optional={n: st.one_of(
    st.floats(-10, 10, allow_nan=False), st.integers(-3, 3), st.sampled_from([0.0, 1e300, -1e-300, 709.0, 1e-9]),
    st.lists(st.floats(-3, 3), min_size=1, max_size=3),                      # vectors: the array engine
    st.lists(st.lists(st.integers(-2, 2), min_size=2, max_size=2), min_size=1, max_size=2))
    for n in NAMES})


@examples(1000)
@given(expressions, values)
def test_random_expressions_through_the_api(src, vals):
    assert_api_outcome(src, vals)


OPTIONS = ["--json", "--all", "--digits=2", "--digits=0", "--format=md", "--format=latex", "--graph=-"]
answers = st.one_of(texts, st.lists(st.tuples(st.sampled_from(NAMES + ["f", "q"]), st.one_of(
    st.floats(-5, 5).map(lambda v: f"{v:.2f}"), texts, expressions))).map(
    lambda pairs: ", ".join(f"{k}={v}" for k, v in pairs)))


@examples(300)
@given(expressions, values, st.sampled_from(["en", "zh"]), st.sampled_from(OPTIONS), st.none() | answers)
def test_random_expressions_through_the_cli(src, vals, lang, option, answer):
    text = ", ".join(f"{k}={v!r}" for k, v in vals.items())
    argv = [src, "--lang", lang, option] + (["--vals", text] if text else [])
    assert_cli_outcome(*argv, *(["--answer", answer] if answer is not None else []))


# ---- the REPL: one line at a time, the session survives everything -------------------
REPL_LINES = st.one_of(
    texts,
    expressions,
    st.tuples(st.sampled_from([":vals ", ":del ", ":lang ", ":digits ", ":check ", ":json", ":help ", ":", ":nope "]),
              texts).map("".join),
    st.sampled_from([":md", ":latex", ":graph -", ":json", ":vals", ":clear"]),     # no file names: nothing written
)


def assert_repl_outcome(lines):
    """A session with values set survives every line, never meets a bug of ours,
    and still derives with its values afterwards."""
    from bptutor.app.repl import Session
    out, err = io.StringIO(), io.StringIO()
    session = Session(lang="en", out=out, err=err, ask=lambda prompt: None)
    session.handle(VALS)                # x = 1.5, y = -2, z = 0.5, w0 = 3
    for line in lines:
        session.handle(line)            # must not raise: errors are printed and the session goes on
    session.handle(VALS)
    assert session.handle("x*y")
    assert "Traceback" not in err.getvalue()
    assert_no_internal_error(out.getvalue(), err.getvalue())
    assert session.bugs == 0
    assert session.last.value == -3.0 and session.last.gradients == {"x": -2.0, "y": 1.5}


@examples(400)
@given(st.lists(REPL_LINES, min_size=1, max_size=6))
def test_random_lines_through_the_repl(lines):
    assert_repl_outcome(lines)


def _divide_by_zero(*args, **kwargs):
    return 1 / 0


def _type_error(*args, **kwargs):
    raise TypeError("an injected bug")


@pytest.mark.parametrize("module, name, bug", [
    ("bptutor.tutor.program", "backward", _divide_by_zero),    # inside derive: reported as BptutorInternalError
    ("bptutor.tutor.program", "derive", _type_error),          # escapes derive as itself
    ("bptutor.render.plain", "document", _type_error),         # in printing the derivation
])
def test_the_repl_check_catches_an_injected_bug(monkeypatch, module, name, bug):
    import importlib
    monkeypatch.setattr(importlib.import_module(module), name, bug)
    with pytest.raises(AssertionError, match="internal error, a bug in bptutor"):
        assert_repl_outcome(["x + y", ":vals"])


# ---- grade: every problem gets a verdict or its error, the rest are still graded ---------
answer_values = st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr), texts.map(json.dumps),
                          st.sampled_from(["true", "[1, 2]", "{ a = 1 }", "1e999", "-0.0", "nan", "inf"]))
problems = st.fixed_dictionaries({
    "expr": st.one_of(expressions, texts),
    "vals": st.one_of(st.just(VALS), texts),
    "answers": st.dictionaries(st.sampled_from(NAMES + ["q", "f"]), answer_values, max_size=4),
})


def toml_problem(p) -> str:
    answers = ", ".join(f"{json.dumps(k)} = {v}" for k, v in p["answers"].items())
    return (f"[[problem]]\nexpr = {json.dumps(p['expr'])}\nvals = {json.dumps(p['vals'])}\n"
            f"answers = {{ {answers} }}\n")


@examples(150)
@given(st.lists(problems, min_size=1, max_size=4), st.sampled_from(["en", "zh"]), st.booleans())
def test_random_problems_through_grade(tmp_path_factory, items, lang, as_json):
    path = tmp_path_factory.mktemp("grade") / "hw.toml"
    path.write_bytes("\n".join(toml_problem(p) for p in items).encode("utf-8", "surrogatepass"))
    code, out, err = run("grade", str(path), "--lang", lang, *(["--json"] if as_json else []))
    assert code in (0, 1, 2) and "Traceback" not in err, err
    assert_no_internal_error(out, err)
    if code != 2:
        assert out and not err


# ---- the quiz: any answer is judged or refused with a message, and the quiz goes on ------
@examples(150)
@given(st.lists(st.one_of(texts, expressions, st.sampled_from(["?", "", "0", "-1.5", "1, y=2"])), max_size=10),
       st.integers(1, 3), st.integers(0, 5), st.sampled_from(["en", "zh"]))
def test_random_answers_through_the_quiz(answers, level, seed, lang):
    from bptutor.app.cli import main
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO("\n".join(a.replace("\n", " ") for a in answers) + "\n")
    code = main(["quiz", "--level", str(level), "--seed", str(seed), "--lang", lang], stdout=out, stderr=err,
                stdin=stdin)
    assert code in (0, 1) and "Traceback" not in err.getvalue(), err.getvalue()
    assert_no_internal_error(out.getvalue(), err.getvalue())


# ---- standard input, and control characters in everything a user names -------------------------
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9b", "\u202e", "\u2066", "\u2028", "\x1b[1A",
                                            "\x1b[2K", "\x1b]0;t\x07", "\x9b2J"]
hostile_names = st.lists(st.one_of(st.sampled_from(CONTROLS), st.sampled_from(["x", "a", "✓ right", "题", " "])),
                         min_size=1, max_size=8).map("".join)


def assert_nothing_raw(*texts):
    """No control character reaches the output as it is (newlines aside)."""
    from bptutor.app.console import UNSAFE
    for text in texts:
        assert not UNSAFE.search(text), repr(text)


@examples(150)
@given(st.lists(st.tuples(hostile_names, hostile_names), min_size=1, max_size=3), st.sampled_from(["en", "zh"]),
       st.booleans())
def test_control_characters_in_problem_titles_and_answer_names(tmp_path_factory, items, lang, as_json):
    path = tmp_path_factory.mktemp("grade") / "hw.toml"
    path.write_text("\n".join(f"[[problem]]\nname = {json.dumps(title)}\nexpr = \"x*y\"\nvals = \"x=1,y=2\"\n"
                              f"answers = {{ {json.dumps(name)} = 2, y = 1 }}\n" for title, name in items),
                    encoding="utf-8")
    code, out, err = run("grade", str(path), "--lang", lang, *(["--json"] if as_json else []))
    assert code in (0, 1) and "Traceback" not in err, err
    assert_no_internal_error(out, err)
    assert_nothing_raw(out, err)
    if as_json:
        assert [p["name"] for p in json.loads(out)["problems"]] == [title for title, _ in items]


@examples(150)
@given(hostile_names, st.sampled_from(["--vals", "--answer", "--wrt", "--graph", "-f"]), st.sampled_from(["en", "zh"]))
def test_control_characters_in_names_on_the_command_line(name, option, lang):
    argv = {"--vals": ["x*y", "--vals", f"x=1,{name}=2"], "--answer": ["x*y", "--vals", "x=1,y=2", "--answer",
                                                                       f"{name}=2"],
            "--wrt": ["x*y", "--vals", "x=1,y=2", "--wrt", name],
            "--graph": ["x*y", "--vals", "x=1,y=2", "--graph", name + ".txt"], "-f": ["-f", name]}[option]
    code, out, err = run(*argv, "--lang", lang)
    assert code in (0, 1, 2) and "Traceback" not in err
    assert_no_internal_error(out, err)
    assert_nothing_raw(out, err)


@examples(150)
@given(st.lists(st.one_of(REPL_LINES, hostile_names,
                          st.tuples(st.sampled_from([":lang ", ":digits ", ":del ", ":check ", ":", "x = 1; "]),
                                    hostile_names).map("".join)), min_size=1, max_size=6),
       st.binary(max_size=20))
def test_random_bytes_and_control_characters_through_the_piped_repl(lines, noise):
    from bptutor.app.cli import main
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n" + noise + b"\nx = 1\nx*x\n"
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")      # as sys.stdin: bytes underneath
    out, err = io.StringIO(), io.StringIO()
    code = main(["repl", "--lang", "en"], out, err, stdin)
    assert code in (0, 2) and "Traceback" not in err.getvalue()
    assert_no_internal_error(out.getvalue(), err.getvalue())
    assert_nothing_raw(out.getvalue(), err.getvalue())


@examples(100)
@given(st.one_of(st.binary(max_size=200), st.lists(problems, min_size=1, max_size=3).map(
    lambda items: "\n".join(toml_problem(p) for p in items).encode("utf-8", "surrogatepass"))),
    st.booleans())
def test_random_bytes_through_grade_from_stdin(data, as_json):
    from bptutor.app.cli import main
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    code = main(["grade", "-", "--lang", "en", *(["--json"] if as_json else [])], out, err, stdin)
    assert code in (0, 1, 2) and "Traceback" not in err.getvalue(), err.getvalue()
    assert_no_internal_error(out.getvalue(), err.getvalue())
    assert_nothing_raw(out.getvalue(), err.getvalue())
