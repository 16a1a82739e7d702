"""DOT text -> SVG or PNG bytes. The layout program is the `graphviz-pure`
wheel's static binary (a dependency, so it works right after `pip install`
on any platform), else a system Graphviz `dot`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from ..errors import BptutorError

TIMEOUT = 120          # seconds; a huge graph's layout is refused rather than waited on forever


def find_layout_program() -> str | None:
    """graphviz-pure's binary (on PATH, or beside this Python's scripts when the
    environment is not activated), else Graphviz's `dot`."""
    exe = ".exe" if os.name == "nt" else ""
    found = shutil.which("graphviz-pure")
    if found:
        return found
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder or "", "graphviz-pure" + exe)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("dot")


def layout(dot_text: str, fmt: str) -> bytes:
    """Run the layout program: fmt is "svg" or "png"."""
    program = find_layout_program()
    if program is None:
        raise BptutorError("export.no_graphviz")
    try:
        sharp = ["-Gdpi=144"] if fmt == "png" else []       # 1.5x the default: crisp in notes
        done = subprocess.run([program, f"-T{fmt}", *sharp], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BptutorError("export.graphviz_timeout", seconds=TIMEOUT) from None
    except OSError as exc:
        raise BptutorError("export.graphviz_failed", program=program, detail=str(exc)) from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BptutorError("export.graphviz_failed", program=program,
                           detail=detail[-1] if detail else f"exit {done.returncode}")
    return done.stdout
