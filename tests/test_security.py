"""bptutor on a shared machine and over files students wrote: grading files
read only their own folder, nothing reaches a terminal raw, every input
channel has one limit, the Graphviz child is capped, the history is private,
Ctrl-C and failing streams give exit codes and no traceback, and outputs never
destroy inputs."""
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bptutor.app import console, files, graphviz, repl
from bptutor.app.cli import main
from bptutor.app.console import UNSAFE, printable
from bptutor.app.files import MAX_INPUT
from bptutor.errors import BptutorError
from bptutor.tutor import grade as grading
from helpers import ROOT, assert_no_internal_error, run

POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX files, signals and limits")
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(ROOT),
       "BPTUTOR_LANG": "en"}


def problem(name: str, *, expr: str = "x*y", file: str | None = None, vals: str = "x=3,y=-2",
            answers: str = "x = -2, y = 3") -> str:
    source = f"file = {json.dumps(file)}" if file else f"expr = {json.dumps(expr)}"
    return f"[[problem]]\nname = {json.dumps(name)}\n{source}\nvals = {json.dumps(vals)}\nanswers = {{ {answers} }}\n"


def grade_json(folder, *problems_text, name="hw.toml"):
    path = folder / name
    path.write_text("\n".join(problems_text), encoding="utf-8")
    code, out, err = run("grade", str(path), "--json", "--lang", "en")
    return code, json.loads(out) if out else None, err


def raw_controls(text: str) -> list[str]:
    """Control characters that would reach a terminal as they are."""
    return UNSAFE.findall(text)


# ---- grading files read only regular files inside their folder -----------------------------------
@POSIX
def test_a_problem_file_outside_the_folder_is_refused_and_its_words_never_shown(tmp_path):
    hw = tmp_path / "hw"
    hw.mkdir()
    (tmp_path / "fake.env").write_text("admin = hunter2\n")
    (hw / "leak.bp").symlink_to(tmp_path / "fake.env")
    (hw / "ok.bp").write_text("x*y\n")
    (hw / "alias.bp").symlink_to(hw / "ok.bp")              # a symlink that stays inside is fine
    code, data, err = grade_json(hw, problem("dotdot", file="../fake.env"), problem("absolute", file="/etc/hostname"),
                                 problem("symlink out", file="leak.bp"), problem("stdin", file="/dev/stdin"),
                                 problem("inside", file="ok.bp"), problem("symlink in", file="alias.bp"),
                                 problem("sub/../", file="sub/../ok.bp"))
    assert code == 1 and err == ""
    verdicts = {p["name"]: (p["correct"], p["error"]) for p in data["problems"]}
    for name in ("dotdot", "absolute", "symlink out", "stdin", "sub/../"):
        correct, error = verdicts[name]
        assert not correct and "must be inside the grading file's folder" in error, (name, error)
    assert verdicts["inside"] == (True, None) and verdicts["symlink in"] == (True, None)
    assert "hunter2" not in json.dumps(data) and "admin" not in json.dumps(data)


@POSIX
def test_a_fifo_or_a_device_is_refused_without_blocking_and_the_rest_is_graded(tmp_path):
    os.mkfifo(tmp_path / "pipe.bp")
    (tmp_path / "dir.bp").mkdir()
    result = {}
    worker = threading.Thread(target=lambda: result.update(zip(("code", "data", "err"), grade_json(
        tmp_path, problem("fifo", file="pipe.bp"), problem("folder", file="dir.bp"), problem("after")))))
    worker.daemon = True
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "grading blocked on a FIFO"
    fifo, folder, after = result["data"]["problems"]
    assert "not a regular file" in fifo["error"]
    assert "not a regular file" in folder["error"] or "Is a directory" in folder["error"]
    assert after["correct"] is True


def test_a_problem_file_over_the_problem_budget_is_refused_unread(tmp_path):
    (tmp_path / "big.bp").write_text("+".join(["x*y"] * 100_000))       # 400 KB
    code, data, _ = grade_json(tmp_path, *[problem(f"big {k}", file="big.bp") for k in range(3)], problem("small"))
    assert [p["correct"] for p in data["problems"]] == [False, False, False, True]
    assert all("too large" in p["error"] and "50,000" in p["error"] for p in data["problems"][:3])


