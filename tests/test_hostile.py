"""Broken and hostile input, table-driven: every case through the CLI in both
languages must exit 2 with the message of its key, a caret under the right
place, and no traceback; the same inputs through the API raise that key."""
import re
import string

import pytest

import bptutor
from bptutor.errors import BptutorError
from bptutor.i18n import t
from bptutor.lang.text import MAX_SOURCE
from bptutor.lang.values import parse_values
from bptutor.app.console import cells
from helpers import assert_no_internal_error, run

# (argv, message key, caret) -- caret: (column in the source line, width in cells), or None
# when the message has no source line under it. FILE:<name> is replaced by a file made below.
CASES = [
    # ---- syntax: brackets ------------------------------------------------------------
    (["(x+y"], "syntax.unclosed", (0, 1)),
    (["x+y)"], "syntax.unmatched_close", (3, 1)),
    (["x)+(y"], "syntax.unmatched_close", (1, 1)),
    (["(x+)"], "syntax.missing_operand", (2, 1)),
    (["()*x"], "syntax.empty_brackets", (0, 2)),
    (["max(x,)"], "syntax.missing_operand", (5, 1)),
    (["f = (x +\n 1"], "syntax.unclosed", (4, 1)),
    (["x # see (note)\n)"], "syntax.unmatched_close", (0, 1)),
    # ---- syntax: operators and operands --------------------------------------------------
    (["x+"], "syntax.missing_operand", (1, 1)),
    (["x**"], "syntax.missing_operand", (1, 2)),
    (["x+  # trailing"], "syntax.missing_operand", (1, 1)),
    (["a = x*\nb = a"], "syntax.missing_operand", (5, 1)),
    (["*x"], "syntax.missing_left_operand", (0, 1)),
    (["(/x)"], "syntax.missing_left_operand", (1, 1)),
    (["x+*y"], "syntax.two_operators", (2, 1)),
    (["x*/y"], "syntax.two_operators", (2, 1)),
    (["x 2"], "syntax.missing_operator", (2, 1)),            # (2x, x y, (x)(y) are products)
    (["2 3"], "syntax.missing_operator", (2, 1)),
    (["(x)2"], "syntax.missing_operator", (3, 1)),
    (["= x"], "syntax.assign_needs_name", (0, 1)),
    (["x + y = 3"], "syntax.assign_needs_name", (6, 1)),
    (["1.2.3*x"], "syntax.bad_number", (0, 5)),
    # ---- syntax: empty -------------------------------------------------------------------
    ([""], "syntax.empty", None),
    (["   "], "syntax.empty", None),
    (["# only a comment"], "syntax.empty", (0, 1)),
    ([";;\n;"], "syntax.empty", (0, 1)),
    # ---- syntax: characters -----------------------------------------------------------------
    (["x $ y"], "syntax.unexpected_char", (2, 1)),
    (["x⁻ + 1"], "syntax.lookalike", (1, 1)),               # (x², √x are the language's own)
    (["∑x"], "syntax.lookalike", (0, 1)),
    (["w₀*x"], "syntax.lookalike", (1, 1)),
    (["x＄y"], "syntax.unexpected_char_fullwidth", (1, 2)),
    (["（x＋y）×z＄"], "syntax.unexpected_char_fullwidth", (10, 2)),
    (["x\u200by"], "syntax.invisible_char", (1, 1)),
    (["x\u202ey"], "syntax.invisible_char", (1, 1)),
    (["__import__('os').system('ls')"], "syntax.quote", (11, 1)),
    (['"x"'], "syntax.quote", (0, 1)),
    (["“x”"], "syntax.quote", (0, 1)),
    (["x：y"], "syntax.unexpected_char_fullwidth", (1, 2)),
    (["x\x00y"], "syntax.control_char", (1, 1)),
    (["x+\x1b[31my"], "syntax.control_char", (2, 1)),
    (["x\x7f"], "syntax.control_char", (1, 1)),
    (["x+\udcff"], "syntax.bad_byte", (2, 1)),
    # ---- syntax: functions --------------------------------------------------------------------
    (["sigmiod(x)"], "syntax.unknown_function_suggest", (0, 7)),
    (["foo(x, y)"], "syntax.unknown_function", (0, 3)),
    (["foo(x)"], "syntax.unknown_function_product", (0, 3)),
    (["max()"], "syntax.arity", (0, 5)),
    (["exp(x, y)"], "syntax.arity", (0, 9)),
    (["exp()"], "syntax.arity", (0, 5)),
    # ---- values -------------------------------------------------------------------------
    (["x+y", "--vals", "x=abc,y=1"], "value.not_a_number", (0, 5)),
    (["x", "--vals", "x=inf"], "value.not_a_number", (0, 5)),
    (["x", "--vals", "x=nan"], "value.not_a_number", (0, 5)),
    (["x", "--vals", "x=1e999"], "value.too_large", (2, 5)),
    (["x = 1e999; x + 1"], "value.too_large", (4, 5)),
    (["x", "--vals", "x=1,x=2"], "value.duplicate", (4, 3)),
    (["x", "--vals", "x=1", "--vals", "x=2"], "value.duplicate", (0, 1)),
    (["x+y+z", "--vals", "x=1"], "value.missing", None),
    (["x+y", "--vals", "x=1,y"], "value.expected_pair", (4, 1)),
    (["x", "--vals", "=1"], "value.expected_pair", (0, 1)),
    (["x", "--vals", "x=(1"], "syntax.unclosed", (2, 1)),
    (["x", "--vals", "x=1\x00"], "syntax.control_char", (3, 1)),
    (["x", "--eps", "0", "--vals", "x=1"], "value.bad_eps", None),
    (["x", "--eps", "nan", "--vals", "x=1"], "value.bad_eps", None),
    (["x", "--wrt", "y", "--vals", "x=1"], "value.unknown_wrt", None),
    # ---- domain errors and overflow --------------------------------------------------------
    (["log(x)", "--vals", "x=0"], "math.log_domain", (0, 6)),
    (["2*sqrt(x)", "--vals", "x=-1"], "math.sqrt_domain", (2, 7)),
    (["1/x", "--vals", "x=0"], "math.division_by_zero", (0, 3)),
    (["y/(x-1)", "--vals", "x=1,y=2"], "math.division_by_zero", (0, 7)),
    (["x^-1", "--vals", "x=0"], "math.pow_zero_negative", (0, 4)),
    (["x^y", "--vals", "x=-1,y=0.5"], "math.pow_negative_base", (0, 3)),
    (["log(0)+x", "--vals", "x=1"], "math.log_domain", (0, 6)),
    (["1e308*10*x", "--vals", "x=1"], "math.overflow", (0, 8)),
    (["2*exp(x)", "--vals", "x=800"], "math.overflow", (2, 6)),
    (["x*y+1", "--vals", "x=1e300,y=1e300"], "math.overflow", (0, 3)),
    (["x^2", "--vals", "x=1e200"], "math.overflow", (0, 3)),
    (["sqrt(x)", "--vals", "x=0"], "math.gradient_undefined", (0, 7)),
    (["log(x)*1e300", "--vals", "x=1e-10"], "math.gradient_overflow", (0, 6)),
    (["1e308*x + 1e308*x", "--vals", "x=0"], "math.gradient_overflow_sum", (6, 1)),
    # ---- files and options -------------------------------------------------------------------
    (["-f", "FILE:missing.bp"], "input.file_missing", None),
    (["-f", "FILE:."], "input.file_missing", None),
    (["-f", "nul\x00name.bp"], "input.file_missing", None),
    (["-f", "FILE:latin1.bp"], "input.bad_utf8", None),
    (["-f", "FILE:huge.bp"], "input.file_too_large", None),
    (["-f", "FILE:nul.bp"], "syntax.control_char", (4, 1)),
    (["x", "-f", "FILE:nul.bp"], "cli.expr_and_file", None),
    (["x", "--digits", "abc"], "cli.usage", None),
    ([], "cli.no_expr", None),
]

