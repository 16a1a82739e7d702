"""Start-up: a seed example as a whole process against the bare import of the
libraries a CLI of this kind stands on, in the same run, piped and on a
pseudo-terminal.

    python bench/startup.py [rounds]

Each round runs, one after the other,
    floor    python -c "import argparse, lark, rich.console"
    seed     python -m bptutor "1/(1+exp(-(w0*x0+w1*x1+w2)))" --vals ... --digits 2
piped (stdout a pipe) and on a pseudo-terminal (stdout a pty, 80 columns).
A ratio is the median of the rounds' seed/floor ratios, so load that drifts
between rounds cancels. Bytecode is cached and PYTHONDONTWRITEBYTECODE unset,
as an installed package runs. Budgets: piped <= 0.85, pseudo-terminal <= 1.15.
Also lists the heavy modules a piped run imported (Rich, Lark, numpy, ...)."""
from __future__ import annotations

import os
import pty
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "NO_COLOR", "FORCE_COLOR")}
ENV["PYTHONPATH"] = str(ROOT)
ENV["COLUMNS"], ENV["LINES"] = "80", "24"
FLOOR = [sys.executable, "-c", "import argparse, lark, rich.console"]
SEED = [sys.executable, "-m", "bptutor", "1/(1+exp(-(w0*x0+w1*x1+w2)))",
        "--vals", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--digits", "2"]
BUDGET = {"piped": 0.85, "terminal": 1.15}


def piped(cmd) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def on_terminal(cmd) -> float:
    """The command's stdout a pseudo-terminal; its output read to the end."""
    leader, follower = pty.openpty()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(follower)
    while True:
        try:
            if not os.read(leader, 65536):
                break
        except OSError:                 # the child closed its end
            break
    proc.wait()
    elapsed = time.perf_counter() - t0
    os.close(leader)
    return elapsed


def heavy_modules() -> str:
    probe = ("import sys, io; from bptutor.app.cli import main; "
             "main(" + repr(SEED[3:]) + ", stdout=io.StringIO()); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'lark', 'numpy', 'prompt_toolkit', "
             "'typing', 'dataclasses', 'pathlib', 'tomllib', 'pickle', 'tempfile'}))")
    done = subprocess.run([sys.executable, "-c", probe], env=ENV, cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


def main(rounds: int = 21) -> None:
    for cmd in (FLOOR, SEED):                   # compile and cache bytecode first
        piped(cmd)
    times = {(mode, what): [] for mode in ("piped", "terminal") for what in ("floor", "seed")}
    for _ in range(rounds):
        for mode, run in (("piped", piped), ("terminal", on_terminal)):
            times[mode, "floor"].append(run(FLOOR))
            times[mode, "seed"].append(run(SEED))
    print(f"start-up, medians of {rounds} interleaved rounds (floor: python -c \"import argparse, lark, rich.console\")")
    for mode in ("piped", "terminal"):
        floor, seed = times[mode, "floor"], times[mode, "seed"]
        ratio = statistics.median(s / f for s, f in zip(seed, floor))
        verdict = "holds" if ratio <= BUDGET[mode] else "does not hold"
        print(f"  {mode:9s} floor {statistics.median(floor) * 1e3:6.1f} ms   seed {statistics.median(seed) * 1e3:6.1f} ms"
              f"   seed/floor {ratio:.2f}   (budget <= {BUDGET[mode]}: {verdict})")
    print("  imported by a piped run:", heavy_modules())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
