"""Two-layer MLP with 512x512 weights: forward + backward through bptutor's
engine against the same network written by hand in numpy, in the same run.

    python bench/bench_mlp.py [repeats] [batch]

The network, one sample per column of X (batch 512 by default):
    H = relu(W1 @ X + b1); O = W2 @ H + b2; L = mean((O - Y)^2)
bptutor: the program parsed once, then engine.forward + engine.backward with the
gradients wanted for W1, b1, W2, b2 (as the hand-written version computes).
Also timed: bptutor.derive(..., check=False), which adds parsing, the
Derivation and the scalar-output check. Medians of `repeats` rounds (default 25),
each round timing the three one after the other; the ratio is the median of
the rounds' ratios.
Budget: engine <= 1.2 x hand-written numpy.

BLAS runs on one thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say
otherwise: on a busy 2-core machine a two-thread 512x512 matmul swings between
5 and 30 ms, which would measure the scheduler, not bptutor."""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")            # before numpy is imported

import numpy as np                                   # noqa: E402

import bptutor                                       # noqa: E402
from bptutor.core.engine import backward, forward, needed_for   # noqa: E402
from bptutor.lang.parse import parse                     # noqa: E402
from bptutor.core.arrays import ArrayNS                   # noqa: E402

PROGRAM = "H = relu(W1 @ X + b1); O = W2 @ H + b2; L = mean((O - Y)^2)"
PARAMS = ("W1", "b1", "W2", "b2")


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


def with_engine(g, values, wanted):
    with ArrayNS.strict():
        vals = forward(g, values, ArrayNS)
        grads, _edges, _kinks = backward(g, vals, ArrayNS, wanted)
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
    g = parse(PROGRAM)
    wanted = needed_for(g, PARAMS)
    # same numbers first
    loss, *grads = by_hand(**values)
    e_loss, e_grads = with_engine(g, values, wanted)
    assert np.isclose(loss, e_loss)
    assert all(np.allclose(a, b) for a, b in zip(grads, e_grads))
    # interleaved, so both see the same machine load
    hand, engine, derive = [], [], []
    for _ in range(repeats):
        hand.append(median_time(lambda: by_hand(**values), 1))
        engine.append(median_time(lambda: with_engine(g, values, wanted), 1))
        derive.append(median_time(lambda: bptutor.derive(PROGRAM, values, wrt=PARAMS, check=False), 1))
    h, e, d = (statistics.median(x) for x in (hand, engine, derive))
    # each round's ratio, then their median: robust to load that drifts between rounds
    ratio_e = statistics.median(b / a for a, b in zip(hand, engine))
    ratio_d = statistics.median(b / a for a, b in zip(hand, derive))
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(f"two-layer MLP, weights {n}x{n}, batch {batch}, medians of {repeats} runs, BLAS threads {threads}")
    print(f"  hand-written numpy     {h * 1e3:8.2f} ms")
    print(f"  bptutor engine         {e * 1e3:8.2f} ms   median ratio {ratio_e:.2f} x numpy   (budget 1.2 x)")
    print(f"  bptutor.derive         {d * 1e3:8.2f} ms   median ratio {ratio_d:.2f} x numpy   (+ parse, checks of values)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