def test_per_problem_and_file_budgets(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "PROBLEM_BUDGET", 200)
    monkeypatch.setattr(grading, "FILE_BUDGET", 500)
    long = "+".join(["x*y"] * 35)           # 139 characters, 152 with its values and answers
    code, data, _ = grade_json(tmp_path, problem("huge", expr="+".join(["x*y"] * 60)), problem("one", expr=long),
                               problem("two", expr=long), problem("three", expr=long), problem("short"))
    huge, one, two, three, short = data["problems"]
    assert "too big" in huge["error"] and "may have 200" in huge["error"]
    assert one["error"] is None and two["error"] is None
    # 500 - 50 (what refusing "huge" cost) - 2 * 152 = 146 left
    assert three["error"] == ("not graded: the problems before it used most of the file's budget (500 characters "
                              "in all); 152 characters do not fit in the 146 left")
    assert short["error"] is None and short["correct"]          # what is left still grades a small one


def test_a_file_of_many_tiny_problems_stops_at_the_file_budget(monkeypatch):
    monkeypatch.setattr(grading, "FILE_BUDGET", 10 * grading.PROBLEM_MINIMUM)
    results = list(grading.grade(grading.load("\n".join(problem(f"p{k}") for k in range(15))), None))
    assert [r.error is None for r in results] == [True] * 10 + [False] * 5
    assert results[-1].error.key == "grade.file_budget_spent"


def test_results_are_printed_as_they_finish_and_ctrl_c_keeps_them(tmp_path, monkeypatch):
    import bptutor.tutor.answers
    judge, seen = bptutor.tutor.answers.judge, []

    def interrupted_at_the_second(d, answers):
        seen.append(d)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return judge(d, answers)

    monkeypatch.setattr(bptutor.tutor.answers, "judge", interrupted_at_the_second)
    path = tmp_path / "hw.toml"
    path.write_text("\n".join(problem(f"p{k}") for k in range(1, 4)))
    code, out, err = run("grade", str(path), "--lang", "en")
    assert code == 130 and err == ""
    assert re.search(r"^1\s+p1\s+✓ right\s+2/2$", out, re.M) and "p2" not in out
    assert "Interrupted: 1 of 3 problems graded" in out and "Score: 1 of 3 problems right" in out
    seen.clear()
    code, out, err = run("grade", str(path), "--json")
    data = json.loads(out)
    assert code == 130 and data["interrupted"] is True and (data["graded"], data["total"], data["right"]) == (1, 3, 1)


