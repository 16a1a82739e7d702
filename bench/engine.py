"""Scalar engine speed against micrograd, in the same run, at 10^4 and 10^5 nodes.

    pip install -e '.[bench]'        # micrograd, for this bench only
    python bench/engine.py [rounds]

The graph is a chain of the notes' gates, 7 nodes a link:
    t = 1 / (1 + exp(-tanh(t * a + b)))
bptutor builds it node by node (Graph.add, as the parser does), then runs
engine.forward and engine.backward. micrograd (Karpathy's, with the exp and
tanh of his lecture added) builds the same expression with its operators,
which computes the values, then runs .backward(); it spells -x, x + 1 and 1/x
with extra nodes of its own (11 a link), which is its cost for this
expression. Times are per bptutor node. Three bptutor figures:
    point    forward + backward of a graph already run once: what
             Program.step/derive cost at each new point, and the numeric check
    first    + the engine's plan of a new graph (its first point)
    build    + building the Graph node by node (Graph.add, the parser's part):
             build + forward + backward, what the budget counts
micrograd has no separate build: building is its forward pass, at every point.
Each side runs as it runs for its users: bptutor with the cyclic GC off (as
Program.__init__, derive and step run it: the graph is acyclic, the GC has
nothing to find), micrograd with it on (its default; a user's script does
not turn it off). micrograd with the GC off too is measured in the same
rounds and printed beside, so the GC's share is plain to see.
Rounds interleave the runs; a ratio is the median of the rounds' ratios.
Budget: micrograd (as it runs) / bptutor (build) >= 5 at both sizes."""
from __future__ import annotations

import gc
import math
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
VALUES = {"a": 0.9, "b": 0.1, "x": 0.5}
BUDGET = 5.0


def build(n_nodes: int) -> Graph:
    g = Graph()
    a = g.input("a")
    b = g.input("b")
    t = g.input("x")
    add = g.add
    while len(g.rows) < n_nodes:
        t = add(MUL, (t, a))
        t = add(ADD, (t, b))
        t = add(TANH, (t,))
        t = add(NEG, (t,))
        t = add(EXP, (t,))
        t = add(ADDC, (t,), 1.0)
        t = add(RDIV, (t,), 1.0)
    g.output = t
    return g


def lecture_micrograd():
    """micrograd's Value with exp and tanh as in Karpathy's lecture, or None."""
    try:
        from micrograd.engine import Value
    except ImportError:
        return None

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out
    Value.exp, Value.tanh = exp, tanh
    return Value


def run_micrograd(Value, n_nodes: int) -> float:
    t0 = time.perf_counter()
    a, b, t = Value(VALUES["a"]), Value(VALUES["b"]), Value(VALUES["x"])
    count = 3
    while count < n_nodes:
        t = 1.0 / ((-(t * a + b).tanh()).exp() + 1.0)
        count += 7
    t.backward()
    return time.perf_counter() - t0


def run_bptutor(n_nodes: int) -> tuple[float, float, float, Graph]:
    """(point, first, build) in seconds, and the graph."""
    t0 = time.perf_counter()
    g = build(n_nodes)
    t1 = time.perf_counter()
    backward(g, forward(g, VALUES))             # plans the graph
    t2 = time.perf_counter()
    backward(g, forward(g, VALUES))
    t3 = time.perf_counter()
    return t3 - t2, t2 - t1, t2 - t0, g


def gc_off(fn, *args):
    """Run with the cyclic GC off, as bptutor.derive() runs the engine."""
    gc.collect()
    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()


def gc_on(fn, *args):
    """Run with the cyclic GC on, as a micrograd script runs."""
    gc.collect()
    return fn(*args)


def main(rounds: int = 7) -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1_000_000))    # micrograd's topological sort recurses
    Value = lecture_micrograd()
    if Value is None:
        print("micrograd is not installed: pip install -e '.[bench]' (bptutor alone below)")
    print(f"scalar engine, chain of the notes' gates, medians of {rounds} interleaved rounds, µs per node")
    for n in (10_000, 100_000):
        ours = {"point": [], "first": [], "build": []}
        theirs = {"as it runs": [], "GC off": []}
        for _ in range(rounds):
            point, first, with_build, g = gc_off(run_bptutor, n)
            for key, seconds in zip(ours, (point, first, with_build)):
                ours[key].append(seconds / len(g.rows) * 1e6)
            if Value is not None:
                theirs["as it runs"].append(gc_on(run_micrograd, Value, n) / len(g.nodes) * 1e6)
                theirs["GC off"].append(gc_off(run_micrograd, Value, n) / len(g.nodes) * 1e6)
        med = {key: statistics.median(v) for key, v in ours.items()}
        print(f"{n:>7} nodes  bptutor  point {med['point']:5.2f}  first {med['first']:5.2f}  "
              f"build {med['build']:5.2f}")
        if Value is None:
            continue
        for how, times in theirs.items():
            ratio = {key: statistics.median(m / o for m, o in zip(times, v)) for key, v in ours.items()}
            line = (f"{'':14s}micrograd ({how:10s}) {statistics.median(times):5.2f}   micrograd/bptutor: "
                    f"point {ratio['point']:4.1f}x  first {ratio['first']:4.1f}x  build {ratio['build']:4.1f}x")
            if how == "as it runs":
                verdict = "holds" if ratio["build"] >= BUDGET else "does not hold"
                line += f"   (budget build >= {BUDGET:.0f}x: {verdict})"
            print(line)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
