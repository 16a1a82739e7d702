"""A real-terminal smoke test: the REPL inside tmux. Type a value, Tab-complete
a function, see the derivation, leave with Ctrl-D (exit 0), find the history
file. Skipped where tmux is not installed."""
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from helpers import ROOT

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One tmux server of our own (its own socket), so nothing else is touched."""

    def __init__(self, tmp_path):
        self.socket = f"bptutor-test-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp_path

    def __call__(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "bp").stdout

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path):
    t = Tmux(tmp_path)
    yield t
    t("kill-server")


def test_repl_in_a_real_terminal(tmux, tmp_path):
    state = tmp_path / "state"
    done = tmp_path / "exit-code"
    env = {"XDG_STATE_HOME": str(state), "PYTHONPATH": str(ROOT), "BPTUTOR_LANG": "en", "TERM": "xterm-256color"}
    command = " ".join([
        "env", *(shlex.quote(f"{k}={v}") for k, v in env.items()),
        shlex.quote(sys.executable), "-m", "bptutor", "--digits", "2",      # `bptutor` alone: the REPL
        ";", "echo", "$?", ">", shlex.quote(str(done)), ";", "sleep", "30"])
    started = tmux("new-session", "-d", "-s", "bp", "-x", "100", "-y", "40", command)
    assert started.returncode == 0, started.stderr
    tmux.wait_for("bptutor>")
    tmux("send-keys", "-t", "bp", "x = 0.5", "Enter")
    tmux.wait_for("set x = 0.5")
    tmux("send-keys", "-t", "bp", "1 + sigm", "Tab")
    tmux.wait_for("1 + sigmoid")
    tmux("send-keys", "-t", "bp", "(x", "Enter")         # an open bracket: the input continues
    tmux.wait_for("...")
    tmux("send-keys", "-t", "bp", ")", "Enter")
    screen = tmux.wait_for("Numeric check")
    assert "f = 1.62" in screen                     # 1 + σ(0.5) = 1.6225
    tmux("send-keys", "-t", "bp", "C-d")
    deadline = time.monotonic() + 15
    while not (done.exists() and done.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert done.read_text().strip() == "0"
    history = (state / "bptutor" / "history").read_text()
    assert "+x = 0.5\n" in history and "+1 + sigmoid(x\n+)\n" in history