@POSIX
def test_sigint_while_grading_keeps_the_rows_printed(tmp_path):
    slow = "+".join(f"sin(x{k})*y" for k in range(2000))           # within the problem budget, seconds of work
    vals = ",".join(f"x{k}=0.5" for k in range(2000)) + ",y=2"
    path = tmp_path / "hw.toml"
    path.write_text(problem("quick") + "\n".join(problem(f"slow {k}", expr=slow, vals=vals, answers="y = 1")
                                                 for k in range(8)))
    proc = subprocess.Popen([sys.executable, "-m", "bptutor", "grade", str(path)], env=ENV, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    while b"quick" not in out:            # the first row is out before the rest are graded
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        out += line
    proc.send_signal(signal.SIGINT)
    out += proc.stdout.read()
    err = proc.stderr.read()
    assert proc.wait(60) == 130 and err == b"", err
    assert b"Interrupted: " in out and b"of 9 problems graded" in out and b"Score: " in out


# ---- every text from a user or a file is escaped for the terminal ---------------------------------
HOSTILE = "a\x1b[1A\x1b[2K\u009b2K\u202e\x07b"


def test_a_problem_name_cannot_move_the_cursor(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text(problem(HOSTILE) + problem("answer key", answers='"\\u001b[31mx" = 2, y = 3'))
    code, out, err = run("grade", str(path), "--lang", "en")
    assert raw_controls(out + err) == []
    assert "a\\x1b[1A\\x1b[2K\\x9b2K\\u202e\\x07b" in out
    code, out, err = run("grade", str(path), "--json")
    assert raw_controls(out) == [] and json.loads(out)["problems"][0]["name"] == HOSTILE


def test_error_messages_and_repl_echoes_are_escaped():
    code, out, err = run("x*y", "--vals", "x=1,y=2", "--answer", "\x1b[2Jx=2")
    assert code == 2 and raw_controls(err) == [] and "␛[2Jx=2" in err
    code, out, err = run("x", "--wrt", "\x1b]0;title\x07", "--vals", "x=1")
    assert code == 2 and raw_controls(err) == []
    stdin = io.StringIO(":lang \x1b[2J\n:digits \u009b\n:digits ²\n:del \x1b[A\n:graph \x1b[1A.svg\n"
                        ":quiz 1 1\n\x1b[2J\n")
    o, e = io.StringIO(), io.StringIO()
    main(["repl", "--lang", "en"], o, e, stdin)
    assert raw_controls(o.getvalue() + e.getvalue()) == []
    assert "':lang \\x1b[2J'" in e.getvalue()


def test_the_terminal_gets_rich_styles_and_nothing_else(monkeypatch):
    from rich.text import Text

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = Terminal()
    console.show(Text("x\x1b[2Jy\u202e", style="bold red"), out)
    styles = re.findall(r"\x1b\[[0-9;]*m", out.getvalue())
    assert styles, "a terminal should get colour"
    assert raw_controls(re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())) == []
    assert "x\\x1b[2Jy\\u202e" in out.getvalue()


def test_printable_shows_every_control_and_keeps_the_rest():
    assert printable("a\tb\rc\x00\x7f\x85\u2028\u2066\udcff\n中文 ∂f/∂x") == \
        "a\\x09b\\x0dc\\x00\\x7f\\x85\\u2028\\u2066\\udcff\n中文 ∂f/∂x"
    assert console.json_text({"k": "\x1b\x9b\u202e"}, indent=1) == '{\n "k": "\\u001b\\u009b\\u202e"\n}'


# ---- one limit for every input channel, checked while reading ------------------------------------
class Endless(io.RawIOBase):
    """/dev/zero: NUL bytes for ever; counts what was asked for."""

    def __init__(self):
        self.asked = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.asked += len(buffer)
        buffer[:] = b"\0" * len(buffer)
        return len(buffer)


def endless_stdin():
    raw = Endless()
    return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8"), raw


def test_an_argument_over_the_limit_is_refused():
    for argv in (["x" * (MAX_INPUT + 1)], ["x", "--vals", "x=" + "1" * MAX_INPUT], ["grade", "y" * (MAX_INPUT + 1)]):
        code, out, err = run(*argv)
        assert code == 2 and "the input is too large" in err and len(err) < 300


def test_grade_from_an_endless_stdin_stops_at_the_limit():
    stdin, raw = endless_stdin()
    out, err = io.StringIO(), io.StringIO()
    assert main(["grade", "-", "--lang", "en"], out, err, stdin) == 2
    assert "the input is too large" in err.getvalue() and raw.asked < 2 * MAX_INPUT


def test_the_piped_repl_from_an_endless_stdin_stops_at_the_limit():
    stdin, raw = endless_stdin()
    out, err = io.StringIO(), io.StringIO()
    assert main(["repl", "--lang", "en"], out, err, stdin) == 2
    assert "the input is too large" in err.getvalue() and raw.asked < 2 * MAX_INPUT


def test_continued_lines_over_the_limit_are_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_INPUT", 1000)
    out, err = io.StringIO(), io.StringIO()
    assert main(["repl"], out, err, io.StringIO("(\n" * 600 + "x\n")) == 2
    assert "the input is too large" in err.getvalue()


def test_grade_from_stdin_and_files_accept_a_bom(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf" + problem("bom").encode()), encoding="utf-8")
    assert main(["grade", "-", "--json"], out, err, stdin) == 0, err.getvalue()
    (tmp_path / "bom.bp").write_bytes(b"\xef\xbb\xbfx*y\n")
    code, out, err = run("-f", str(tmp_path / "bom.bp"), "--vals", "x=3,y=-2", "--json")
    assert code == 0 and json.loads(out)["value"] == -6


def test_bracket_tracking_reads_each_line_once(monkeypatch):
    fed = []
    feed = repl.Continuation.feed
    monkeypatch.setattr(repl.Continuation, "feed", lambda self, line: fed.append(line) or feed(self, line))
    out, err = io.StringIO(), io.StringIO()
    assert main(["repl", "--lang", "en"], out, err, io.StringIO("(\n" * 20_000)) == 0
    assert len(fed) == 20_000 and "missing ')'" in err.getvalue()
    fed.clear()
    typed, text = repl.Typed(), "f = (x"
    for k in range(2000):                           # Enter after every line of a paste
        assert typed.incomplete(text)
        text += "\n+ x"
    assert not typed.incomplete(text + ")")
    assert len(fed) < 2 * 2000 + 10


def test_a_comment_inside_brackets_does_not_hide_the_closing_bracket():
    assert not repl.incomplete("f = (x  # c\n+ y)")
    assert repl.incomplete("f = (x  # a (\n+ y")


def test_the_prompt_refuses_an_input_over_the_limit_and_goes_on(tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from bptutor.app import files
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(files, "MAX_INPUT", 300)
    out, err = io.StringIO(), io.StringIO()
    s = repl.Session("en", 2, out, err)
    with create_pipe_input() as inp:
        inp.send_text("x = 2\r")
        inp.send_text("x" + "+x" * 200)                          # typed (or pasted key by key)
        inp.send_text("\x1b[200~" + "x*" * 200 + "x\x1b[201~")   # a bracketed paste
        inp.send_text("x^2\r\x04")
        code = repl.shell(s, input=inp, output=DummyOutput())
    assert code == 0 and err.getvalue().count("the input is too large") == 2
    assert s.last.value == 4.0


def test_long_typed_text_keeps_no_undo_copy_per_key():
    from prompt_toolkit.keys import Keys

    from bptutor.app import replui
    [binding] = [b for b in replui.key_bindings(repl.Typed()).bindings if b.keys == (Keys.Any,)]

    class Event:
        is_repeat = False

        def __init__(self, text):
            self.current_buffer = type("Buffer", (), {"text": text})()

    assert binding.save_before(Event("x" * 10)) and not binding.save_before(Event("x" * replui.UNDO_TEXT))


# ---- the Graphviz child ------------------------------------------------------------------------
def fake_layout_program(tmp_path, monkeypatch, body: str) -> None:
    script = tmp_path / "fake-dot"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(0o755)
    monkeypatch.setattr(graphviz, "find_layout_program", lambda: str(script))


def test_a_graph_too_big_to_lay_out_is_refused_before_graphviz_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(graphviz, "find_layout_program", lambda: pytest.fail("Graphviz was started"))
    expr = "+".join(f"w{k}*x{k}" for k in range(400))
    vals = ",".join(f"w{k}=1,x{k}=2" for k in range(400))
    code, out, err = run(expr, "--vals", vals, "--graph", str(tmp_path / "g.svg"), "--lang", "en")
    assert code == 2 and "1,599 nodes" in err and f"limit is {graphviz.MAX_NODES:,}" in err and ".dot or .mmd" in err
    assert not (tmp_path / "g.svg").exists()


@POSIX
def test_graphviz_runs_under_a_memory_cap_and_says_so(tmp_path, monkeypatch):
    fake_layout_program(tmp_path, monkeypatch, """\
        import sys
        sys.stdin.read()
        hog = bytearray(2 << 30)            # more than the cap: refused by the kernel
        sys.stdout.write("<svg/>")
    """)
    code, out, err = run("x*y", "--vals", "x=1,y=2", "--graph", str(tmp_path / "g.svg"), "--lang", "en")
    assert code == 2 and "more than the 1,024 MB of memory it may use" in err, err


@POSIX
def test_graphviz_runs_under_a_time_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(graphviz, "TIMEOUT", 1)
    fake_layout_program(tmp_path, monkeypatch, "while True:\n    pass\n")
    started = time.monotonic()
    code, out, err = run("x*y", "--vals", "x=1,y=2", "--graph", str(tmp_path / "g.png"), "--lang", "en")
    assert code == 2 and time.monotonic() - started < 30
    assert "1 s" in err and ".dot or .mmd" in err, err


def test_a_graphviz_failure_shows_its_message_not_its_notes(tmp_path, monkeypatch):
    fake_layout_program(tmp_path, monkeypatch, """\
        import sys
        sys.stderr.write("Error: syntax error in line 3\\nnote: Some details are omitted\\n")
        sys.exit(1)
    """)
    code, out, err = run("x*y", "--vals", "x=1,y=2", "--graph", str(tmp_path / "g.svg"), "--lang", "en")
    assert code == 2 and "could not draw the graph: Error: syntax error in line 3" in err


# ---- history and state files are private -------------------------------------------------------
def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@POSIX
def test_the_history_is_private(tmp_path):
    from bptutor.app.replui import PrivateHistory, private_history
    problems = []
    path = tmp_path / "state" / "bptutor" / "history"
    history = private_history(path, problems.append)
    assert isinstance(history, PrivateHistory) and problems == []
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)
    private_history(path, problems.append)
    assert mode(path.parent) == 0o700 and mode(path) == 0o600 and problems == []


@POSIX
def test_a_history_path_that_is_a_folder_is_one_message_not_a_traceback_per_prompt(tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    (tmp_path / "bptutor" / "history").mkdir(parents=True)
    out, err = io.StringIO(), io.StringIO()
    s = repl.Session("en", 2, out, err)
    with create_pipe_input() as inp:
        inp.send_text("x = 2\rx^2\r:vals\r\x04")
        code = repl.shell(s, input=inp, output=DummyOutput())
    assert code == 0 and s.last.value == 4.0
    assert err.getvalue().count("\n") == 1 and "the history is not saved this session" in err.getvalue()


@POSIX
def test_a_history_symlink_or_someone_elses_folder_is_not_used(tmp_path):
    from prompt_toolkit.history import InMemoryHistory

    from bptutor.app.replui import private_history
    problems = []
    folder = tmp_path / "bptutor"
    folder.mkdir(mode=0o700)
    (folder / "history").symlink_to(tmp_path / "elsewhere")
    assert isinstance(private_history(folder / "history", problems.append), InMemoryHistory)
    assert not (tmp_path / "elsewhere").exists() and len(problems) == 1
    if os.getuid() == 0:
        other = tmp_path / "other" / "bptutor"
        other.mkdir(parents=True)
        os.chown(other, 12345, -1)
        assert isinstance(private_history(other / "history", problems.append), InMemoryHistory)
        assert "not a regular file in a folder of your own" in problems[-1].message("en")


# ---- Ctrl-C and failing streams ------------------------------------------------------------------
@POSIX
def test_sigint_while_bptutor_loads_exits_130_silently():
    code = textwrap.dedent("""\
        import builtins, os, signal, sys
        real = builtins.__import__
        def interrupting(name, globals=None, locals=None, fromlist=(), level=0):
            if name == "app.cli" and level == 1:
                os.kill(os.getpid(), signal.SIGINT)
            return real(name, globals, locals, fromlist, level)
        builtins.__import__ = interrupting
        sys.argv = ["bptutor", "x*y", "--vals", "x=1,y=2"]
        from bptutor.__main__ import entry
        sys.exit(entry())
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, b"", b"")


@POSIX
def test_sigint_at_any_moment_shows_no_traceback_from_bptutor():
    """Ctrl-C over the first 120 ms of runs. CPython's own start-up (site, .pth
    files) comes before any line of bptutor and may still print its traceback;
    from bptutor's first line on, there is none."""
    outcomes = set()
    for k in range(24):
        proc = subprocess.Popen([sys.executable, "-m", "bptutor", "(x+y)*z", "--vals", "x=-2,y=5,z=-4"], env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(k * 0.005)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert b"/bptutor/" not in err and b"Exception ignored" not in err, err.decode()
        if not err:
            outcomes.add(proc.returncode)
            assert proc.returncode in (0, 130, -signal.SIGINT)
    assert 130 in outcomes


@POSIX
def test_sigint_during_a_long_derivation_exits_130(tmp_path):
    values = "\n".join(f"x{k} = 0.5" for k in range(30_000))       # 900 KB: seconds of work
    (tmp_path / "big.bp").write_text(values + "\nf = " + "+".join(f"sin(x{k})*x{k}" for k in range(30_000)))
    proc = subprocess.Popen([sys.executable, "-m", "bptutor", "-f", str(tmp_path / "big.bp")],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err == b""


@POSIX
def test_closed_stdout_and_a_full_stderr_are_exit_2():
    argv = [sys.executable, "-m", "bptutor", "x*y", "--vals", "x=1,y=2"]
    proc = subprocess.run(argv, env=ENV, capture_output=False, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          preexec_fn=lambda: os.close(1), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.decode() == "error: cannot write the output: Bad file descriptor (stdout)\n"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(argv[:-2] + ["x+"], env=ENV, stdout=subprocess.PIPE, stderr=full, timeout=60)
        assert proc.returncode == 2
        proc = subprocess.run(argv, env=ENV, stdout=full, stderr=subprocess.PIPE, timeout=60)
        assert proc.returncode == 2 and proc.stderr.decode() == \
            "error: cannot write the output: No space left on device\n"


def test_a_python_warning_is_a_line_without_a_source_path(monkeypatch):
    import numpy as np

    import bptutor.tutor.program
    compile_ = bptutor.tutor.program.compile

    def warns(*args, **kwargs):
        np.sqrt(np.array([-1.0]))
        return compile_(*args, **kwargs)

    monkeypatch.setattr(bptutor.tutor.program, "compile", warns)
    code, out, err = run("x*y", "--vals", "x=1,y=2", "--lang", "en")
    assert code == 0 and err == "warning: invalid value encountered in sqrt\n"


# ---- arguments -----------------------------------------------------------------------------------
def test_an_expression_that_starts_with_a_minus_is_an_expression():
    for argv, value in ((["-x^2", "--vals", "x=3"], -9.0), (["--vals", "p=0.5", "-log(p)"], 0.6931471805599453),
                        (["-2*x", "--json", "--vals", "x=1"], -2.0), (["--va", "x=3", "-x"], -3.0)):
        code, out, err = run(*argv, "--json")
        assert code == 0 and err == "", (argv, err)
        assert json.loads(out)["value"] == pytest.approx(value)
    code, out, err = run("-x", "-y", "--vals", "x=1,y=1")
    assert code == 2 and "unrecognized arguments" in err
    code, out, err = run("--no-such-option", "--lang", "en")
    assert code == 2 and "unrecognized arguments: --no-such-option" in err


# ---- outputs never destroy inputs ---------------------------------------------------------------
def test_the_graph_never_overwrites_the_program(tmp_path):
    program = tmp_path / "prog.mmd"
    program.write_text("x*y\n")
    for target in (str(program), str(tmp_path / "." / "prog.mmd")):
        code, out, err = run("-f", str(program), "--vals", "x=1,y=2", "--graph", target, "--lang", "en")
        assert code == 2 and "this run reads it (the program or its data)" in err
    assert program.read_text() == "x*y\n"


def test_overwriting_an_existing_graph_is_said_unless_forced(tmp_path):
    target = str(tmp_path / "g.dot")
    argv = ["x*y", "--vals", "x=1,y=2", "--graph", target, "--lang", "en"]
    code, out, err = run(*argv)
    assert code == 0 and err == ""
    code, out, err = run(*argv)
    assert code == 0 and err == f"note: replaced the existing file {target} (--force says nothing)\n"
    code, out, err = run(*argv, "--force")
    assert code == 0 and err == ""
    o, e = io.StringIO(), io.StringIO()
    main(["repl", "--lang", "en"], o, e, io.StringIO(f"x = 1; y = 2\nx*y\n:graph {target}\n"))
    assert f"graph written to {target} (it replaced the file that was there)" in o.getvalue()


def test_the_loss_plot_never_overwrites_the_program_and_says_when_it_replaces(tmp_path):
    program = tmp_path / "model.svg"            # an odd name for a program, but a program all the same
    program.write_text("loss = (x*w - y)^2\n")
    argv = ["train", "--data", "x=[1,2,3], y=[2,4,6]", "--vals", "w=1", "--epochs", "2", "--json", "--lang", "en"]
    code, out, err = run(*argv, "-f", str(program), "--plot", str(program))
    assert code == 2 and "this run reads it (the program or its data)" in err
    assert program.read_text() == "loss = (x*w - y)^2\n"
    plot = tmp_path / "loss.svg"
    assert run(*argv, "-f", str(program), "--plot", str(plot))[2] == ""
    assert run(*argv, "-f", str(program), "--plot", str(plot))[2] == \
        f"note: replaced the existing file {plot} (--force says nothing)\n"
    assert run(*argv, "-f", str(program), "--plot", str(plot), "--force")[2] == ""


# ---- the parser: nothing loaded from a shared place, safe from many threads ----------------------
EVIL = textwrap.dedent("""\
    import os, pickle
    class Evil:
        def __reduce__(self):
            return (os.system, ('touch "$MARKER"',))        # run when loaded, in the loading process
    def evil(first_line):
        return first_line + pickle.dumps(Evil())
""")


def derive_in(tmp_path, expr="x*y", **env):
    """`bptutor` run in a fresh process with these environment variables."""
    env = {**ENV, "TMPDIR": str(tmp_path / "tmp"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "MARKER": str(tmp_path / "pwned"), **env}
    return subprocess.run([sys.executable, "-m", "bptutor", expr, "--vals", "x=3,y=-2", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)


@POSIX
def test_a_parser_cache_planted_in_the_temp_dir_is_never_loaded(tmp_path):
    """Lark's own cache has a predictable name in the shared temp directory and
    is a pickle: another user who plants one there would run code as us."""
    import tempfile

    from lark import Lark

    from bptutor.lang.grammar import grammar_text
    from bptutor.lang.parse import _Callbacks
    (tmp_path / "tmp").mkdir()
    old, tempfile.tempdir = tempfile.tempdir, str(tmp_path / "tmp")
    try:        # the file Lark's cache=True would load, made the way Lark makes it
        Lark(grammar_text(), parser="lalr", lexer="basic", start=["program", "assignments"],
             transformer=_Callbacks(), cache=True, maybe_placeholders=True)
    finally:
        tempfile.tempdir = old
    [planted] = (tmp_path / "tmp").iterdir()
    namespace = {}
    exec(EVIL, namespace)       # noqa: S102 -- the attacker's pickle, written for the test
    planted.write_bytes(namespace["evil"](planted.read_bytes().split(b"\n", 1)[0] + b"\n"))
    proc = derive_in(tmp_path)
    assert proc.returncode == 0 and json.loads(proc.stdout)["value"] == -6.0
    assert not (tmp_path / "pwned").exists()
    assert list((tmp_path / "tmp").iterdir()) == [planted]          # nothing else read or written there
    folder = tmp_path / "cache" / "bptutor"
    assert not folder.exists()              # a parse runs lang/tables.py: no Lark, no cache
    assert derive_in(tmp_path, "x*").returncode == 2                    # Lark names the error, cached privately
    assert mode(folder) == 0o700 and len(list(folder.iterdir())) == 1
    assert derive_in(tmp_path, "x*").returncode == 2                    # the private cache, used
    assert not (tmp_path / "pwned").exists() and list((tmp_path / "tmp").iterdir()) == [planted]


@POSIX
@pytest.mark.skipif(os.name == "posix" and os.getuid() != 0, reason="needs to give a folder to another user")
def test_a_cache_folder_someone_else_can_write_is_not_used(tmp_path, monkeypatch):
    from bptutor.lang.grammar import grammar_text
    from bptutor.lang.parse import cache_file
    (tmp_path / "tmp").mkdir()
    folder = tmp_path / "cache" / "bptutor"
    folder.mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    namespace = {}
    exec(EVIL, namespace)       # noqa: S102 -- the attacker's pickle, written for the test
    planted = Path(cache_file(grammar_text()))  # the name our cache has
    planted.write_bytes(namespace["evil"](b"x\n"))
    os.chown(planted, 12345, -1)                # a file someone else put there
    assert cache_file(grammar_text()) is None
    os.chown(folder, 12345, -1)                 # another user's folder where ours would be
    assert cache_file(grammar_text()) is None
    proc = derive_in(tmp_path)
    assert proc.returncode == 0 and not (tmp_path / "pwned").exists()
    planted.unlink()
    os.chown(folder, 0, -1)
    os.chmod(folder, 0o777)                     # ours, but open to all: made private before use
    assert cache_file(grammar_text()) is not None and mode(folder) == 0o700
    open_above = tmp_path / "open"              # a folder above that anyone may write, without the sticky bit
    open_above.mkdir()
    os.chmod(open_above, 0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(open_above))
    assert cache_file(grammar_text()) is None
    assert derive_in(tmp_path, XDG_CACHE_HOME=str(open_above)).returncode == 0
    assert not any((open_above / "bptutor").iterdir())


def test_derive_and_compile_from_many_threads_give_every_result_right():
    """Run in a fresh process: the parser itself is first built under the race."""
    code = textwrap.dedent("""\
        import json, sys
        from concurrent.futures import ThreadPoolExecutor
        import bptutor
        sys.setswitchinterval(1e-6)
        problems = []
        for k in range(30):
            if k % 3 == 0:
                problems.append((f"f = (x + {k})*y; g = sigmoid(f*w) + x^2", {"x": k / 7, "y": -1.5, "w": 0.25}))
            elif k % 3 == 1:
                problems.append((f"1/(1+exp(-(w0*x0+w1*x1+{k})))", {"w0": 2, "x0": -1, "w1": -3, "x1": k / 10}))
            else:
                problems.append((f"sum(a*b) + {k}*max(a[0], b[1])", {"a": [1.0, k], "b": [k / 3, -2.0]}))

        def solve(k):
            source, values = problems[k % len(problems)]
            program = bptutor.compile(source)
            d = program.derive(values)
            return k % len(problems), float(d.value), {n: repr(g) for n, g in d.gradients.items()}

        with ThreadPoolExecutor(8) as pool:
            racing = list(pool.map(solve, range(1200)))
        alone = {k: solve(k)[1:] for k in range(len(problems))}
        wrong = [k for k, value, grads in racing if (value, grads) != alone[k]]
        print(json.dumps({"calls": len(racing), "wrong": len(wrong)}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert json.loads(proc.stdout) == {"calls": 1200, "wrong": 0}


# ---- values and programs ---------------------------------------------------------------------------
def test_arrays_refuse_what_scalars_refuse():
    import numpy as np

    import bptutor
    for value in (np.array([1 + 2j, 3]), ["1", "2"], [True, False], memoryview(b"ab"), bytearray(b"ab"),
                  np.array([True]), np.array(["1"]), [1, "a"], [None, 1], [1, 2j]):
        with pytest.raises(BptutorError) as exc:
            bptutor.derive("sum(a*a)", {"a": value})
        assert exc.value.key == "value.not_a_number", value
    from decimal import Decimal
    from fractions import Fraction
    assert bptutor.derive("sum(a*a)", {"a": [Fraction(1, 2), Decimal("1.5")]}).value == 2.5
    assert bptutor.derive("sum(a*a)", {"a": np.array([1, 2], dtype=np.int8)}).value == 5.0


def test_a_comment_in_a_bracket_ends_at_its_line(tmp_path):
    import bptutor
    d = bptutor.derive("f = (x  # the first term\n+ y)", {"x": 1, "y": 2})
    assert d.value == 3.0 and d.gradients == {"x": 1.0, "y": 1.0}
    assert bptutor.derive("f = (x + \\\n y)  # joined by a backslash", {"x": 1, "y": 2}).value == 3.0
    (tmp_path / "c.bp").write_text("f = (x  # c (\n+ y)\n")
    code, out, err = run("-f", str(tmp_path / "c.bp"), "--vals", "x=1,y=2", "--json")
    assert code == 0 and json.loads(out)["value"] == 3.0
    o, e = io.StringIO(), io.StringIO()
    assert main(["repl"], o, e, io.StringIO("x = 1; y = 2\nf = (x  # c\n+ y)\n")) == 0
    assert e.getvalue() == "" and "f = 3" in o.getvalue()


def test_look_alike_names_are_warned():
    import bptutor
    d = bptutor.derive("х*x", {"х": 1, "x": 2})            # Cyrillic х, Latin x
    assert ("value.lookalike", {"names": "х ≠ x"}) in d.warnings
    code, out, err = run("x*y", "--vals", "x=1,y=2,у=3", "--lang", "en")    # Cyrillic у, unused
    assert "look-alike names: у ≠ y" in out
    assert not any(key == "value.lookalike" for key, _ in bptutor.derive("α*x", {"α": 1, "x": 2}).warnings)


# ---- every export format escapes what users named -------------------------------------------------
NAMES_PROGRAM = "f = _*x_ + 变量*х + α1*é  # a comment with ``` and <b>"
NAMES_VALUES = "_=1,x_=2,变量=3,х=4,α1=5,é=6"


def test_given_values_are_shown_as_given():
    code, out, _ = run("x*2", "--vals", "x=1.0000001", "--lang", "en")
    assert "x = 1.0000001" in out.splitlines()[1]
    code, out, _ = run("x*2", "--vals", "x=1.0000001", "--format", "latex")
    assert r"x = 1.0000001" in out


@pytest.mark.skipif(not __import__("shutil").which("pdflatex"), reason="pdflatex is not installed")
@pytest.mark.parametrize("program, values", [
    (NAMES_PROGRAM, NAMES_VALUES),
    ("х = 2\nf = х*y_ + (x+y_)*(x+y_+1)*(x*y_)*(x*y_)  # коммент", "x=1,y_=3"),    # Cyrillic code, +₂ labels
    ("x*y", "x=1,y=2,у=3"),                                                     # the look-alike warning
])
def test_latex_with_any_name_compiles_with_pdflatex(tmp_path, program, values):
    code, out, err = run(program, "--vals", values, "--format", "latex", "--lang", "en")
    assert code == 0, err
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb,graphicx}\n\\begin{document}\n"
                                      + out + "\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Missing character" not in (tmp_path / "doc.log").read_text(errors="replace")


def test_markdown_keeps_a_comment_inside_its_code_block():
    code, out, _ = run(NAMES_PROGRAM, "--vals", NAMES_VALUES, "--format", "md", "--lang", "en")
    fence = out.split("## Program\n\n", 1)[1].split("\n", 1)[0]
    assert fence == "````" and out.count("\n" + fence + "\n") == 2
    block = out.split(fence + "\n", 2)[1]
    assert "``` and <b>" in block and "```mermaid" in out.split(fence, 3)[-1]


def test_graphs_with_any_name_are_valid_dot_svg_and_mermaid(tmp_path):
    import xml.etree.ElementTree as ET
    for ext in ("dot", "mmd", "svg"):
        code, _, err = run(NAMES_PROGRAM, "--vals", NAMES_VALUES, "--graph", str(tmp_path / f"g.{ext}"), "--json")
        assert code == 0, err
    dot = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert "<b>" not in dot and dot.count("{") == dot.count("}")
    svg = ET.parse(tmp_path / "g.svg").getroot()              # well-formed XML, every label in it
    texts = "".join(svg.itertext())
    assert all(name in texts for name in ("x_", "变量", "х", "α1", "é"))
    for line in (tmp_path / "g.mmd").read_text(encoding="utf-8").splitlines()[2:]:
        if "[" in line or "((" in line:
            assert re.fullmatch(r'  \w+(\["[^"]*"\]|\(\("[^"]*"\)\))', line), line      # every label quoted


def test_a_document_on_the_terminal_gets_no_raw_controls():
    code, out, _ = run("x*y  # \u202e\u009b2J", "--vals", "x=1,y=2", "--format", "md")
    assert code == 0 and raw_controls(out) == [] and "\\u202e\\x9b2J" in out
