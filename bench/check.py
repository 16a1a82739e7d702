"""The numeric check of bench/large.py's 100,000-node expression (50 inputs,
every one checked together), in process and by phase:

    python bench/check.py [runs]

Per run, with the garbage collector off as the CLI runs: the whole
check_gradients, and within it the plan of the vector passes (made once per
graph: equal nodes, long sums), the noise sweep, and the vector passes
(core/points.py). Medians over `runs` (default 7); each run makes the plan anew."""
from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bptutor.core.check as check  # noqa: E402
import bptutor.core.points as points  # noqa: E402
import bptutor.tutor.program as program  # noqa: E402


def expression(n_vars: int = 50, terms: int = 33_334) -> str:
    """bench/large.py's big.bp."""
    return ("\n".join(f"x{i} = {(i % 17) / 10 - 0.8:.1f}" for i in range(n_vars)) + "\n"
            + " + ".join(f"x{i % n_vars}*sin(x{(i * 7 + 3) % n_vars})" for i in range(terms)) + "\n")


def main(runs: int) -> None:
    gc.disable()
    taken = {}
    real = program.check_gradients
    program.check_gradients = lambda *args, **kw: (taken.setdefault("args", args), ((), ()))[1]
    program.compile(expression()).derive({})
    program.check_gradients = real
    args = taken["args"]
    times: dict[str, list[float]] = {"plan": [], "noises": [], "passes": []}

    def timed(name, fn):
        def run(*a, **kw):
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                times[name].append(time.perf_counter() - start)
        return run
    points._make_plan, check.noises, points._run = (timed("plan", points._make_plan), timed("noises", check.noises),
                                                    timed("passes", points._run))
    whole = []
    for _ in range(runs):
        points._plans.clear()
        before = {name: len(t) for name, t in times.items()}
        start = time.perf_counter()
        check.check_gradients(*args)
        whole.append(time.perf_counter() - start)
        for name, t in times.items():           # per run: the sum of its calls
            t[before[name]:] = [sum(t[before[name]:])]
    print(f"check_gradients on {len(args[0].rows):,} nodes, {len(args[4])} inputs, medians of {runs} runs:")
    print(f"  whole {statistics.median(whole) * 1e3:.0f} ms  (" + ", ".join(
        f"{name} {statistics.median(t) * 1e3:.0f}" for name, t in times.items()) + ")")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
