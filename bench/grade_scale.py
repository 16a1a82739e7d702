"""Grading at scale: 1,000 problems across 100 files in one process.

    python bench/grade_scale.py [files] [problems-per-file]

Writes `files` grading files of `problems-per-file` problems each (circuits,
sigmoid neurons, programs with fan-out, vectors, kinks; right, rounded and
wrong answers, one broken problem per file), and one more file that is not
TOML, into a
temporary directory, then times `bptutor grade DIR --json` with --jobs 1 and
--jobs 2 (budget: a few seconds), and, for comparison, one process per file
over the first 10 files, as a course did before."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = str(ROOT)

PROBLEMS = [
    ('(x+y)*z', "x=-2,y=5,z=-4", "{{ x = -4, y = -4, z = {z} }}"),
    ('1/(1+exp(-(w0*x0+w1*x1+w2)))', "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "{{ w0 = -0.20, x0 = {x0}, w2 = 0.20 }}"),
    ('a = x^2; b = exp(a); c = a + b; d = sqrt(c); e = cos(c); f = d + e', "x=0.5", '{{ c = {c}, x = "2*x*(1/(2*sqrt(c)) - sin(c))*(1 + exp(x^2))" }}'),
    ('q = W @ x; f = sum(q^2)', "W=[[0.1,0.5],[-0.3,0.8]], x=[0.2,0.4]", "{{ x = {vec} }}"),
    ('max(x, y) * z + relu(x - y)', "x=3,y=1,z=2", "{{ x = 3, y = -1, z = 3 }}"),
]


def write_files(folder: Path, files: int, per_file: int) -> int:
    """The grading files, and one more that is not TOML; returns how many problems they hold."""
    (folder / f"student{files:03d}.toml").write_text("[[problem]\n", encoding="utf-8")
    total = 0
    for k in range(files):
        parts = []
        for j in range(per_file):
            expr, vals, answers = PROBLEMS[(k + j) % len(PROBLEMS)]
            if j == per_file - 1:
                expr = "exq(x)"            # a broken problem: graded as wrong, the rest go on
            wrong = (k + j) % 3 == 0
            answers = answers.format(z=-3 if wrong else 3, x0="-0.40" if wrong else "0.40",
                                     c=0.4037 if wrong else -0.5956,
                                     vec='"[1, 2]"' if wrong else '"[-0.112, 0.636]"')
            parts.append(f'[[problem]]\nname = "p{j}"\nexpr = "{expr}"\nvals = "{vals}"\nanswers = {answers}\n')
        (folder / f"student{k:03d}.toml").write_text("\n".join(parts), encoding="utf-8")
        total += per_file
    return total


def timed(cmd) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, proc


def main(files: int = 100, per_file: int = 10) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        problems = write_files(folder, files, per_file)
        grade = [sys.executable, "-m", "bptutor", "grade", str(folder), "--json"]
        timed(grade[:4] + [str(folder / "student000.toml")])           # warm the caches
        results = {}
        for jobs in (1, 2):
            seconds, proc = timed(grade + ["--jobs", str(jobs)])
            data = json.loads(proc.stdout)
            results[jobs] = data
            print(f"--jobs {jobs}: {len(data['submissions'])} files (1 not TOML), {data['total']} problems graded "
                  f"({problems} written), {data['right']} right, in {seconds:.2f} s "
                  f"= {seconds / problems * 1000:.2f} ms per problem (exit {proc.returncode})")
        assert results[1] == results[2], "--jobs 2 must give what --jobs 1 gives"
        few = sorted(folder.glob("*.toml"))[:10]
        t0 = time.perf_counter()
        for path in few:
            timed(grade[:4] + [str(path), "--json"])
        each = (time.perf_counter() - t0) / len(few)
        print(f"one process per file (first {len(few)} files): {each:.2f} s per file "
              f"-> {each * files:.1f} s for {files} files")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
