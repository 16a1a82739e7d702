"""--step and :step: the walk through the picture (forward, then backward), the
terminal picture at each stop, and the step-through driven in a real terminal
(tmux: keys in, screens captured, the highlighted node moves forward and back)."""
import shlex
import shutil
import sys
import time

import pytest

import bptutor
from bptutor.render.graphtext import MARK
from bptutor.render.walk import Walk
from helpers import ROOT, render_text, run

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALS = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"


def test_the_walk_goes_forward_node_by_node_then_backward_step_by_step():
    d = bptutor.derive("(x+y)*z", {"x": -2, "y": 5, "z": -4})
    walk = Walk(d)
    # nodes: 0 x, 1 y, 2 +, 3 z, 4 *; wires: 0 x->+, 1 y->+, 2 +->*, 3 z->*, 4 *->end
    assert [(s.phase, s.node, s.wires) for s in walk.stops] == [
        ("forward", 2, (0, 1, 2)),          # + takes x and y, sends 3 on
        ("forward", 4, (2, 3, 4)),
        ("backward", 4, (4,)),              # the seed: ∂f/∂f = 1 on the output's wire
        ("backward", 4, (2, 4)),            # * towards +: local z = -4, upstream 1
        ("backward", 4, (3, 4)),            # * towards z: local x+y = 3
        ("backward", 2, (0, 2)),            # + towards x
        ("backward", 2, (1, 2)),
    ]
    assert [s.step for s in walk.stops[2:]] == list(range(len(d.steps)))
    before = walk.stage(-1)
    assert before.node is None and before.values == {0, 1, 3} and not before.grads     # the inputs only
    assert walk.stage(0).values == {0, 1, 2, 3}
    third = walk.stage(3)
    assert third.node == 4 and third.grads == {2, 4} and third.wires == {2, 4}
    assert walk.stage(6).grads == {0, 1, 2, 3, 4}


def test_the_terminal_picture_fills_in_as_the_numbers_become_known():
    from bptutor.render.graphtext import render
    d = bptutor.derive(SIGMOID, dict(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))
    walk = Walk(d, 2)
    at = {k: render_text(render(d, 2, walk.stage(k), walk.picture)) for k in (-1, 2, 9)}
    assert "v=4" not in at[-1] and "g=" not in at[-1] and MARK not in at[-1]
    assert "├── w0*x0+w1*x1 (+)  v=4  ◀" in at[2] and "g=" not in at[2]      # the third node of the forward pass
    assert "f (1/x)  v=0.73  g=1  ◀" in at[9]                 # ... the 1/x gate's step towards +1
    assert "+1  v=1.37  g=-0.53" in at[9] and "exp  v=0.37\n" in at[9]     # exp's gradient is not known yet


def test_step_piped_prints_every_step_as_without_it():
    code, plain, _ = run(SIGMOID, "--vals", SIGMOID_VALS, "--lang", "en")
    assert run(SIGMOID, "--vals", SIGMOID_VALS, "--lang", "en", "--step") == (code, plain, "")


def test_step_with_a_document_format_is_a_usage_error():
    code, out, err = run(SIGMOID, "--vals", SIGMOID_VALS, "--lang", "en", "--step", "--json")
    assert code == 2 and out == "" and "--step" in err and "--json" in err


# ---- a real terminal ------------------------------------------------------------------
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def tmux(tmp_path):
    from test_repl_terminal import Tmux
    t = Tmux(tmp_path)
    yield t
    t("kill-server")


def start(tmux, tmp_path, argv, lang="en", rows=30):
    """bptutor ARGV in an 80-column tmux pane, 30 rows unless told; the exit code and the terminal's
    settings before and after go to files (the exit code last: once it is
    there, so are the settings after)."""
    env = {"PYTHONPATH": str(ROOT), "BPTUTOR_LANG": lang, "TERM": "xterm-256color",
           "XDG_STATE_HOME": str(tmp_path / "state")}
    stty = f"stty -g > {shlex.quote(str(tmp_path / 'before'))}"
    command = " ".join([
        stty, ";", "env", *(shlex.quote(f"{k}={v}") for k, v in env.items()),
        shlex.quote(sys.executable), "-m", "bptutor", *map(shlex.quote, argv),
        ";", "code=$?", ";", stty.replace("before", "after"),
        ";", "echo", "$code", ">", shlex.quote(str(tmp_path / "exit")), ";", "sleep", "30"])
    started = tmux("new-session", "-d", "-s", "bp", "-x", "80", "-y", str(rows), command)
    assert started.returncode == 0, started.stderr


def keys(tmux, *names, until: str):
    tmux("send-keys", "-t", "bp", *names)
    return tmux.wait_for(until)


def marked(screen: str) -> list[str]:
    return [line.strip() for line in screen.splitlines() if MARK in line]