FILES = {
    "latin1.bp": "x = 1\nf = x * 2 # café\n".encode("latin-1"),
    "huge.bp": b"x+" * (MAX_SOURCE // 2) + b"x\n",
    "nul.bp": b"x = \x00\n",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for name, data in FILES.items():
        (root / name).write_bytes(data)
    return root


def message_pattern(key: str, lang: str) -> re.Pattern:
    """The printed first line of an error, with every placeholder a wildcard."""
    def as_regex(template):
        return "".join(re.escape(lit) + (".*?" if name is not None else "")
                       for lit, name, _, _ in string.Formatter().parse(template))
    line = as_regex(t("cli.error", lang).replace("{message}", "\x00")).replace("\x00", as_regex(t(key, lang)))
    return re.compile(line + r"\Z", re.S)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40 and len({key for _, key, _ in CASES}) >= 30


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("argv, key, caret", CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_broken_input_exits_2_with_the_message_and_a_caret(files, argv, key, caret, lang):
    argv = [str(files / a[5:]) if a.startswith("FILE:") else a for a in argv]
    code, out, err = run(*argv, "--lang", lang)
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    assert_no_internal_error(err)
    lines = err.rstrip("\n").split("\n")
    assert message_pattern(key, lang).match(lines[0]), (lines[0], key)
    if caret is None:
        assert len(lines) == 1, err
        return
    source_line, caret_line = lines[1], lines[2]
    prefix = re.match(r"  (\d+ \| )?", source_line).group()
    col, width = caret
    assert caret_line == " " * (len(prefix) + col) + "^" * width, (source_line, caret_line)


@pytest.mark.parametrize("argv, key, caret", [c for c in CASES if len(c[0]) == 1 and not c[0][0].startswith("-")
                                             or len(c[0]) == 3 and c[0][1] == "--vals"])
def test_the_api_raises_the_same_key_and_span(argv, key, caret):
    src, vals = argv[0], (argv[2] if len(argv) > 2 else None)
    with pytest.raises(BptutorError) as exc:
        bptutor.derive(src, parse_values(vals) if vals and key.startswith("math.") else vals)
    assert exc.value.key == key
    if caret and "\n" not in src:
        text = exc.value.source
        start, end = exc.value.span
        assert (cells(text[:start]), cells(text[start:max(end, start + 1)])) == caret


def test_caret_sits_under_wide_characters_and_long_lines():
    code, _, err = run("（x＋y）×z ＄", "--lang", "zh")
    source_line, caret_line = err.split("\n")[1:3]
    assert cells(source_line[:source_line.index("＄")]) == caret_line.index("^")
    long = "x+" * 5000 + "$" + "+x" * 5000
    code, _, err = run(long)
    source_line, caret_line = err.split("\n")[1:3]
    assert code == 2 and len(source_line) < 140 and source_line.startswith("  …") and source_line.endswith("…")
    assert source_line[caret_line.index("^")] == "$"


def test_bad_utf8_names_the_byte_offset_and_line(files):
    code, _, err = run("-f", str(files / "latin1.bp"))
    assert code == 2 and "byte offset 21" in err and "line 2" in err and "0xE9" in err


def test_control_characters_are_shown_as_symbols_not_sent_to_the_terminal():
    code, _, err = run("x+\x1b[31my")
    assert code == 2 and "\x1b" not in err and "x+␛[31my" in err


@pytest.mark.parametrize("values, key", [
    ({"x": "1"}, "value.not_a_number"), ({"x": None}, "value.not_a_number"), ({"x": True}, "value.not_a_number"),
    ({"x": 1j}, "value.not_a_number"), ({"x": object()}, "value.not_a_number"), ({"x": float("inf")}, "value.not_finite"),
    ({"x": float("nan")}, "value.not_finite"), ({"x": 10 ** 400}, "value.not_finite"), ({1: 2}, "value.bad_name"),
    ([("x", 1)], "input.not_text"), (42, "input.not_text"), ("x=abc", "value.not_a_number"),
])
def test_api_rejects_weird_python_values_with_a_bptutor_error(values, key):
    with pytest.raises(BptutorError) as exc:
        bptutor.derive("x*2", values)
    assert exc.value.key == key


@pytest.mark.parametrize("kwargs, key", [
    ({"eps": 0}, "value.bad_eps"), ({"eps": "a"}, "value.bad_eps"), ({"eps": [1e-5]}, "value.bad_eps"),
    ({"eps": -1e-5}, "value.bad_eps"), ({"eps": float("nan")}, "value.bad_eps"), ({"wrt": 5}, "value.unknown_wrt"),
    ({"wrt": [5]}, "value.unknown_wrt"), ({"wrt": "y"}, "value.unknown_wrt"),
])
def test_api_rejects_weird_options(kwargs, key):
    with pytest.raises(BptutorError) as exc:
        bptutor.derive("x*2", {"x": 1}, **kwargs)
    assert exc.value.key == key


def test_api_takes_any_real_number_type():
    from decimal import Decimal
    from fractions import Fraction
    for v in (3, 3.0, Fraction(3), Decimal("3")):
        assert bptutor.derive("x*x", {"x": v}).gradients == {"x": 6.0}


def test_api_rejects_source_that_is_not_text():
    for source in (None, 42, b"x"):
        with pytest.raises(BptutorError) as exc:
            bptutor.derive(source, {"x": 1})
        assert exc.value.key == "input.not_text"


def test_a_bug_still_reaches_the_caller_as_a_bptutor_error(monkeypatch):
    import bptutor.tutor.program
    monkeypatch.setattr(bptutor.tutor.program, "check_gradients", lambda *args: 1 / 0)
    with pytest.raises(BptutorError) as exc:
        bptutor.derive("x*2", {"x": 1})
    assert exc.value.key == "input.internal" and isinstance(exc.value.__cause__, ZeroDivisionError)
    code, out, err = run("x*2", "--vals", "x=1")
    assert code == 3 and "ZeroDivisionError" in err and "Traceback" not in err


def test_unused_value_is_a_warning_not_an_error():
    code, out, err = run("x*2", "--vals", "x=1,z=3", "--lang", "en")
    assert code == 0 and "value given for z, which the expression does not use" in out


def test_missing_values_are_all_named():
    code, _, err = run("a*b+c*d", "--vals", "b=1", "--lang", "en")
    assert code == 2 and "no value for a, c, d" in err and "--vals a=1,c=1,d=1" in err


# ---- size: nothing recurses over user-sized structures, huge input is refused ------------
def test_100k_deep_nesting_from_a_file_through_the_cli(tmp_path):
    depth = 100_000
    path = tmp_path / "deep.bp"
    path.write_text("x = 0.5\n" + "sin(" * depth + "x" + ")" * depth + "\n", encoding="utf-8")
    code, out, err = run("-f", str(path), "--lang", "en")
    assert code == 0 and err == "" and "steps not shown" in out
    path.write_text("(" * depth + "x" + ")" * (depth - 1) + "\n", encoding="utf-8")      # and its error
    code, out, err = run("-f", str(path), "--lang", "en")
    assert code == 2 and "missing ')' to close the '(' at column 1" in err


def test_100k_term_expression_from_a_file_through_the_cli(tmp_path):
    terms = 100_000
    path = tmp_path / "sum.bp"
    path.write_text("x = 0.5\n" + "+".join(["x"] * terms) + "\n", encoding="utf-8")
    code, out, err = run("-f", str(path), "--lang", "en")
    assert code == 0 and f"{terms} paths meet at x" in out and f"= {terms}\n" in out
    assert len(max(out.splitlines(), key=len)) < 2000           # the sum of paths is elided, not a book
    path.write_text("+".join(["x"] * terms) + "+\n", encoding="utf-8")
    code, out, err = run("-f", str(path), "--lang", "zh")
    assert code == 2 and "'+' 后面缺少运算对象" in err


def test_too_many_nodes_is_refused_while_parsing(monkeypatch):
    import bptutor.core.graph
    monkeypatch.setattr(bptutor.core.graph, "MAX_NODES", 50)
    with pytest.raises(BptutorError) as exc:
        bptutor.derive("+".join(["x"] * 100), {"x": 1})
    assert exc.value.key == "input.too_many_nodes"


def test_too_long_text_is_refused_before_parsing():
    code, out, err = run("x+" * (MAX_SOURCE // 2) + "x", "--lang", "en")
    assert code == 2 and "the input is too large" in err and len(err) < 300


def test_messages_quote_huge_input_clipped():
    code, _, err = run("+".join(f"x{i}" for i in range(20000)), "--lang", "en")
    assert code == 2 and err.startswith("error: no value for x0, x1,") and len(err) < 1000


def test_a_console_that_cannot_encode_chinese_gets_escapes_not_a_crash():
    import os
    import subprocess
    import sys

    from helpers import ROOT
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONPATH": str(ROOT)}
    for argv, code in ((["x*y", "--vals", "x=1,y=2", "--lang", "zh"], 0), (["x²", "--lang", "zh"], 2)):
        proc = subprocess.run([sys.executable, "-m", "bptutor", *argv], capture_output=True, env=env, cwd=ROOT)
        assert proc.returncode == code and b"Traceback" not in proc.stderr, proc.stderr
        assert (proc.stdout if code == 0 else proc.stderr).isascii()


def test_pi_typed_as_a_greek_letter_is_the_constant():
    assert bptutor.derive("2*π*x", {"x": 1}).value == pytest.approx(2 * 3.141592653589793)


def test_windows_and_old_mac_line_ends_are_line_ends(tmp_path):
    for name, text in (("crlf.bp", b"x = 1\r\ny = 2\r\nf = x*y\r\n"), ("cr.bp", b"x = 1\ry = 2\rf = x*y\r")):
        (tmp_path / name).write_bytes(text)
        code, out, err = run("-f", str(tmp_path / name), "--json")
        assert code == 0 and err == "" and '"value": 2' in out


def test_a_full_disk_is_a_message_not_a_crash():
    import errno
    import io

    from bptutor.app.cli import main

    class Full(io.StringIO):
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

    err = io.StringIO()
    assert main(["x*2", "--vals", "x=1", "--lang", "en"], stdout=Full(), stderr=err) == 2
    assert err.getvalue() == "error: cannot write the output: No space left on device\n"


def test_api_called_wrongly_is_a_bptutor_error():
    for args, kwargs in ((("x", {"x": 1}), {"digits": 2}), (("x", {"x": 1}, 1e-5), {})):
        with pytest.raises(BptutorError) as exc:
            bptutor.derive(*args, **kwargs)
        assert exc.value.key == "input.bad_call" and "eps, wrt, check" in str(exc.value)
    with pytest.raises(BptutorError) as exc:
        bptutor.derive()
    assert exc.value.key == "input.not_text"


def test_text_pasted_from_a_pdf_works():
    # thin and no-break spaces, the minus sign, the dot and cross operators, a fraction slash
    src = "w\u2009·\u202fx\u00a0−\u20091\u2044y × 2"
    assert bptutor.derive(src, {"w": 3, "x": 2, "y": 4}).value == 6 - 0.5


def test_a_constant_node_is_drawn_though_no_gradient_flows_into_it():
    # found by the long fuzz run: the wire from a constant pointed at a box never drawn
    code, out, err = run("(x)+(sum(0))", "--graph=-", "--vals", "x=0.0")
    assert code == 0 and err == "" and "└── 0  v=0" in out


def test_a_formula_answer_to_a_tensor_problem_with_a_scalar_value():
    # found by the long fuzz run: the answer checker re-derived sum(x) with the scalar namespace
    code, out, err = run("sum(x)", "--vals", "x=1.5", "--answer", "x=x", "--lang", "en")
    assert code == 1 and err == "" and "Traceback" not in out
    assert run("sum(x)", "--vals", "x=1.5", "--answer", "x=1")[0] == 0


# ---- the same input on standard input: the piped REPL and `grade -` ------------------------------
STDIN_CASES = [c for c in CASES
               if (len(c[0]) == 1 or len(c[0]) == 3 and c[0][1] == "--vals" and c[1].startswith("math."))
               and c[0][0].strip()
               and not c[0][0].lstrip().startswith(("-", "#")) and "\n" not in c[0][0]
               and not c[1].startswith(("value.", "cli.", "input."))]


def body_pattern(key: str, lang: str) -> re.Pattern:
    """The message of `key` alone (as JSON gives it), every placeholder a wildcard."""
    return re.compile("".join(re.escape(lit) + (".*?" if name is not None else "")
                              for lit, name, _, _ in string.Formatter().parse(t(key, lang))) + r"\Z", re.S)


def test_there_are_stdin_cases():
    assert len(STDIN_CASES) >= 25


@pytest.mark.parametrize("argv, key, caret", STDIN_CASES, ids=[repr(c[0])[:40] for c in STDIN_CASES])
def test_broken_input_through_the_piped_repl_is_a_message_and_the_session_goes_on(argv, key, caret):
    import io

    from bptutor.app.cli import main
    values = argv[2].replace(",", "; ") + "\n" if len(argv) == 3 else ""
    lines = values + "k = 3\nk*2\n" + argv[0] + "\n"    # last: an open bracket would take in what follows
    stdin = io.TextIOWrapper(io.BytesIO(lines.encode("utf-8", "surrogateescape")), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["repl", "--lang", "en"], out, err, stdin) == 0
    assert_no_internal_error(out.getvalue(), err.getvalue())
    first = err.getvalue().split("\n")[0]
    assert message_pattern(key, "en").match(first), (first, key)
    assert "f = 6" in out.getvalue()


@pytest.mark.parametrize("argv, key, caret", [c for c in STDIN_CASES if c[1] != "syntax.bad_byte"],  # TOML has no
                         ids=[repr(c[0])[:40] for c in STDIN_CASES if c[1] != "syntax.bad_byte"])   # lone surrogates
def test_broken_input_through_grade_from_stdin_is_that_problems_error(argv, key, caret):
    import io
    import json

    from bptutor.app.cli import main
    vals = argv[2] if len(argv) == 3 else ""
    text = (f"[[problem]]\nname = \"broken\"\nexpr = {json.dumps(argv[0])}\nvals = {json.dumps(vals)}\n"
            "answers = { x = 1 }\n\n[[problem]]\nname = \"fine\"\nexpr = \"x*y\"\nvals = \"x=3,y=-2\"\n"
            "answers = { x = -2, y = 3 }\n")
    stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8", "surrogateescape")), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["grade", "-", "--json", "--lang", "en"], out, err, stdin) == 1, err.getvalue()
    broken, fine = json.loads(out.getvalue())["problems"]
    assert body_pattern(key, "en").match(broken["error"]), (broken["error"], key)
    assert fine["correct"] is True
