"""A derivation printed through render.FORMATS: to a stream, or its graph to a
file chosen by the extension (.svg and .png laid out by Graphviz). The CLI and
the REPL both print through here."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import BptutorError
from ..render import EMBEDS_PICTURE, FORMATS, LAID_OUT, printer
from .console import Exit, json_text, printable, show

GRAPH_FILES = tuple(fmt for fmt in FORMATS["graph"] if fmt != "-")
DOCUMENTS = tuple(fmt for fmt in FORMATS["derivation"] if fmt != "text")     # md, latex: notes to paste; html
PAGES = EMBEDS_PICTURE        # documents that are a file to open rather than text to paste (:html FILE)


def graph_format(path: str) -> str:
    """The graph format `path` asks for: "-" (the terminal) or its extension."""
    if path == "-":
        return "-"
    ext = Path(path).suffix.lower()[1:]
    if ext not in GRAPH_FILES:
        raise BptutorError("export.graph_extension", path=path, known=" ".join("." + e for e in GRAPH_FILES))
    return ext


def show_derivation(d, lang: str, digits: int, stdout, show_all: bool = False) -> None:
    """The narration for a terminal (plain when piped)."""
    render = printer("derivation", "text")
    show(render(d, lang, digits, show_all), stdout)


def step_through(d, lang: str, digits: int, stdout, input=None, output=None) -> int:
    """--step, :step on a terminal (`input`, `output`: prompt_toolkit's, for tests):
    one step at a time, then the numeric check. Exit.INTERRUPTED after Ctrl-C."""
    from ..render.stepview import StepView
    from .stepper import run
    view = StepView(d, lang, digits)
    code = run(view, input, output)
    if code == Exit.OK:
        show(view.ending(), stdout)
    return code


def write_document(d, fmt: str, lang: str, digits: int, stdout, update=None) -> None:
    """--format md|latex|html, :md, :latex: the derivation as notes (a page holds
    the --lr `update` too)."""
    stdout.write(printable(printer("derivation", fmt)(d, lang, digits, **picture_options(fmt, update, lang, digits))))  # a comment's controls too


def write_page(d, fmt: str, lang: str, digits: int, path: str, verdicts=None) -> None:
    """:html FILE: the page in a file, with the verdicts when answers were checked."""
    if verdicts:
        text = printer("answers", fmt)(d, verdicts, lang, digits, **picture_options(fmt))
    else:
        text = printer("derivation", fmt)(d, lang, digits, **picture_options(fmt))
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BptutorError("export.write_failed", path=path, reason=exc.strerror or str(exc)) from None


def picture_options(fmt: str, update=None, lang: str = "en", digits: int = 4) -> dict:
    """What a printer of a page needs: the layout program, and the --lr step to put inside."""
    if fmt not in EMBEDS_PICTURE:
        return {}
    from .graphviz import svg
    options = {"layout": svg}
    if update is not None:
        options["extra"] = printer("update", fmt)(update, lang, digits)
    return options


def show_answers(d, verdicts, lang: str, digits: int, stdout, fmt: str = "text", update=None) -> None:
    """--answer, :check: the verdicts on the student's answers (with --format html, on the page)."""
    render_answers = printer("answers", fmt)
    if fmt == "text":
        show(render_answers(d, verdicts, lang, digits), stdout)
    else:
        stdout.write(render_answers(d, verdicts, lang, digits, **picture_options(fmt, update, lang, digits)))


def write_json(d, stdout, verdicts=None, update=None) -> None:
    """--json, :json: exactly Derivation.to_dict() (with the verdicts on --answer,
    the step of gradient descent on --lr); indented for people, compact (and
    C-fast, a third smaller) for big graphs."""
    data = d.to_dict()
    if verdicts:
        data["answers"] = [v.to_dict() for v in verdicts]
    if update is not None:
        data["update"] = update.to_dict()
    if len(d.graph.nodes) <= 2000:
        text = json_text(data, indent=1)
    else:
        text = json_text(data, separators=(",", ":"))
    stdout.write(text + "\n")


def show_update(step, fmt: str, lang: str, digits: int, stdout) -> None:
    """--lr: the step of gradient descent after the derivation, in its format."""
    render = printer("update", fmt)
    stdout.write("\n")
    if fmt == "text":
        show(render(step, lang, digits), stdout)
    else:
        stdout.write(render(step, lang, digits))


def show_graph(d, digits: int, stdout) -> None:
    """--graph -, :graph -: the graph drawn in the terminal."""
    show(printer("graph", "-")(d, digits), stdout)


def write_graph(d, path: str, digits: int, inputs: tuple[str, ...] = ()) -> bool:
    """--graph FILE, :graph FILE: the picture the extension names. Never over
    one of `inputs` (the files this run reads: `-f prog.mmd --graph prog.mmd`
    would destroy the program). True when it replaced an existing file."""
    from .files import shown_path
    fmt = graph_format(path)
    refuse_overwriting(path, inputs)
    text = printer("graph", fmt)(d, digits)
    if fmt in LAID_OUT:
        from .graphviz import layout
        data = layout(text, fmt, len(d.graph.nodes))
    else:
        data = text.encode("utf-8")
    existed = os.path.lexists(path)
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise BptutorError("export.write_failed", path=shown_path(path), reason=exc.strerror or str(exc)) from None
    return existed


def refuse_overwriting(path: str, inputs) -> None:
    """An output file must not be one of the `inputs` this run reads (None: none)."""
    from .files import shown_path
    for source in inputs:
        if source is not None and same_file(path, source):
            raise BptutorError("export.would_overwrite_input", path=shown_path(path))


def say_replaced(path: str, lang: str, stderr) -> None:
    """The note that an output replaced a file that was there (--force: none)."""
    from ..i18n import t
    from .files import shown_path
    stderr.write(t("export.replaced", lang, path=shown_path(path)) + "\n")


def same_file(a: str, b: str) -> bool:
    """Whether paths `a` and `b` name one file (through links, or spelled differently)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(a) == os.path.realpath(b)
