"""Large inputs through the whole CLI: a 100,000-node expression from a file to
--json with the numeric check (budget <= 2 s), and 100,000-deep nesting.

    python bench/large.py [runs]

Prints the median wall time of `python -m bptutor -f FILE --json` per case."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    n_vars = 100
    terms = [f"x{i % n_vars}*sin(x{(i * 7 + 3) % n_vars})" for i in range(33_334)]     # 3 nodes a term
    wide = tmp / "wide.bp"
    wide.write_text(" + ".join(terms))
    vals = ",".join(f"x{i}={(i % 17) / 10 - 0.8}" for i in range(n_vars))
    deep = tmp / "deep.bp"
    depth = 100_000
    deep.write_text("(" * depth + "x" + ")" * depth + " * y")
    flat = tmp / "flat.bp"                   # one node per token pair: w0*x0 + w1*x1 + ...
    flat.write_text(" + ".join(f"w{i % 50}*x{i % 50}" for i in range(50_000)))     # 2 nodes a term
    flat_vals = ",".join(f"w{i}={i / 50},x{i}={1 - i / 50}" for i in range(50))
    chain = tmp / "chain.bp"
    chain.write_text("tanh(" * 30_000 + "x" + ")" * 30_000)
    return {"100k-node sum of products, 100 inputs": (wide, vals),
            "100k-node w·x sum, 100 inputs": (flat, flat_vals),
            "100k-deep parentheses": (deep, "x=2,y=3"),
            "30k-deep chain of tanh gates": (chain, "x=0.5")}


def main(runs: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, vals) in cases(Path(tmp)).items():
            times, code = [], None
            for _ in range(runs):
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "bptutor", "-f", str(path), "--vals", vals, "--json"],
                                      env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                times.append(time.perf_counter() - t0)
                code = proc.returncode
            err = proc.stderr.strip().splitlines()[:1]
            print(f"{name:40s} median {statistics.median(times):6.2f} s  exit {code} {err}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
