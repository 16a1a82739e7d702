"""Training speed: samples per second of Program.train (forward + backward per
sample, then the update; no narration, no numeric check).

    python bench/train.py [repeats]

1. Seed 001's loop: loss = (x*w - y)^2 over x = 1, 2, 3, 100 epochs (budget: well under a second).
2. A two-layer net with 16 sigmoid hidden units and L2 (seed 003's J = L + s) over the
   200 samples of examples/points.csv, minibatches of 4 (budget: >= 1,000 samples/s).
Medians of `repeats` runs, in wall-clock time and in the process's CPU time
(on a machine shared with other jobs the CPU time is the steadier figure)."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bptutor                                  # noqa: E402
from bptutor.lang.data import read_data         # noqa: E402

NET_16 = """
z = W1 @ x
h = sigmoid(z)
o = W2 @ h
L = sum((o - y)^2) / 2
s = lam / 2 * (sum(W1^2) + sum(W2^2))
J = L + s
"""


def median_seconds(run, repeats: int) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one run: the medians."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    seed = bptutor.compile("loss = (x*w - y)^2")
    seed.train("x=[1,2,3], y=[2,4,6]", values={"w": 1.0}, epochs=1)       # parser and imports warm
    t, cpu = median_seconds(lambda: seed.train("x=[1,2,3], y=[2,4,6]", values={"w": 1.0}, lr=0.01, epochs=100),
                            repeats)
    print(f"seed 001, 100 epochs x 3 samples: {t * 1000:.1f} ms ({300 / t:,.0f} samples/s); "
          f"CPU {cpu * 1000:.1f} ms")

    import numpy as np
    rng = np.random.default_rng(0)
    values = {"W1": rng.normal(0, 0.5, (16, 3)), "W2": rng.normal(0, 0.5, (2, 16)), "lam": 0.001}
    data = read_data((ROOT / "examples" / "points.csv").read_text(), ".csv", "points.csv")
    net = bptutor.compile(NET_16)
    epochs = 5
    t, cpu = median_seconds(lambda: net.train(data, values=values, params="W1,W2", lr=0.5, epochs=epochs, batch=4),
                            repeats)
    samples = epochs * len(data["x"])
    log = net.train(data, values=values, params="W1,W2", lr=0.5, epochs=epochs, batch=4)
    print(f"two-layer net, 16 hidden units, L2, batch 4: {samples / t:,.0f} samples/s, "
          f"{samples / cpu:,.0f} per CPU second ({epochs} epochs x {len(data['x'])} samples in {t:.2f} s; mean loss "
          f"{log.history[0].mean_loss:.4f} -> {log.history[-1].mean_loss:.4f})")


if __name__ == "__main__":
    main()