def flat(screen: str) -> str:
    """The screen as one line: a sentence wraps at 80 columns."""
    return " ".join(screen.split())


def modes(tmux) -> dict:
    """The terminal modes a program can leave behind, as tmux keeps them for the pane."""
    names = ("cursor_flag", "alternate_on", "keypad_flag", "keypad_cursor_flag", "mouse_any_flag", "wrap_flag")
    shown = tmux("display", "-p", "-t", "bp", " ".join(f"#{{{n}}}" for n in names)).stdout.split()
    return dict(zip(names, shown))


CLEAN = {"cursor_flag": "1", "alternate_on": "0", "keypad_flag": "0", "keypad_cursor_flag": "0",
         "mouse_any_flag": "0", "wrap_flag": "1"}


def exit_code(tmp_path, timeout=15.0) -> str:
    path = tmp_path / "exit"
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.read_text().strip()


@needs_tmux
def test_step_through_in_a_real_terminal(tmux, tmp_path):
    start(tmux, tmp_path, [SIGMOID, "--vals", SIGMOID_VALS, "--digits", "2", "--step"])
    screen = tmux.wait_for("Enter, → or space")
    assert "w0  v=2" in screen and "v=4" not in screen and not marked(screen)     # drawn once: inputs only
    screen = keys(tmux, "Right", "Enter", "Space", until="step 3 of 21")
    assert marked(screen) == ["├── w0*x0+w1*x1 (+)  v=4  ◀"] and "w0*x0+w1*x1 = 4" in screen
    screen = keys(tmux, *["Right"] * 7, until="step 10 of 21")          # past the forward pass: backward
    assert marked(screen) == ["f (1/x)  v=0.73  g=1  ◀"]
    assert "Backward pass" in screen and "the gradient of node +1 is -0.53 × 1 = -0.53" in flat(screen)
    assert "+1  v=1.37  g=-0.53" in screen and "g=-0.20" not in screen
    screen = keys(tmux, "Right", "Right", "Right", until="step 13 of 21")
    assert marked(screen) == ["└── *-1  v=-1  g=-0.20  ◀"] and "+₂  v=1  g=0.20" in screen
    screen = keys(tmux, "Left", "BSpace", until="step 11 of 21")         # back again
    assert marked(screen) == ["└── +1  v=1.37  g=-0.53  ◀"] and "g=-0.20" not in screen
    assert screen.count("f (1/x)") == 1                                   # the picture changed in place
    screen = keys(tmux, "q", until="Numeric check")
    assert exit_code(tmp_path) == "0"
    assert "x0        -1      0.39     0.39" in screen
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()


@needs_tmux
def test_step_through_in_chinese_and_ctrl_c_leaves_the_terminal_clean(tmux, tmp_path):
    start(tmux, tmp_path, ["(x+y)*z", "--vals", "x=-2,y=5,z=-4", "--step"], lang="zh")
    tmux.wait_for("按 Enter")
    screen = keys(tmux, *["Right"] * 5, until="第 5 步，共 7 步")
    assert marked(screen) == ["f (*)  v=-12  g=1  ◀"]
    assert "* 结点对 z 的局部梯度为" in flat(screen) and "反向传播" in screen and "└── z  v=-4  g=3" in screen
    screen = keys(tmux, "Right", until="第 6 步")
    assert marked(screen) == ["├── x+y (+)  v=3  g=-4  ◀"]
    assert modes(tmux)["cursor_flag"] == "0"                  # hidden while stepping ...
    tmux("send-keys", "-t", "bp", "C-c")
    assert exit_code(tmp_path) == "130"
    assert modes(tmux) == CLEAN                               # ... and back, and no other mode left on
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()


@needs_tmux
def test_the_repl_steps_through_its_last_derivation(tmux, tmp_path):
    start(tmux, tmp_path, ["--digits", "2"])
    tmux.wait_for("bptutor>")
    tmux("send-keys", "-t", "bp", "x = 3", "Enter")
    tmux.wait_for("set x = 3")
    tmux("send-keys", "-t", "bp", "x*x", "Enter")
    tmux.wait_for("Numeric check")
    tmux("send-keys", "-t", "bp", "C-l", ":step", "Enter")
    tmux.wait_for("Enter, → or space")
    screen = keys(tmux, "Right", "Right", until="step 2 of 5")
    assert marked(screen) == ["f (*)  v=9  g=1  ◀"]
    screen = keys(tmux, "Right", "Right", "Right", until="step 5 of 5")     # x*x: two paths meet at x
    assert "x  v=3  g₁=3  Σ g=6" in screen and "x  v=3  g₂=3  Σ g=6" in screen and "That was the last step" in screen
    assert "2 paths meet at x" in flat(screen) and "= 6" in flat(screen)
    keys(tmux, "q", until="bptutor>")
    tmux("send-keys", "-t", "bp", ":vals", "Enter")
    tmux.wait_for("x = 3\n")
    tmux("send-keys", "-t", "bp", "C-d")
    assert exit_code(tmp_path) == "0"


