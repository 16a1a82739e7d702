"""`--graph x.svg`: Graphviz's layout never unbounded. Graphs of growing size
through the whole CLI: laid out (bounded effort above 100 nodes) up to 300
nodes, refused above with the formats that need no layout, and the layout
child always under a memory and CPU-time limit (app/graphviz.py).

    python bench/graph.py

Per size: wall time, exit code, the largest resident set of the process and
the layout program it ran (os.wait4 counts the waited-for descendants), and
the first line of the error, if any. Budget: every case finishes within the
layout's time limit, in under 1 GB, and refuses rather than runs above 300."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = str(ROOT)

from bptutor.app.graphviz import MAX_NODES, MEMORY, TIMEOUT  # noqa: E402

MEMORY_MB = MEMORY >> 20


def expression(n_terms: int) -> tuple[str, str]:
    """w·sin(x) terms: 3 nodes a term, 12 inputs."""
    src = " + ".join(f"w{i % 7}*sin(x{i % 5})" for i in range(n_terms))
    return src, ",".join([f"w{i}={i / 7:.3f}" for i in range(7)] + [f"x{i}={1 - i / 5:.1f}" for i in range(5)])


def main() -> None:
    print(f"--graph x.svg: refused above {MAX_NODES} nodes; the layout child limited to "
          f"{MEMORY_MB} MB and {TIMEOUT} s")
    worst = 0.0
    bounded = True
    with tempfile.TemporaryDirectory() as tmp:
        for n_terms in (29, 66, 96, 97, 3_333):
            src, vals = expression(n_terms)
            target = Path(tmp) / "g.svg"
            with tempfile.TemporaryFile() as err:
                start = time.perf_counter()
                proc = subprocess.Popen([sys.executable, "-m", "bptutor", src, "--vals", vals, "--graph", str(target),
                                         "--lang", "en"], stdout=subprocess.DEVNULL, stderr=err, env=ENV, cwd=ROOT)
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - start
                err.seek(0)
                first = err.read().decode("utf-8", "replace").split("\n", 1)[0]
            code = os.waitstatus_to_exitcode(status)
            nodes = 3 * n_terms + 12 - 1
            peak = usage.ru_maxrss // 1024
            made = target.exists() and target.stat().st_size > 0
            worst = max(worst, wall)
            bounded &= wall < TIMEOUT + 10 and peak < MEMORY_MB and (made or nodes > MAX_NODES)
            print(f"  {nodes:6,} nodes  {wall:6.2f} s  exit {code}  peak {peak:4d} MB  "
                  f"{'svg written' if made else first[:90]}")
            target.unlink(missing_ok=True)
    print(f"  slowest {worst:.2f} s   (budget: bounded, refused above {MAX_NODES}: "
          f"{'holds' if bounded else 'does not hold'})")


if __name__ == "__main__":
    main()
