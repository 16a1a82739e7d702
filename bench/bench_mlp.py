"""Two-layer MLP with 512x512 weights: forward + backward through bptutor's
engine against the same network written by hand in numpy, in the same run.

    python bench/bench_mlp.py [repeats] [batch]

The network, one sample per column of X (batch 512 by default):
    H = relu(W1 @ X + b1); O = W2 @ H + b2; L = mean((O - Y)^2)
bptutor: the program compiled once, then engine.forward + engine.backward with
the gradients wanted for W1, b1, W2, b2 (as the hand-written version computes).
Also timed, on the same compiled Program: .step(values, wrt=...), which adds
the checks of the values (what a training loop calls), and
.derive(values, wrt=..., check=False), which also builds the Derivation.
Medians of `repeats` rounds (default 25), each round timing the four one after
the other; a ratio is the median of the rounds' ratios.
Budget: engine <= 1.15 x hand-written numpy at the default thread count.

BLAS runs with its default thread count (OpenBLAS: one per processor this
process may use) unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise;
the first line says which library and how many threads."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np                                   # noqa: E402

import bptutor                                       # noqa: E402
from bptutor.core.arrays import ArrayNS              # noqa: E402
from bptutor.core.engine import backward, forward    # noqa: E402

PROGRAM = "H = relu(W1 @ X + b1); O = W2 @ H + b2; L = mean((O - Y)^2)"
PARAMS = ("W1", "b1", "W2", "b2")


BUDGET = 1.15


def blas_threads() -> str:
    """The BLAS library and the threads it runs: set by the environment, else its default."""
    try:
        name = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except (AttributeError, KeyError):
        name = "BLAS"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return f"{name}, {os.environ[var]} thread(s) ({var})"
    return f"{name}, default threads ({len(os.sched_getaffinity(0))} processors here)"


def by_hand(W1, b1, W2, b2, X, Y):
    """Forward and backward as one writes them in numpy."""
    z = W1 @ X + b1
    h = np.maximum(z, 0.0)
    o = W2 @ h + b2
    d = o - Y
    loss = np.mean(d * d)
    do = d * (2.0 / d.size)
    dW2 = do @ h.T
    db2 = do.sum(axis=1, keepdims=True)
    dz = (W2.T @ do) * (z > 0)
    dW1 = dz @ X.T
    db1 = dz.sum(axis=1, keepdims=True)
    return loss, dW1, db1, dW2, db2


def with_engine(g, values):
    vals = forward(g, values, ArrayNS)
    grads = backward(g, vals, ArrayNS, PARAMS).grads
    return vals[g.output], [grads[g.inputs[name]] for name in PARAMS]


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(repeats: int = 25, batch: int = 512) -> None:
    rng = np.random.default_rng(0)
    n = 512
    values = {"W1": rng.normal(0, 0.05, (n, n)), "b1": rng.normal(0, 0.1, (n, 1)),
              "W2": rng.normal(0, 0.05, (n, n)), "b2": rng.normal(0, 0.1, (n, 1)),
              "X": rng.normal(size=(n, batch)), "Y": rng.normal(size=(n, batch))}
    program = bptutor.compile(PROGRAM)
    g = program.graph
    # same numbers first
    loss, *grads = by_hand(**values)
    e_loss, e_grads = with_engine(g, values)
    s_loss, s_grads = program.step(values, wrt=PARAMS)
    assert np.isclose(loss, e_loss) and np.isclose(loss, s_loss)
    assert all(np.allclose(a, b) for a, b in zip(grads, e_grads))
    assert all(np.allclose(a, s_grads[name]) for a, name in zip(grads, PARAMS))
    # interleaved, so all see the same machine load
    times = {"hand": [], "engine": [], "step": [], "derive": []}
    for _ in range(repeats):
        times["hand"].append(median_time(lambda: by_hand(**values), 1))
        times["engine"].append(median_time(lambda: with_engine(g, values), 1))
        times["step"].append(median_time(lambda: program.step(values, wrt=PARAMS), 1))
        times["derive"].append(median_time(lambda: program.derive(values, wrt=PARAMS, check=False), 1))
    med = {k: statistics.median(v) for k, v in times.items()}
    # each round's ratio, then their median: robust to load that drifts between rounds
    ratio = {k: statistics.median(b / a for a, b in zip(times["hand"], v)) for k, v in times.items()}
    print(f"two-layer MLP, weights {n}x{n}, batch {batch}, medians of {repeats} runs, BLAS: {blas_threads()}")
    print(f"  hand-written numpy     {med['hand'] * 1e3:8.2f} ms")
    verdict = "holds" if ratio["engine"] <= BUDGET else "does not hold"
    for key, label, note in (("engine", "bptutor engine", f"(budget {BUDGET} x: {verdict})"),
                             ("step", "Program.step", "(+ checks of values)"),
                             ("derive", "Program.derive", "(+ the Derivation)")):
        print(f"  {label:22s} {med[key] * 1e3:8.2f} ms   median ratio {ratio[key]:.2f} x numpy   {note}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
