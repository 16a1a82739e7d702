"""The REPL: its line handler, the piped front end, the prompt_toolkit shell
with pipe input, completion and highlighting, and `bptutor` alone."""
import io
import json
import sys
import tomllib
from importlib import resources
from string import Formatter

import numpy as np
import pytest

from bptutor.app import cli, repl
from bptutor.app.repl import Session, assigned_values, incomplete


def session(lang="en", digits=2):
    out, err = io.StringIO(), io.StringIO()
    return Session(lang, digits, out, err), out, err


def take(stream: io.StringIO) -> str:
    text = stream.getvalue()
    stream.seek(0)
    stream.truncate()
    return text


# ---- the line handler ---------------------------------------------------------------
def test_values_persist_and_an_expression_is_derived_with_them():
    s, out, err = session()
    assert s.handle("x = -2")
    assert s.handle("y = 5, z = -4")
    assert s.values == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert "set y = 5  z = -4" in take(out)
    s.handle("(x+y)*z")
    assert err.getvalue() == ""
    assert s.last.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}
    text = take(out)
    assert "f = -12" in text and "the gradient of x is 1 × (-4) = -4" in text
    s.handle("x = 1")                     # a new value, the same expression
    s.handle("(x+y)*z")
    assert s.last.value == -24.0


def test_missing_names_are_listed_and_the_state_survives_an_error():
    s, out, err = session()
    s.handle("x = 3")
    s.handle("x*y + w")
    assert err.getvalue() == "error: no value for y, w: set it first, e.g. y = 1; w = 1\n"
    s.handle("sin(x")                      # a syntax error prints a caret under the place
    assert "^" in err.getvalue()
    assert s.values == {"x": 3.0} and s.last is None
    s.handle("x^2")
    assert s.last.gradients == {"x": 6.0}


def test_a_value_assigned_in_the_program_wins_for_that_line_only():
    s, out, err = session()
    s.handle("x = 5")
    s.handle("x = 1; f = x * 2")
    assert s.last.value == 2.0
    assert s.values == {"x": 5.0}


def test_a_name_with_a_value_shadows_a_constant():
    s, out, err = session()
    s.handle("e*2")                        # e is Euler's number: a constant output
    assert "error" in take(err)
    s.handle("e = 3")
    s.handle("e*2")
    assert s.last.value == 6.0 and s.last.gradients == {"e": 2.0}


def test_assigned_values():
    assert assigned_values("x = -2") == {"x": -2.0}
    assert assigned_values("x=1, y=2*3") == {"x": 1.0, "y": 6.0}
    assert assigned_values("ｘ＝２") == {"x": 2.0}        # typed with a Chinese IME
    assert assigned_values("q = x + y; f = q*z") is None
    assert assigned_values("x^2") is None
    with pytest.raises(repl.BptutorError) as exc:
        assigned_values("x = 1, x = 2")
    assert exc.value.key == "value.duplicate"


def test_vectors_and_matrices():
    s, out, err = session(digits=3)
    s.handle("W = [[0.1, 0.5], [-0.3, 0.8]]")
    s.handle("x = [0.2, 0.4]")
    assert take(out) == "set W = [[0.100, 0.500], [-0.300, 0.800]]\nset x = [0.200, 0.400]\n"
    s.handle("q = W @ x; f = sum(q^2)")        # seed 000's ||Wx||²
    assert err.getvalue() == ""
    assert np.allclose(s.last.gradients["W"], [[0.088, 0.176], [0.104, 0.208]])
    assert np.allclose(s.last.gradients["x"], [-0.112, 0.636])
    s.handle("W @ y")
    assert take(err) == "error: no value for y: set it first, e.g. y = 1\n"


def test_multi_line_input():
    assert incomplete("sin(x")
    assert incomplete("x + \\")
    assert incomplete("f = (x +  # a comment (\n  y")
    assert not incomplete("sin(x)")
    assert not incomplete("f = (x +\n y)")
    assert not incomplete(":help (")
    assert incomplete("sigmoid（x")          # full-width bracket from a Chinese IME
    s, out, err = session()
    s.handle("x = 2")
    s.handle("a = x * 3\nf = (a +\n 1)")
    assert s.last.value == 7.0 and s.last.gradients == {"x": 3.0}


