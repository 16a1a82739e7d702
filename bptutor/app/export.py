"""A derivation printed through render.FORMATS: to a stream, or its graph to a
file chosen by the extension (.svg and .png laid out by Graphviz). The CLI and
the REPL both print through here."""
from __future__ import annotations

import gc
import os
from collections.abc import Iterator

from ..errors import BptutorError
from ..render import EMBEDS_PICTURE, FORMATS, LAID_OUT, printer
from .console import UNSAFE, Exit, is_terminal, json_text, printable, show
from .jsonlists import dict_chunks, escape_unsafe

GRAPH_FILES = tuple(fmt for fmt in FORMATS["graph"] if fmt != "-")
DOCUMENTS = tuple(fmt for fmt in FORMATS["derivation"] if fmt != "text")     # md, latex: notes to paste; html
PAGES = EMBEDS_PICTURE        # documents that are a file to open rather than text to paste (:html FILE)


def graph_format(path: str) -> str:
    """The graph format `path` asks for: "-" (the terminal) or its extension."""
    if path == "-":
        return "-"
    ext = os.path.splitext(path)[1].lower()[1:]
    if ext not in GRAPH_FILES:
        raise BptutorError("export.graph_extension", path=path, known=" ".join("." + e for e in GRAPH_FILES))
    return ext


def show_derivation(d, lang: str, digits: int, stdout, show_all: bool = False) -> None:
    """The narration for a terminal; piped, plain text written without Rich
    (a plain run does not import it), unless FORCE_COLOR asks for Rich anyway."""
    if not rich_wanted(stdout):
        from ..render.plain import render
        stdout.write(printable(render(d, lang, digits, show_all)))
        return
    render = printer("derivation", "text")
    show(render(d, lang, digits, show_all), stdout)


def rich_wanted(stream) -> bool:
    """Rich's own test of a terminal (its is_terminal): TTY_COMPATIBLE, then
    FORCE_COLOR, then the stream."""
    tty = os.environ.get("TTY_COMPATIBLE", "")
    if tty in ("0", "1"):
        return tty == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    return is_terminal(stream)


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
        with open(path, "w", encoding="utf-8") as fh:      # (no pathlib: it is not on a plain run's path)
            fh.write(text)
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
    the step of gradient descent on --lr); indented for people; for big graphs
    compact and streamed: the long lists written a chunk of entries at a time
    with the cyclic GC off, so the whole document never sits in memory
    (json.dumps of the whole: 2.6x the peak at 10^5 nodes), by orjson (json's
    encoder took 1.5 s of the 2 the 10^5-node derivation may take; orjson
    writes a float the shortest way too, in places otherwise: 1e-5 where json
    writes 1e-05): a scalar derivation's nodes and steps column by column
    (app/jsonlists.py), others' a chunk of dicts at a time. As json_text: no
    string in it can drive a terminal."""
    if len(d.graph.rows) <= 2000:
        data = d.to_dict()
        if verdicts:
            labels = d.graph.node_labels
            data["answers"] = [v.to_dict(labels) for v in verdicts]
        if update is not None:
            data["update"] = update.to_dict()
        stdout.write(json_text(data, indent=1) + "\n")
        return
    encode = _compact_encoder()
    encode_list = None
    parts = list(d.dict_parts())
    if verdicts:
        labels = d.graph.node_labels
        parts.append(("answers", [v.to_dict(labels) for v in verdicts]))
    if update is not None:
        parts.append(("update", update.to_dict()))
    binary = getattr(stdout, "buffer", None)
    if binary is None:
        def write(data):
            stdout.write(str(data, "utf-8"))
    else:
        stdout.flush()                      # what the text layer holds goes first
        write = binary.write
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        lists = _long_lists(d, encode)
        for n, (key, value) in enumerate(parts):
            write((b"{" if n == 0 else b",") + encode(key) + b":")
            if not isinstance(value, Iterator):
                write(encode(value))
                continue
            chunks = lists.get(key)
            if chunks is None:                  # a list jsonlists does not write: a chunk of dicts at a time
                encode_list = encode_list or _dict_encoder(d, encode)
                chunks = dict_chunks(value, encode_list)
            write(b"[")
            sep = b""
            for chunk in chunks:
                write(sep)
                write(chunk)
                sep = b","
            write(b"]")
        write(b"}\n")
    finally:
        if gc_was_on:
            gc.enable()
    if binary is not None:
        binary.flush()


def _dict_encoder(d, encode):
    """The encoder of the long lists' dicts: they hold no strings but node labels
    and op names (Derivation.node_dict, step_dict), so labels without a character
    json_text escapes spare their 50 MB the scan for one (0.1 s)."""
    return _compact_encoder(scan=False) if not UNSAFE.search("".join(d.graph.node_labels)) else encode


def _long_lists(d, encode) -> dict:
    """The long lists jsonlists writes column by column (with orjson): key -> chunks of entries."""
    try:
        import orjson
    except ImportError:
        return {}
    from .jsonlists import long_lists
    return long_lists(d, orjson, encode) or {}


def _compact_encoder(scan: bool = True):
    """value -> compact JSON as UTF-8, as json_text(value, separators=(",", ":"))
    writes it: by orjson, unsafe characters then escaped (`scan=False`: the
    caller knows there are none); json_text itself where orjson is missing or
    refuses (a lone surrogate)."""
    def by_json(value) -> bytes:
        return json_text(value, separators=(",", ":")).encode("utf-8")
    try:
        import orjson
    except ImportError:
        return by_json

    def by_orjson(value) -> bytes:
        try:
            data = orjson.dumps(value)
        except TypeError:               # orjson.JSONEncodeError: a lone surrogate, an int past 64 bits
            return by_json(value)
        return escape_unsafe(data) if scan else data
    return by_orjson


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
    if fmt in LAID_OUT:
        from .graphviz import check_size, layout
        check_size(len(d.graph.nodes))                  # before drawing anything
        data = layout(printer("graph", fmt)(d, digits), fmt, len(d.graph.nodes))
    else:
        data = printer("graph", fmt)(d, digits).encode("utf-8")
    existed = os.path.lexists(path)
    try:
        with open(path, "wb") as file:
            file.write(data)
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
