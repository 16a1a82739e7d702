"""Which renderer makes which file: --graph FILE by its extension, --format by
name. Each renderer is imported only when asked for."""
from __future__ import annotations

from pathlib import Path

from ..errors import BptutorError
from ..core.records import Derivation

GRAPH_EXTENSIONS = (".svg", ".png", ".dot", ".gv", ".mmd")


def graph_bytes(d: Derivation, path: str, digits: int) -> bytes:
    """The picture for `path`, chosen by its extension."""
    ext = Path(path).suffix.lower()
    if ext not in GRAPH_EXTENSIONS:
        raise BptutorError("export.graph_extension", path=path, known=" ".join(GRAPH_EXTENSIONS))
    if ext == ".mmd":
        from .mermaid import render
        return render(d, digits).encode("utf-8")
    from .dot import render
    text = render(d, digits)
    if ext in (".dot", ".gv"):
        return text.encode("utf-8")
    from ..app.graphviz import layout
    return layout(text, ext[1:])


def write_graph(d: Derivation, path: str, digits: int) -> None:
    data = graph_bytes(d, path, digits)
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise BptutorError("export.write_failed", path=path, reason=exc.strerror or str(exc)) from None


def document(d: Derivation, fmt: str, lang: str, digits: int) -> str:
    """--format md or latex: text to paste into notes."""
    if fmt == "md":
        from .markdown import render
    else:
        from .latex import render
    return render(d, lang, digits)