@needs_tmux
def test_a_picture_taller_than_the_terminal_scrolls_to_the_step(tmux, tmp_path):
    source = "a = x*y + sin(x)*cos(y) + exp(x*y*z) + log(1 + x^2 + y^2 + z^2); f = tanh(a)"
    start(tmux, tmp_path, [source, "--vals", "x=0.5,y=-1.2,z=0.3", "--digits", "2", "--step"], rows=14)
    tmux.wait_for("Enter, → or space")
    screen = keys(tmux, *["Right"] * 24, until="step 24 of 49")      # +₄ towards 1+x^2+y^2, 16 lines down
    lines = [line.strip() for line in screen.splitlines()]
    at = lines.index("└── +₄  v=2.78  g=0.074  ◀")
    assert lines[at + 1] == "├── 1+x^2+y^2 (+)  v=2.69  g=0.074"       # where its gradient goes, in sight
    assert "f (tanh)" not in screen
    screen = keys(tmux, *["Left"] * 23, until="step 1 of 49")
    assert marked(screen)[0].endswith("── x*y₁ (*)  v=-0.60  ◀") and "+₄" not in screen     # scrolled back up
    keys(tmux, "q", until="Numeric check")
    assert exit_code(tmp_path) == "0"


def test_forward_mode_walks_the_tangents_left_to_right():
    from bptutor.render.stepview import StepView
    from bptutor.tutor.program import derive
    d = derive("a = x*y; f = a + sin(x)", {"x": 2, "y": 3}, mode="forward")
    walk = Walk(d, 2)
    # nodes: 0 x, 1 y, 2 a, 3 sin, 4 f; wires: 0 x->a, 1 y->a, 2 x->sin, 3 a->f, 4 sin->f, 5 f->end
    assert [(s.phase, s.node, s.wires) for s in walk.stops] == [
        ("forward", 2, (0, 1, 3)), ("forward", 3, (2, 4)), ("forward", 4, (3, 4, 5)),
        ("tangent", 0, (0, 2)),          # the seed ẋ = 1 leaves x on both its wires
        ("tangent", 2, (0, 3)),          # a gets x's tangent times ∂a/∂x = y = 3, and sends it on
        ("tangent", 3, (2, 4)),
        ("tangent", 4, (3,)), ("tangent", 4, (4,)),
        ("tangent", 4, (3, 4, 5)),       # the two paths meet at f: 3 + cos(2)
    ]
    assert walk.stage(3).grads == {0, 1, 2}                  # y's tangent is 0 from the seed on
    assert walk.stage(4).grads == {0, 1, 2, 3} and walk.stage(7).grads == {0, 1, 2, 3, 4}
    assert walk.stage(8).grads == {0, 1, 2, 3, 4, 5}
    view = StepView(d, "en", 2)
    text = " ".join(render_text(view.caption(8)).split())        # the sentences of the text output's forward pass
    assert "Forward mode from x (left to right, MML eq. 5.121): the tangent ṅ = ∂n/∂x of every node · step 9 of 9" \
        in text
    assert "2 inputs bring tangents into node f, so they add up: ḟ = ∂f/∂a·ȧ + ∂f/∂(sin(x))·(sin(x))˙ = " \
        "3 + (-0.42) = 2.58" in text
    picture = render_text(view.picture(8))
    assert picture.startswith("f (+)  v=6.91  t=2.58  ◀") and "y  v=3  t=0" in picture
    zh = " ".join(render_text(StepView(d, "zh", 2).caption(4)).split())
    assert "a = x*y 结点的局部梯度为 y = 3，从输入传过来的切向量为 1，所以 a 结点的切向量为 ȧ = ∂a/∂x·ẋ = 3 × 1 = 3" in zh


@needs_tmux
def test_forward_mode_steps_in_a_real_terminal(tmux, tmp_path):
    start(tmux, tmp_path, ["a = x*y; f = a + sin(x)", "--vals", "x=2,y=3", "--mode", "forward", "--digits", "2",
                           "--step"])
    tmux.wait_for("Enter, → or space")
    screen = keys(tmux, *["Right"] * 5, until="step 5 of 9")
    assert marked(screen) == ["├── a (*)  v=6  t=3  ◀"] and "t=-0.42" not in screen
    screen = keys(tmux, "Left", until="step 4 of 9")
    assert "ẋ = ∂x/∂x = 1" in screen and "t=3" not in screen
    keys(tmux, "q", until="Numeric check")
    assert exit_code(tmp_path) == "0"
