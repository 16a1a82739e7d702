"""Hostile sizes through the whole CLI (issue 6): each case must work or fail
cleanly within seconds, never recurse, never slurp a huge file.

    python bench/hostile.py [runs]

Prints, per case, the median wall time and peak memory of
`python -m bptutor -f FILE [--json]`, its exit code and the first line of its
error, if any."""
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
N = 100_000


def cases(tmp: Path) -> dict[str, bytes]:
    return {
        "100k-deep sin(...) nesting": b"x = 0.5\n" + b"sin(" * N + b"x" + b")" * N,
        "100k-deep -(...) nesting": b"x = 0.5\n" + b"-(" * N + b"x" + b")" * N,
        "100k-term sum x+x+... (one input, fan-out 100k)": b"x = 0.5\n" + b"+".join([b"x"] * N),
        "100k-term sum of x*k and y^k": b"x = 0.5\ny = 2\n" + b"+".join(
            (f"x*{i % 9 + 1}" if i % 2 else f"y^{i % 3 + 1}").encode() for i in range(N)),
        "error: 100k-deep, one ')' missing": b"(" * N + b"x" + b")" * (N - 1),
        "error: 100k-deep, one ')' too many": b"(" * N + b"x" + b")" * (N + 1),
        "error: 100k terms, trailing '+'": b"+".join([b"x"] * N) + b"+",
        "error: 100k-deep exp(...) overflows": b"x = 0.1\n" + b"exp(" * N + b"x" + b")" * N,
        "error: invalid UTF-8 at the end of 900 kB": b"x+" * 450_000 + b"\xff",
        "refused: 10 MB file": b"x+" * 5_000_000 + b"x",
    }


def run(path: Path, extra: list[str]) -> tuple[float, int, int, str]:
    """Wall time, exit code, peak memory (MB) and the first line of stderr of one run."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bptutor", "-f", str(path), *extra],
                                stdout=subprocess.DEVNULL, stderr=err, env=ENV, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        first = err.read().decode("utf-8", "replace").split("\n", 1)[0]
    return wall, proc.returncode, usage.ru_maxrss // 1024, first


def main(runs: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, data in cases(tmp).items():
            path = tmp / "case.bp"
            path.write_bytes(data)
            for extra in ([], ["--json"]):
                results = [run(path, extra) for _ in range(runs)]
                wall = statistics.median(r[0] for r in results)
                _, code, peak, first = results[-1]
                label = f"{name}{' --json' if extra else ''}"
                print(f"{label:58} {wall:6.2f} s  exit {code}  {peak:5d} MB  {first[:70]}")
                if code == 2:
                    break           # an error: --json changes nothing


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
