"""Shared test helpers: run the CLI with captured streams, render at 80 columns
without colour, compare with a stored snapshot (UPDATE_SNAPSHOTS=1 rewrites)."""
from __future__ import annotations

import io
import os
from pathlib import Path

from bptutor.app.cli import main

SNAPSHOTS = Path(__file__).parent / "snapshots"
ROOT = Path(__file__).resolve().parent.parent


def run(*argv, env=None):
    """main(argv) with captured stdout/stderr -> (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        code = main(list(argv), stdout=out, stderr=err)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return int(code), out.getvalue(), err.getvalue()


def render_text(renderable, width: int = 80) -> str:
    from rich.console import Console
    con = Console(record=True, width=width, color_system=None, file=io.StringIO())
    con.print(renderable)
    return "\n".join(line.rstrip() for line in con.export_text().splitlines()) + "\n"


def snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME. A missing snapshot fails: it is written
    only when UPDATE_SNAPSHOTS=1 says an intended change should be recorded."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 to record it"
    assert text == path.read_text(encoding="utf-8"), f"render differs from {path}"


def assert_no_internal_error(*texts: str) -> None:
    """A bug of ours prints the internal-error message (in any language): it must not be there."""
    from bptutor.i18n import LANGS, t
    marks = [t("input.internal", lang, detail="\x00").split("\x00")[0] for lang in LANGS]
    for text in texts:
        assert not any(mark in text for mark in marks), text


def random_expressions(leaves, unary: list, binary: list, max_leaves: int):
    """A hypothesis strategy of well-formed expressions over `leaves`: `f(a)` or
    `-(a)` for each name in `unary`, `(a)op(b)` or `max(a, b)`/`min(a, b)` for `binary`."""
    from hypothesis import strategies as st

    def combine(children):
        one = st.tuples(st.sampled_from(unary), children).map(
            lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})")
        two = st.tuples(st.sampled_from(binary), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})" if t[0] in ("max", "min") else f"({t[1]}){t[0]}({t[2]})")
        return st.one_of(one, two)
    return st.recursive(leaves, combine, max_leaves=max_leaves)
