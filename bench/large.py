"""Large inputs through the whole CLI: a 100,000-node expression with 50 inputs
from a file to --json with the numeric check (budget: <= 2 s and <= 250 MB
peak, every input checked or the sampling said), and 100,000-deep nesting.

    python bench/large.py [runs]

Per case: the median wall time and CPU time (user + sys) of
`python -m bptutor -f FILE --json` over `runs` runs, the peak memory of the
process (its maximum resident set), and from its JSON how many inputs the
numeric check covered and whether it said it sampled. The wall time is what
the budget counts; on a loaded machine the CPU time shows what the process
itself spent, and the share of a processor the process got (CPU / wall:
below 1 the machine was busy with other jobs)."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = str(ROOT)
BUDGET_SECONDS, BUDGET_MB = 2.0, 250


def cases(tmp: Path) -> dict[str, tuple[Path, bool]]:
    """name -> (file, whether the budget applies)."""
    n_vars = 50
    big = tmp / "big.bp"             # 33,334 terms of 3 nodes: 100,051 nodes, 50 inputs, values in the file
    big.write_text("\n".join(f"x{i} = {(i % 17) / 10 - 0.8:.1f}" for i in range(n_vars)) + "\n"
                   + " + ".join(f"x{i % n_vars}*sin(x{(i * 7 + 3) % n_vars})" for i in range(33_334)) + "\n")
    deep = tmp / "deep.bp"
    deep.write_text("x = 2\ny = 3\n" + "(" * 100_000 + "x" + ")" * 100_000 + " * y\n")
    chain = tmp / "chain.bp"
    chain.write_text("x = 0.5\n" + "tanh(" * 30_000 + "x" + ")" * 30_000 + "\n")
    return {"100k-node expression, 50 inputs": (big, True),
            "100k-deep parentheses": (deep, False),
            "30k-deep chain of tanh gates": (chain, False)}


def run(path: Path, output: Path) -> tuple[float, float, int, int, str]:
    """Wall seconds, CPU seconds, peak MB, exit code, first line of stderr; the
    JSON written to `output`. The bench itself stays small: on Linux a child's
    peak counts the memory of the process it was forked from."""
    with open(output, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bptutor", "-f", str(path), "--json"],
                                stdout=out, stderr=err, env=ENV, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        first = err.read().decode("utf-8", "replace").split("\n", 1)[0]
        return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status),
                first)


# Read in a process of its own, so the bench never holds a big document.
SUMMARY = """import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
sampled = any(w["key"] == "check.sampled" for w in data["warnings"])
print(len(data["nodes"]), len(data["checks"]), len(data["gradients"]), int(sampled))"""


def summary(output: Path) -> tuple[int, int, int, bool]:
    """(nodes, inputs checked, inputs, whether the output says it sampled)."""
    done = subprocess.run([sys.executable, "-c", SUMMARY, str(output)], capture_output=True, text=True, check=True)
    nodes, checked, inputs, sampled = map(int, done.stdout.split())
    return nodes, checked, inputs, bool(sampled)


def main(runs: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "out.json"
        for name, (path, budgeted) in cases(Path(tmp)).items():
            run(path, output)                           # bytecode cached, files in the page cache
            results = [run(path, output) for _ in range(runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            peak = max(r[2] for r in results)
            _, _, _, code, err = results[-1]
            line = (f"{name:34s} wall {wall:5.2f} s  cpu {cpu:5.2f} s (share {cpu / wall:.2f})  peak {peak:4d} MB"
                    f"  exit {code}")
            if code in (0, 1):
                nodes, checked, inputs, sampled = summary(output)
                line += f"  nodes {nodes:,}  inputs checked {checked}/{inputs}{' (sampling said)' if sampled else ''}"
            else:
                line += f"  {err[:70]}"
            if budgeted:
                holds = wall <= BUDGET_SECONDS and peak <= BUDGET_MB
                line += f"  (budget <= {BUDGET_SECONDS:g} s, <= {BUDGET_MB} MB: {'holds' if holds else 'does not hold'})"
            print(line)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
