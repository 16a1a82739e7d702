"""The derivation on a terminal is laid out without Rich (render/terminal.py's
Document.ansi): byte for byte what Rich writes, or None where Rich must lay it
out; app/console.py chooses width, styles and colours as Rich's Console does."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

import bptutor
from bptutor.app.console import Escaped, show, terminal_settings
from bptutor.render import terminal
from helpers import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.bp"))
SIGMOID = ("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0})


def rich_output(renderable, width: int, system: str | None = "standard", no_color: bool = False) -> str:
    from rich.console import Console
    out = io.StringIO()
    con = Console(file=out, force_terminal=True, width=width, color_system=system, no_color=no_color,
                  highlight=False, markup=False, emoji=False)
    con.print(Escaped(renderable), crop=False)
    return out.getvalue()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_comes_out_as_rich_writes_it(path):
    d = bptutor.derive(path.read_text(encoding="utf-8"))
    laid_out = 0
    for lang in ("en", "zh"):
        doc = terminal.render(d, lang, 4)
        for width, system, no_color in ((40, "standard", False), (80, "standard", True), (120, None, False)):
            text = doc.ansi(width, system is not None, not no_color)
            if text is not None:
                laid_out += 1
                assert text == rich_output(doc, width, system, no_color), (lang, width)
    assert laid_out >= 2 or path.stem == "linear_batch"        # its check table wrapped at 40 and 80: Rich


def test_the_seed_example_at_any_width_with_styles_and_colours():
    d = bptutor.derive(*SIGMOID)
    for lang in ("en", "zh"):
        doc = terminal.render(d, lang, 2, True)
        for width in range(60, 131, 5):
            assert doc.ansi(width) == rich_output(doc, width), (lang, width)
        assert doc.ansi(40) is None         # the check table's cells wrapped: Rich's layout
    text = terminal.render(d, "en", 2).ansi(80)
    assert "\x1b[1mf = \x1b[0m\x1b[1m1/(1+exp(-(w0*x0+w1*x1+w2)))\x1b[0m\n" in text
    assert "\x1b[32m✓      \x1b[0m" in text and "\x1b[2m10\x1b[0m w1*x1 gate" in text


def test_styles_without_colour_and_without_styles():
    doc = terminal.render(bptutor.derive(*SIGMOID), "en", 2)
    no_colour, bare = doc.ansi(80, colours=False), doc.ansi(80, styles=False)
    assert "\x1b[32m" not in no_colour and "\x1b[1mForward pass" in no_colour
    assert "\x1b" not in bare and bare == rich_output(doc, 80, None)


def test_what_rich_might_count_otherwise_is_left_to_rich():
    d = bptutor.derive("x*y # 😀 \u200b", {"x": 1.0, "y": 2.0})
    assert terminal.render(d, "en", 2).ansi(80) is None
    d = bptutor.derive("x*y # ok", {"x": 1.0, "y": 2.0})
    assert terminal.render(d, "en", 2).ansi(80) is not None


def test_the_characters_taken_as_sure_have_the_width_rich_gives_them():
    from rich.cells import cell_len

    from bptutor.render.plain import cells
    sure = [chr(c) for c in range(0x20, 0x20000) if not 0xd800 <= c < 0xe000 and terminal.is_sure(chr(c))]
    assert len(sure) > 20000 and "求" in sure and "∂" in sure and "😀" not in sure
    assert [ch for ch in sure if cell_len(ch) != cells(ch)] == []


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("env, expected", [
    ({"COLUMNS": "72"}, (72, True, True)),
    ({"COLUMNS": "72", "NO_COLOR": "1"}, (72, True, False)),
    ({"COLUMNS": "72", "TERM": "dumb"}, (80, False, True)),                 # Rich: 80 unless LINES is set too
    ({"COLUMNS": "72", "LINES": "20", "TERM": "dumb"}, (72, False, True)),
    ({"COLUMNS": "72", "TTY_COMPATIBLE": "0"}, None),
    ({"COLUMNS": "0"}, None),
])
def test_terminal_settings_are_richs(env, expected, monkeypatch):
    from rich.console import Console
    for key in ("COLUMNS", "LINES", "TERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert terminal_settings(Tty()) == expected
    con = Console(file=Tty())
    if expected is not None:
        assert (con.width, con.color_system is not None, not con.no_color) == expected
    doc = terminal.render(bptutor.derive(*SIGMOID), "zh", 2)
    ours, theirs = Tty(), Tty()
    show(doc, ours)
    con = Console(file=theirs, highlight=False, markup=False, emoji=False)
    if con.is_terminal:
        con.print(Escaped(doc), crop=False)
    else:
        assert expected is None
        show(doc.group(), theirs)
    assert ours.getvalue() == theirs.getvalue()


def test_a_derivation_on_a_terminal_imports_no_rich():
    probe = ("import sys; from bptutor.app.cli import main; "
             "main(['1/(1+exp(-(w0*x0+w1*x1+w2)))', '--vals', 'w0=2,x0=-1,w1=-3,x1=-2,w2=-3', '--digits', '2']); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TTY_COMPATIBLE")}
    env.update(FORCE_COLOR="1", COLUMNS="80", PYTHONPATH=str(ROOT))     # Rich's test of a terminal says yes
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0 and "\x1b[1mBackward pass (right to left)\x1b[0m" in done.stdout
    assert done.stdout.rstrip().endswith("[]"), done.stdout[-300:]