def test_commands_vals_del_clear():
    s, out, err = session()
    s.handle(":vals")
    assert take(out) == "no values set yet (set one with x = -2)\n"
    s.handle("x = 0.5, y = 2")
    take(out)
    s.handle(":vals")
    assert take(out) == "x = 0.5\ny = 2\n"
    s.handle(":del x")
    assert s.values == {"y": 2.0}
    s.handle(":del nope")
    assert take(err) == "error: no value named nope (:vals lists them)\n"
    s.handle("y^2")
    s.handle(":clear")
    assert s.values == {} and s.last is None


def test_lang_and_digits():
    s, out, err = session()
    s.handle("x = 0.5")
    s.handle(":digits 3")
    s.handle(":lang zh")
    take(out)
    s.handle("exp(x)")
    text = take(out)
    assert "反向传播（从右往左）" in text and "f = 1.649" in text
    s.handle(":digits many")
    assert take(err) == "错误：':digits many'：请给出 0 到 15 之间的整数，例如 :digits 2\n"
    s.handle(":lang fr")
    assert "':lang fr'" in take(err)
    assert s.lang == "zh" and s.digits == 3


def test_unknown_commands_suggest_the_closest():
    s, out, err = session()
    s.handle(":hlep")
    assert take(err) == "error: unknown command ':hlep'; did you mean :help?\n"
    s.handle(":zzz")
    assert take(err).startswith("error: unknown command ':zzz' (commands: :help :vals")
    s.handle(":quiz x")
    assert "':quiz x'" in take(err)


def test_help_lists_every_command_in_both_languages():
    for lang in ("en", "zh"):
        s, out, err = session(lang)
        s.handle(":help")
        text = take(out)
        for name in repl.COMMANDS:
            assert f":{name}" in text
        assert "sigmoid" in text
        s.handle(":help digits")
        assert take(out).startswith(":digits  ")
    assert err.getvalue() == ""


def test_json_and_commands_that_need_a_derivation():
    s, out, err = session()
    s.handle(":json")
    assert take(err) == "error: nothing derived yet: type an expression first, e.g. (x+y)*z\n"
    s.handle("x = -2, y = 5, z = -4")
    s.handle("(x+y)*z")
    take(out)
    s.handle(":json")
    data = json.loads(take(out))
    assert data["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}


def test_check_answers_against_the_last_derivation():
    s, out, err = session()
    s.handle(":check x=1")
    assert take(err) == "error: nothing derived yet: type an expression first, e.g. (x+y)*z\n"
    s.handle("w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3")
    s.handle("1/(1+exp(-(w0*x0+w1*x1+w2)))")
    take(out)
    s.handle(":check w0=-0.20, x0=0.40, w1=0.39")        # the notes' hand answers; w1 has lost its sign
    text = take(out)
    assert [v.correct for v in s.verdicts] == [True, True, False]
    assert s.verdicts[2].either[0][0] == "sign"      # or the minus of exp(−z)' or (1/u)' dropped
    assert "2 of 3 right" in text
    s.handle(":check q=1")
    assert take(err).startswith("error: the problem has no q; answers may name: w0, x0, w0*x0, w1, x1, w1*x1, "
                                "w0*x0+w1*x1, w2, +₂, *-1, exp, +1, f\n")
    s.handle(":check")
    assert take(err) == "error: give answers to check, e.g. :check x=-4, y=-4\n"


def test_graph_and_markdown_of_the_last_derivation(tmp_path):
    s, out, err = session()
    s.handle(":graph g.dot")
    assert take(err) == "error: nothing derived yet: type an expression first, e.g. (x+y)*z\n"
    s.handle("x = -2, y = 5, z = -4")
    s.handle("(x+y)*z")
    take(out)
    path = tmp_path / "g.dot"
    s.handle(f":graph {path}")
    assert take(out) == f"graph written to {path}\n"
    dot = path.read_text()
    assert dot.startswith("digraph") and "-12" in dot and "-4" in dot
    s.handle(":graph -")
    tree = take(out)
    assert tree.startswith("f (*)  v=-12  g=1") and "x  v=-2  g=-4" in tree
    s.handle(":graph")
    assert take(err).startswith("error: give a file name, e.g. :graph g.svg")
    s.handle(f":graph {tmp_path / 'g.xyz'}")
    assert "g.xyz" in take(err)
    s.handle(":lang zh")
    take(out)
    s.handle(":md")
    md = take(out)
    assert md.startswith("## $f = (x+y) \\cdot z$") and "```mermaid" in md and "反向传播" in md
    s.handle(":latex")
    tex = take(out)
    from bptutor.render.latex import render
    assert tex == render(s.last, "zh", 2) and r"\begin{align*}" in tex and "反向传播" in tex
    assert err.getvalue() == ""


def test_the_export_commands_are_the_document_formats():
    from bptutor.render import FORMATS
    documents = [fmt for fmt in FORMATS["derivation"] if fmt != "text"]
    assert documents == ["md", "latex", "html"] and all(fmt in repl.COMMANDS for fmt in documents)
    s, out, err = session()
    s.handle(":latex")
    assert take(err) == "error: nothing derived yet: type an expression first, e.g. (x+y)*z\n"
    for lang in ("en", "zh"):
        s.handle(f":lang {lang}")
        s.handle(":help latex")
        assert take(out).endswith(":latex  " + repl.t("repl.help_latex", lang) + "\n")


def test_a_bug_of_ours_is_reported_and_the_session_goes_on(monkeypatch):
    s, out, err = session()
    s.handle("x = 2")
    monkeypatch.setattr(Session, "derive", lambda self, text: {}["boom"])
    s.handle("x^2")
    message = take(err)
    assert message.startswith("error: internal error, a bug in bptutor") and "KeyError" in message
    monkeypatch.undo()
    s.handle("x^2")
    assert s.values == {"x": 2.0} and s.last.value == 4.0 and s.bugs == 1


def test_a_bug_inside_the_derivation_is_reported_as_one(monkeypatch):
    # derive() wraps a bug as BptutorInternalError, a BptutorError: still a bug, never the user's error
    import bptutor.tutor.program
    monkeypatch.setattr(bptutor.tutor.program, "backward", lambda *args: [][1])
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["repl"], out, err, io.StringIO("x = 2\nx^2\n:vals\n"))
    assert code == 3                                    # the session went on, and says it met a bug
    assert err.getvalue().startswith("error: internal error, a bug in bptutor") and "IndexError" in err.getvalue()
    assert out.getvalue() == "set x = 2\nx = 2\n"


