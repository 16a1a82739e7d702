"""Start-up cost of a plain run against the bare import of its own dependencies.

    python bench/startup.py [runs]

Runs, alternating, `python -c "import argparse, lark, rich.console"` and
`python -m bptutor "(x+y)*z" --vals x=-2,y=5,z=-4` (piped), and prints the
median wall time of each and their ratio (budget: <= 1.15). Also reports which
heavy modules a plain run imported (none of numpy, prompt_toolkit, exporters)."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As an installed package runs: with its bytecode cached (pip compiles wheels at
# install; this machine sets PYTHONDONTWRITEBYTECODE, which would make every run
# recompile bptutor while lark and rich load from their installed .pyc files).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = str(ROOT)
BARE = [sys.executable, "-c", "import argparse, lark, rich.console"]
PLAIN = [sys.executable, "-m", "bptutor", "(x+y)*z", "--vals", "x=-2,y=5,z=-4"]
SIGMOID = [sys.executable, "-m", "bptutor", "1/(1+exp(-(w0*x0+w1*x1+w2)))",
           "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--digits", "2"]


def wall(cmd) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main(runs: int = 21) -> None:
    for cmd in (BARE, PLAIN, SIGMOID):          # warm the caches (Lark's grammar cache too)
        wall(cmd)
    times = {"bare": [], "plain": [], "sigmoid": []}
    for _ in range(runs):
        times["bare"].append(wall(BARE))
        times["plain"].append(wall(PLAIN))
        times["sigmoid"].append(wall(SIGMOID))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"runs: {runs}")
    for k, v in med.items():
        print(f"{k:8s} median {v * 1000:7.1f} ms")
    print(f"ratio plain/bare   {med['plain'] / med['bare']:.3f}  (budget 1.15)")
    print(f"ratio sigmoid/bare {med['sigmoid'] / med['bare']:.3f}")
    probe = subprocess.run([sys.executable, "-c",
                            "import sys, io; from bptutor.app.cli import main; main(['(x+y)*z', '--vals', "
                            "'x=-2,y=5,z=-4'], stdout=io.StringIO()); "
                            "print(sorted(m for m in ('numpy', 'prompt_toolkit', 'bptutor.render.dot', "
                            "'bptutor.render.markdown', 'bptutor.core.arrays') if m in sys.modules))"],
                           env=ENV, capture_output=True, text=True)
    print("heavy modules imported by a plain run:", probe.stdout.strip() or probe.stderr.strip())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
