"""Jupyter: a Derivation displays itself. Importing this module registers the
printers in core.records.DISPLAY (records import no renderer); bptutor.derive
and bptutor.compile import it. Nothing here imports IPython or ipywidgets until
a derivation is shown with show().

_repr_html_ is --format html without the page around it (render/html.py's
fragment), in the language and digits the command line would use (BPTUTOR_LANG,
the config file, LANG; BPTUTOR_DIGITS); show(step=True) steps with ipywidgets'
buttons, which work where a notebook runs no script of its output."""
from __future__ import annotations

import uuid

from ..core import records
from ..i18n import t
from .config import choose_digits, choose_lang

DIGITS = 4                  # as `bptutor EXPR` prints


def _prefix() -> str:
    """Ids unique across a notebook's outputs, also after it is saved and reopened."""
    return "bp" + uuid.uuid4().hex[:8]


def _layout(dot_text: str, nodes: int) -> str | None:
    """The picture for a notebook: without a layout program the steps still show."""
    from ..errors import BptutorError
    from .graphviz import svg
    try:
        return svg(dot_text, nodes)
    except BptutorError:
        return None


def html(d, lang: str | None = None, digits: int | None = None) -> str:
    from ..render.html import fragment
    return fragment(d, choose_lang(lang), choose_digits(digits, DIGITS), _layout, _prefix())


def markdown(d, lang: str | None = None, digits: int | None = None) -> str:
    from ..render.markdown import render
    return render(d, choose_lang(lang), choose_digits(digits, DIGITS))


def show(d, step: bool = False, lang: str | None = None, digits: int | None = None) -> None:
    lang, digits = choose_lang(lang), choose_digits(digits, DIGITS)
    if not in_ipython():                # plain Python: the text a terminal shows
        import sys
        from .export import show_derivation
        show_derivation(d, lang, digits, sys.stdout, True)
        return
    from IPython.display import HTML, display
    if step:
        widget = stepper(d, lang, digits)
        if widget is not None:
            display(widget)
            return
        print(t("notebook.no_widgets", lang))
    display(HTML(html(d, lang, digits)))


def in_ipython() -> bool:
    """Inside IPython or a Jupyter kernel (IPython imported only when it is there)."""
    import sys
    if "IPython" not in sys.modules:        # a kernel or the IPython shell has imported it already
        return False
    from IPython import get_ipython
    return get_ipython() is not None


def stepper(d, lang: str, digits: int):
    """The step-through as ipywidgets (prev/next buttons redraw the picture with
    the stop's box and wires lit, and its sentence beneath), or None without them."""
    try:
        import ipywidgets as widgets
    except ImportError:
        return None
    from ..render.html import Stepper
    view = Stepper(d, lang, digits, _layout, _prefix())
    shown = widgets.HTML(view.at(-1))
    prev = widgets.Button(description=t("render.page_prev", lang))
    nxt = widgets.Button(description=t("render.page_next", lang))
    state = {"k": -1}

    def go(by):
        def click(_button):
            state["k"] = max(-1, min(view.count - 1, state["k"] + by))
            shown.value = view.at(state["k"])
            prev.disabled, nxt.disabled = state["k"] < 0, state["k"] == view.count - 1
        return click

    prev.on_click(go(-1))
    nxt.on_click(go(1))
    prev.disabled = True
    return widgets.VBox([widgets.HBox([prev, nxt]), shown])


records.DISPLAY.update(html=html, markdown=markdown, show=show)