def test_options_help_and_usage_errors():
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["repl", "--help", "--lang", "zh"], out, err, io.StringIO()) == 0
    assert out.getvalue().startswith("用法：bptutor repl") and "显示本帮助并退出" in out.getvalue()
    assert cli.main(["repl", "--bogus"], out, err, io.StringIO()) == 2
    assert err.getvalue() == "error: usage: unrecognized arguments: --bogus (bptutor repl --help lists the options)\n"


def test_quit():
    s, out, err = session()
    assert s.handle(":quit") is False
    assert s.handle(":q") is False
    assert s.handle("# a comment") is True


# ---- front ends ----------------------------------------------------------------------
def test_piped_session_prints_no_prompts():
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["repl"], out, err, io.StringIO("x=1\nx^2\n:vals\n"))
    assert code == 0 and err.getvalue() == ""
    text = out.getvalue()
    assert text.startswith("set x = 1\nf = x^2\n")
    assert "bptutor>" not in text and "\x1b" not in text
    assert text.endswith("x = 1\n")


def test_piped_session_joins_continued_lines_and_stops_at_quit():
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["repl", "--lang", "zh", "--digits", "2"], out, err,
                    io.StringIO("x = 2\nsin(x *\n 3)\n:quit\nx + \n"))
    assert code == 0 and err.getvalue() == ""
    assert "f = -0.28" in out.getvalue() and "反向传播" in out.getvalue()


