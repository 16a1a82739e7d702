"""Scalar engine speed: build + forward + backward, microseconds per node, at
10^4 and 10^5 nodes; against PyTorch scalar autograd on the same graph in the
same run when torch is installed (pip install torch==2.13.0; not a dependency).

    python bench/engine.py [repeats]

The graph is a mixed chain of the notes' gates: t = tanh(t * a + b), then
t = exp(-t) + 1, then t = 1 / t, repeated (every node used once or twice).
Budget: <= 1.0 us per node. Medians of `repeats` runs."""
from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bptutor.core.engine import backward, forward      # noqa: E402
from bptutor.core.graph import Graph                    # noqa: E402
from bptutor.core.ops import OPS                        # noqa: E402

MUL, ADD, TANH, NEG, EXP, ADDC, RDIV = (OPS[k] for k in ("mul", "add", "tanh", "neg", "exp", "add_const",
                                                       "rdiv_const"))


def build(n_nodes: int) -> Graph:
    g = Graph()
    a = g.input("a")
    b = g.input("b")
    t = g.input("x")
    while len(g.nodes) < n_nodes:
        t = g.add(MUL, (t, a))
        t = g.add(ADD, (t, b))
        t = g.add(TANH, (t,))
        t = g.add(NEG, (t,))
        t = g.add(EXP, (t,))
        t = g.add(ADDC, (t,), 1.0)
        t = g.add(RDIV, (t,), 1.0)
    g.output = t
    return g


def run_bptutor(n_nodes: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    g = build(n_nodes)
    vals = forward(g, {"a": 0.9, "b": 0.1, "x": 0.5})
    backward(g, vals)
    elapsed = time.perf_counter() - t0
    return elapsed, len(g.nodes)


def run_torch(n_nodes: int) -> tuple[float, int]:
    import torch
    t0 = time.perf_counter()
    a = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    t, count = x, 3
    while count < n_nodes:
        t = 1.0 / (torch.exp(-torch.tanh(t * a + b)) + 1.0)
        count += 7
    t.backward()
    return time.perf_counter() - t0, count


def median_us(fn, n, repeats):
    """Both sides run with the cyclic GC off, as bptutor.derive() runs the engine."""
    per_node = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            elapsed, count = fn(n)
        finally:
            gc.enable()
        per_node.append(elapsed / count * 1e6)
    return statistics.median(per_node)


def main(repeats: int = 5) -> None:
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    for n in (10_000, 100_000):
        ours = median_us(run_bptutor, n, repeats)
        line = f"{n:>7} nodes  bptutor {ours:5.2f} us/node"
        if have_torch:
            theirs = median_us(run_torch, n, repeats)
            line += f"   torch {theirs:5.2f} us/node   torch/bptutor {theirs / ours:4.1f}x"
        print(line + "   (budget 1.0 us/node)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
