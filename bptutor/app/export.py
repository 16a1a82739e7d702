"""A derivation printed through render.FORMATS: to a stream, or its graph to a
file chosen by the extension (.svg and .png laid out by Graphviz). The CLI and
the REPL both print through here."""
from __future__ import annotations

from pathlib import Path

from ..errors import BptutorError
from ..render import FORMATS, LAID_OUT, printer
from .console import show

GRAPH_FILES = tuple(fmt for fmt in FORMATS["graph"] if fmt != "-")
DOCUMENTS = tuple(fmt for fmt in FORMATS["derivation"] if fmt != "text")     # md, latex: notes to paste


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


def write_document(d, fmt: str, lang: str, digits: int, stdout) -> None:
    """--format md|latex, :md, :latex: the derivation as notes."""
    stdout.write(printer("derivation", fmt)(d, lang, digits))


def show_answers(d, verdicts, lang: str, digits: int, stdout) -> None:
    """--answer, :check: the verdicts on the student's answers."""
    render_answers = printer("answers", "text")
    show(render_answers(d, verdicts, lang, digits), stdout)


def write_json(d, stdout, verdicts=None, update=None) -> None:
    """--json, :json: exactly Derivation.to_dict() (with the verdicts on --answer,
    the step of gradient descent on --lr); indented for people, compact (and
    C-fast, a third smaller) for big graphs."""
    import json
    data = d.to_dict()
    if verdicts:
        data["answers"] = [v.to_dict() for v in verdicts]
    if update is not None:
        data["update"] = update.to_dict()
    if len(d.graph.nodes) <= 2000:
        text = json.dumps(data, ensure_ascii=False, indent=1)
    else:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
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


def write_graph(d, path: str, digits: int) -> None:
    """--graph FILE, :graph FILE: the picture the extension names."""
    fmt = graph_format(path)
    text = printer("graph", fmt)(d, digits)
    if fmt in LAID_OUT:
        from .graphviz import layout
        data = layout(text, fmt)
    else:
        data = text.encode("utf-8")
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise BptutorError("export.write_failed", path=path, reason=exc.strerror or str(exc)) from None
