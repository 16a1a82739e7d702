"""Renderers: format a Derivation, never compute one.

FORMATS = {view: {format: printer}} is the one list of what can be printed:
the CLI's --format and --graph choices and the REPL's export commands are read
from it. A printer is named "module:function" inside this package, so importing
the registry imports no renderer; printer() loads the one asked for.

Printers of a view share a signature:
    derivation  (d, lang, digits) -> str, or a Rich renderable for text
                (which also takes show_all; html also takes layout)
    answers     (d, verdicts, lang, digits) -> a Rich renderable, or a page for html
    graph       (d, digits) -> DOT or Mermaid text, or a Rich tree for "-"
    update      (step, lang, digits) -> the --lr step after a derivation, in each
                of the derivation's formats (a Rich renderable for text)
    train       (log, first, lang, digits, show_all) -> a training run (a Rich
                renderable for text); first: the Derivation at its first update
"""
from __future__ import annotations

FORMATS = {
    "derivation": {"text": "terminal:render", "md": "markdown:render", "latex": "latex:render",
                   "html": "html:render"},
    "answers": {"text": "answers:render_answers", "html": "html:render_answers"},
    # by the file's extension; "-" draws the graph in the terminal
    "graph": {"svg": "dot:render", "png": "dot:render", "dot": "dot:render", "gv": "dot:render",
              "mmd": "mermaid:render", "-": "graphtext:render"},
    "update": {"text": "trainlog:render_one_step", "md": "trainlog:one_step_markdown",
               "latex": "trainlog:one_step_latex", "html": "trainpage:one_step"},
    "train": {"text": "trainlog:render", "md": "trainlog:markdown", "html": "trainpage:render"},
}

# Graph formats that a layout program draws from the printer's DOT text.
LAID_OUT = frozenset({"svg", "png"})
# Formats whose printer embeds the picture: it takes layout=, a function from
# DOT text to SVG text (the app's layout program; renderers run none). They
# are pages: what follows the derivation (the --lr step) goes inside, as extra=.
EMBEDS_PICTURE = frozenset({"html"})       # for the derivation, its answers and a training run


def printer(view: str, fmt: str):
    """The function that prints `view` as `fmt`, imported now."""
    from importlib import import_module
    module, name = FORMATS[view][fmt].split(":")
    return getattr(import_module(f"{__name__}.{module}"), name)