def test_bptutor_alone_on_a_terminal_starts_the_repl(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    calls = []
    monkeypatch.setattr(repl, "run", lambda *args: calls.append(args) or 0)
    out = Terminal()
    assert cli.main(["--lang", "zh", "--digits", "2"], out, io.StringIO(), Terminal()) == 0
    assert calls[0][:2] == ("zh", 2)
    # not a terminal: still the error, which now points at `bptutor repl`
    err = io.StringIO()
    assert cli.main([], io.StringIO(), err, io.StringIO("x^2\n")) == 2
    assert "bptutor repl" in err.getvalue()


def test_shell_with_pipe_input(tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    s, out, err = session()
    with create_pipe_input() as inp:
        inp.send_text("x = 3\r")
        inp.send_text("sin(x\r + 1)\r")    # Enter inside an open bracket continues the input
        inp.send_text("half typed\x03")    # Ctrl-C cancels the line
        inp.send_text("x^2\r")
        inp.send_text(":vasl\r")
        inp.send_text("\x04")              # Ctrl-D leaves
        code = repl.shell(s, input=inp, output=DummyOutput())
    assert code == 0
    assert s.last.gradients == {"x": 6.0}
    text = out.getvalue()
    assert "f = -0.76" in text and "f = 9" in text and "half" not in text
    assert err.getvalue() == "error: unknown command ':vasl'; did you mean :vals?\n"
    history = (tmp_path / "bptutor" / "history").read_text()
    assert "+x = 3\n" in history and "+sin(x\n+ + 1)\n" in history and "+x^2\n" in history
    assert "half typed" not in history


def test_a_quiz_inside_the_shell(tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    s, out, err = session()
    with create_pipe_input() as inp:
        # level 1, seed 1: f = x * y at x = -2, y = -3; asked ∂f/∂y (= x), then ∂f/∂x (= y)
        inp.send_text(":quiz 1 1\r")
        inp.send_text("?\r-2\r")
        inp.send_text("3\r")
        inp.send_text("x = 1\r\x04")
        code = repl.shell(s, input=inp, output=DummyOutput())
    assert code == 0
    text = out.getvalue()
    assert "multiply gate: each input gets the other input times upstream" in text
    assert "Score: 1 of 2 right (hints used: 1)" in text
    assert s.values == {"x": 1.0}
    history = (tmp_path / "bptutor" / "history").read_text()
    assert "+:quiz 1 1\n" in history and "+-2\n" not in history      # answers stay out of the history


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG directories are Linux's")
def test_history_path_follows_xdg_on_linux(monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", "/s")
    assert str(repl.history_path()) == "/s/bptutor/history"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", "/home/u")
    assert str(repl.history_path()) == "/home/u/.local/state/bptutor/history"


def test_completion_and_highlighting():
    from prompt_toolkit.document import Document
    from bptutor.app.replui import ReplCompleter, tokens

    s, out, err = session()
    s.handle("sigma = 1, w0 = 2")
    complete = ReplCompleter(s)

    def words(text):
        return [c.text for c in complete.get_completions(Document(text), None)]

    assert words("1 + sig") == ["sigmoid", "sigma"]
    assert words(":he") == [":help"]
    assert words(":lang ") == ["en", "zh"]
    assert words(":del w") == ["w0"]
    assert words("x + ") == []
    styles = tokens("f = sigmoid(w0*x1) ** 2 # note", {"w0"})
    assert ("class:function", "sigmoid") in styles and ("class:known", "w0") in styles
    assert ("class:name", "x1") in styles and ("class:operator", "**") in styles
    assert ("class:comment", "# note") in styles
    assert tokens("x $", ())[-1] == ("class:error", "$")
    assert tokens(":lang zh")[0] == ("class:command", ":lang ")
    assert "".join(text for _, text in tokens("ｘ＋（1）")) == "ｘ＋（1）"


def test_catalogs_have_both_languages_with_the_same_placeholders():
    for area in ("repl", "quiz"):
        data = tomllib.loads(resources.files("bptutor.i18n").joinpath(f"{area}.toml").read_text("utf-8"))
        for key, entry in data.items():
            assert set(entry) == {"en", "zh"}, key
            fields = [{f for _, f, _, _ in Formatter().parse(entry[lang]) if f} for lang in ("en", "zh")]
            assert fields[0] == fields[1], key
    from bptutor.i18n import t
    for name in repl.COMMANDS:
        assert t(f"repl.help_{name}", "zh") != f"repl.help_{name}"
        assert t(f"repl.usage_{name}", "en") != f"repl.usage_{name}"


def test_scalar_run_does_not_import_prompt_toolkit():
    import subprocess
    import sys
    code = ("import sys; from bptutor.app.cli import main; import io; main(['x*2','--vals','x=1'], io.StringIO());"
            "print('prompt_toolkit' in sys.modules, 'bptutor.app.repl' in sys.modules)")
    from helpers import ROOT
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.split() == ["False", "False"]
