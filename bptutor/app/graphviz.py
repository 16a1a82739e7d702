"""DOT text -> SVG or PNG bytes. The layout program is the `graphviz-pure`
wheel's static binary (a dependency, so it works right after `pip install`
on any platform), else a system Graphviz `dot`.

Graphviz's layout grows much faster than the graph (a 1,000-term sum took it
past 3 GB in 12 s; 200 nodes took 27 s), so a graph over MAX_NODES is refused
before it is drawn, above BOUNDED_EFFORT nodes the layout's crossing-minimising
passes are cut short (200 nodes: 27 s -> 3.4 s, the picture a little less
tidy), and the child runs under a memory, CPU-time and wall-clock cap; when it
fails, the message says which cap it hit and what to do instead."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from ..errors import BptutorError

MAX_NODES = 300        # graph nodes (plus as many wire labels): seconds of layout, even bounded, beyond
BOUNDED_EFFORT = 100   # above this, fewer network-simplex and crossing-minimisation passes
EFFORT = ["-Gnslimit=1", "-Gnslimit1=1", "-Gmclimit=0.1"]
TIMEOUT = 60           # seconds of wall clock, and of CPU time
MEMORY = 1 << 30       # bytes of address space


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


def check_size(nodes: int) -> None:
    """Refuse a graph too big to lay out, before anything is drawn."""
    if nodes > MAX_NODES:
        raise BptutorError("export.graph_too_big", nodes=f"{nodes:,}", limit=f"{MAX_NODES:,}")


def layout(dot_text: str, fmt: str, nodes: int) -> bytes:
    """Run the layout program on a graph of `nodes` nodes: fmt is "svg" or "png"."""
    check_size(nodes)
    program = find_layout_program()
    if program is None:
        raise BptutorError("export.no_graphviz")
    try:
        options = ["-Gdpi=144"] if fmt == "png" else []     # 1.5x the default: crisp in notes
        if nodes > BOUNDED_EFFORT:
            options += EFFORT
        done = subprocess.run([program, f"-T{fmt}", *options], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=TIMEOUT, preexec_fn=_limits if os.name == "posix" else None)
    except subprocess.TimeoutExpired:
        raise BptutorError("export.graphviz_timeout", seconds=TIMEOUT) from None
    except OSError as exc:
        raise BptutorError("export.graphviz_failed", program=program, detail=str(exc)) from None
    if done.returncode != 0 or not done.stdout:
        raise failure(done, program)
    return done.stdout


def _limits() -> None:          # pragma: no cover -- runs in the child, before the program starts
    """The child's caps: address space and CPU seconds (the kernel enforces them)."""
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT, TIMEOUT + 5))


def failure(done, program: str) -> BptutorError:
    """Why the layout failed, in words a user can act on: the cap that stopped
    the child, else Graphviz's own last message (not its closing "note:" lines)."""
    import signal
    lines = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    said = [line for line in lines if not line.lower().startswith("note:")] or lines
    detail = said[-1] if said else f"exit {done.returncode}"
    killed = -done.returncode if done.returncode < 0 else None
    if killed in (getattr(signal, "SIGXCPU", None), getattr(signal, "SIGKILL", None)):
        return BptutorError("export.graphviz_cpu", program=program, seconds=TIMEOUT)
    if killed in (signal.SIGSEGV, signal.SIGABRT) or any("memory" in line.lower() for line in said):
        return BptutorError("export.graphviz_memory", program=program, memory=f"{MEMORY >> 20:,} MB")
    if killed is not None:
        detail = signal.Signals(killed).name
    return BptutorError("export.graphviz_failed", program=program, detail=detail)


def svg(dot_text: str, nodes: int) -> str:
    """The picture as SVG text, for a page that embeds it (--format html)."""
    return layout(dot_text, "svg", nodes).decode("utf-8")
