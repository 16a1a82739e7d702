"""--step and :step on a terminal: a prompt_toolkit application (no escape
sequences of our own) showing one stop of the walk at a time. The picture
stays where it is drawn and changes in place; Enter, → or space go on, ← or
Backspace go back, q (or Ctrl-C) leaves. Rich renders each stop (render/
stepview.py); prompt_toolkit draws it and reads the keys, and puts the
terminal back as it found it on the way out."""
from __future__ import annotations

import io

from .console import Exit

NEXT_KEYS = ("enter", "right", "space", "down", "pagedown")
BACK_KEYS = ("left", "backspace", "up", "pageup")


def ansi(renderable, width: int) -> str:
    """A Rich renderable as the terminal codes Rich writes for it."""
    from rich.console import Console
    con = Console(file=io.StringIO(), force_terminal=True, width=width, highlight=False)
    con.print(renderable)
    return con.file.getvalue().rstrip("\n")


def run(view, input=None, output=None) -> int:
    """Step through `view` (a render.stepview.StepView) until q; Exit.INTERRUPTED on Ctrl-C."""
    from prompt_toolkit.application import Application
    from prompt_toolkit.data_structures import Point
    from prompt_toolkit.formatted_text import ANSI
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import HSplit, Layout, ScrollOffsets, Window
    from prompt_toolkit.layout.controls import FormattedTextControl
    from prompt_toolkit.layout.dimension import Dimension

    from ..render.graphtext import MARK

    state = {"k": -1}
    drawn: dict = {}                 # (stop, width) -> (picture text, caption text): redraws are cheap

    def texts():
        width = max(20, app.output.get_size().columns - 1)
        key = state["k"], width
        if key not in drawn:
            drawn.clear()
            drawn[key] = (ansi(view.picture(state["k"]), width), ansi(view.caption(state["k"]), width))
        return drawn[key]

    def marked_line() -> Point:
        """The highlighted box's line: the picture window scrolls to keep it in sight."""
        lines = texts()[0].split("\n")
        row = next((y for y, line in enumerate(lines) if MARK in line), 0)
        return Point(0, row)

    picture = FormattedTextControl(lambda: ANSI(texts()[0]), get_cursor_position=marked_line, show_cursor=False)
    caption = FormattedTextControl(lambda: ANSI(texts()[1]), show_cursor=False)
    keys = KeyBindings()

    def move(by: int):
        def handler(event):
            state["k"] = max(-1, min(view.count - 1, state["k"] + by))
        return handler

    for key in NEXT_KEYS:
        keys.add(key)(move(1))
    for key in BACK_KEYS:
        keys.add(key)(move(-1))

    @keys.add("q")
    @keys.add("escape", eager=True)
    def _quit(event):
        event.app.exit(result=Exit.OK)

    @keys.add("c-c")
    def _interrupt(event):
        event.app.exit(result=Exit.INTERRUPTED)

    def picture_height():
        lines = texts()[0].count("\n") + 1
        return Dimension(min=min(lines, 3), max=lines, preferred=lines)

    layout = Layout(HSplit([
        # a picture taller than the window scrolls to the highlighted box, keeping the
        # lines beneath it (its inputs, where a backward step's wire goes) in sight
        Window(picture, height=picture_height, wrap_lines=False, scroll_offsets=ScrollOffsets(top=1, bottom=3)),
        Window(height=1, char="─", style="class:rule"),
        Window(caption, wrap_lines=True, dont_extend_height=True),
    ]))
    app = Application(layout=layout, key_bindings=keys, full_screen=False, mouse_support=False,
                      input=input, output=output)
    return app.run()
