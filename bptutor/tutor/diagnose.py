"""The mistake catalogue: what ∂f/∂X becomes with each known mistake, and the
other numbers a judge compares an answer with (the notes' hand-rounded
gradients, the range of subgradients at a kink). Every number here comes
from the engine (backward's steps, tangents, replay, one_sided); this module
never runs the chain rule itself and never sees a student's answer.

Every mistake changes the rule at one node. ∂f/∂X is linear in each local
gradient and each upstream gradient, so the wrong value is the right one
moved by (wrong − right) × how much ∂f/∂X moves per unit of that number:
for edge n -> j, the upstream at n times ∂j/∂X (the engine's tangent); for
the upstream at n, ∂n/∂X. One forward-mode sweep per X, no re-run per mistake.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from ..core.engine import one_sided, replay, tangents
from ..core.records import Derivation
from ..core.xp import namespace

# Diagnoses are for hand-sized problems: among many wrong versions a wrong number
# would match one by chance, and naming that mistake would be a guess.
DIAGNOSE_MAX_NODES = 2000
MAX_WRONG_VERSIONS = 40     # distinct wrong values; beyond this, no diagnosis
MAX_PATHS = 8               # paths meeting at a node for fan-out mistakes to be listed

CODES = ("sign", "local", "missing_upstream", "wrong_operand", "fanout_partial", "swapped_max",
         "double_counted", "transpose", "rounding")


class Wrong(NamedTuple):
    """A known wrong version of ∂f/∂X: what the student gets making `code` at `node`."""
    code: str
    value: object
    node: int | None
    step: int | None        # the step that shows the right rule there
    detail: tuple = ()      # (key, value) pairs quoted by the explanation

    @property
    def key(self) -> tuple:
        """Which mistake this is: two with the same key are one mistake."""
        return self.code, self.node, dict(self.detail).get("slip")


def decimals(unit: float) -> int:
    """0.01 -> 2: the decimals a precision unit stands for."""
    return max(0, round(-math.log10(unit)))


def hand_rounded(d: Derivation, unit: float) -> list | None:
    """Every node's gradient as a student gets it rounding each value, local
    gradient and product to the decimals written (the engine's replay); None for
    arrays or where rounding leaves the domain."""
    xp = namespace(d.values.values(), d.graph.tensor)
    replayed = replay(d.graph, d.node_values, xp, rounded=decimals(unit))
    return None if replayed is None else replayed[1]


def wrong_versions(paths: "Paths", x: int) -> list[Wrong]:
    """The known wrong versions of ∂f/∂X: per node for scalars, the matrix mistakes for arrays."""
    truth = paths.d.grad(x)
    if is_array(truth):
        import numpy as np
        return array_wrongs(paths, x, np.asarray(truth, dtype=float))
    return paths.wrong_versions(x, truth)


def is_array(v) -> bool:
    """A vector or matrix (a numpy scalar is a number)."""
    return hasattr(v, "shape") and getattr(v, "ndim", 0) > 0


class Paths:
    """The recorded steps indexed for the questions answers ask: which edges leave a
    node, where paths meet, ∂node/∂X, and the mistakes possible on the way."""

    def __init__(self, d: Derivation):
        self.d = d
        self.steps = d.steps
        n = len(d.graph.nodes)
        self.edges: list[list[int]] = [[] for _ in range(n)]     # node -> its edge steps
        self.into: list[list[int]] = [[] for _ in range(n)]      # node -> edge steps reaching it
        self.sums: dict[int, int] = {}                           # node -> its sum step
        self._hand: dict[float, list | None] = {}
        self._tangents: dict[int, list] = {}
        # the linear bookkeeping below is for scalar graphs; arrays get the matrix mistakes only
        self.arrays = d.arrays
        self.xp = namespace(d.values.values(), d.graph.tensor)
        nodes = d.graph.nodes
        self.feeds_exp = {node.args[0] for node in nodes if node.op.name == "exp"}
        for i, s in enumerate(self.steps):
            if s.kind == "edge":
                self.edges[s.node].append(i)
                self.into[s.target].append(i)
            elif s.kind == "sum":
                self.sums[s.target] = i

    def hand_rounded(self, unit: float) -> list | None:
        """hand_rounded(d, unit), once per precision."""
        if unit not in self._hand:
            self._hand[unit] = hand_rounded(self.d, unit)
        return self._hand[unit]

    def explaining_step(self, x: int) -> int:
        """The step whose result is ∂f/∂X: the sum where paths meet, the single edge, or the seed."""
        if x in self.sums:
            return self.sums[x]
        if self.into[x]:
            return self.into[x][-1]
        return 0

    def tangent(self, x: int) -> list:
        """∂node/∂X for every node: the engine's forward mode seeded at X."""
        if x not in self._tangents:
            d = self.d
            self._tangents[x] = tangents(d.graph, d.node_values, self.xp, {x: 1.0})[0]
        return self._tangents[x]

    def _weight(self, e: int, dot: list) -> float:
        """How much ∂f/∂X moves per unit of edge step e's local gradient."""
        s = self.steps[e]
        return s.upstream * dot[s.target]

    def _edge_towards(self, n: int, dot: list) -> int | None:
        return next((e for e in self.edges[n] if dot[self.steps[e].target]), None)

    def wrong_versions(self, x: int, truth: float) -> list[Wrong]:
        """What ∂f/∂X becomes with each catalogued mistake, nearest node first;
        none when there are too many to tell a mistake from a coincidence."""
        if len(self.d.graph.nodes) > DIAGNOSE_MAX_NODES or self.arrays:
            return [Wrong("sign", -truth, None, None, ())] if truth else []
        out = self._wrong_versions(x, truth)
        if len({w.value for w in out}) > MAX_WRONG_VERSIONS:
            return []
        return out

    def _wrong_versions(self, x: int, truth: float) -> list[Wrong]:
        d, steps = self.d, self.steps
        nodes, vals, grads = d.graph.nodes, d.node_values, d.node_grads
        dot = self.tangent(x)
        out: list[Wrong] = []
        for n in range(x, len(nodes)):
            if n in self.sums and dot[n]:
                out.extend(self._fanout(n, dot[n], truth))
            # a mistake in n's rule reaches X through n's inputs, even where n passes X nothing
            if n == x or not any(dot[self.steps[e].target] for e in self.edges[n]):
                continue
            up = grads[n]
            node = nodes[n]
            toward = self._edge_towards(n, dot)
            if up != 1 and dot[n]:      # the upstream taken as 1
                out.append(Wrong("missing_upstream", truth + (1 - up) * dot[n], n, toward,
                                 (("node", n), ("upstream", up))))
            kinked = any(steps[e].kink for e in self.edges[n])
            swapped = 0.0
            for e in self.edges[n]:
                s = steps[e]
                if not dot[s.target]:
                    continue
                weight = self._weight(e, dot)
                slips = self._slips(n, s)
                power = (("power", node.c),) if node.op.name == "pow_const" else ()
                # the rule's u is this input, named and valued: never a placeholder left undefined
                operand = (("operand", s.target), ("operand_value", vals[s.target]))
                out.extend(Wrong("local", truth + (wrong - s.local) * weight, n, e,
                                 (("node", n), ("slip", slip), ("local", s.local), ("wrong", wrong)) + power + operand)
                           for slip, wrong in slips)
                if s.local < 0 and all(wrong != -s.local for _, wrong in slips):
                    # local gradient -l taken as l (unless a slip above says how: 1/x without its minus)
                    out.append(Wrong("sign", truth - 2 * s.local * weight, n, e,
                                     (("node", n), ("local", s.local))))
                if node.op.product:     # the input's own value taken as its local gradient
                    own, other = vals[s.target], s.local
                    if own != other:
                        out.append(Wrong("wrong_operand", truth + (own - other) * weight, n, e,
                                         (("node", n), ("own", node.args[s.k]), ("other", node.args[1 - s.k]))))
                swapped += (1 - 2 * s.local) * weight     # each 0/1 route flipped
            if node.op.router and not kinked and swapped:
                out.append(Wrong("swapped_max", truth + swapped, n, toward, (("node", n),)))
        if truth:
            out.append(Wrong("sign", -truth, None, None, ()))
        return out

    def _slips(self, n: int, s) -> list[tuple[str, float]]:
        """The op's slips at edge step s of node n: (slip, the wrong local gradient)
        for each that gives a different number here."""
        node = self.d.graph.nodes[n]
        vals = self.d.node_values
        out = []
        for slip, k, wrong_local in node.op.slips:
            # the −1 of *-1 dropped is named as e^(−z)'s slip under an exp; elsewhere it is the sign lost
            if k != s.k or (slip == "exp_minus" and n not in self.feeds_exp):
                continue
            try:
                wrong = wrong_local(self.xp, node.c, vals[n], *[vals[j] for j in node.args])
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            if wrong != s.local and math.isfinite(wrong):
                out.append((slip, wrong))
        return out

    def _fanout(self, j: int, dj: float, truth: float) -> list[Wrong]:
        """Paths meeting at node j: one of them taken alone, or one counted twice."""
        sum_step = self.sums[j]
        terms = self.steps[sum_step].terms
        if len(terms) > MAX_PATHS:
            return []
        total = self.d.grad(j)
        out = []
        for e in terms:
            c = self.steps[e].contribution
            path = self.steps[e].node
            detail = (("target", j), ("path", path), ("count", len(terms)))
            out.append(Wrong("fanout_partial", truth - (total - c) * dj, j, sum_step, detail))
            out.append(Wrong("double_counted", truth + c * dj, j, sum_step, detail))
        return out

    def kink_range(self, x: int, truth: float) -> tuple[float, float]:
        """The values ∂f/∂X takes over every valid subgradient at the kinks on its
        paths (the engine's one-sided local gradients of relu/abs/max/min and their
        hull); (truth, truth) when no kink matters."""
        kinked = sorted(self.d.kinks)
        if not kinked or self.arrays:
            return truth, truth
        dot = self.tangent(x)
        low = high = truth
        g, vals = self.d.graph, self.d.node_values
        for n in kinked:
            shifts = [0.0]
            for side in one_sided(g, vals, n, self.xp):
                shifts.append(sum((side[self.steps[e].k] - self.steps[e].local) * self._weight(e, dot)
                                  for e in self.edges[n]))
            low += min(shifts)
            high += max(shifts)
        return low, high


# ---- arrays ------------------------------------------------------------------------
def array_wrongs(paths: Paths, x: int, expected) -> list[Wrong]:
    """Matrix mistakes: the transpose of the gradient, or a matmul's backward
    product in the wrong order or with the wrong transposes."""
    import numpy as np
    out = []
    if expected.ndim == 2 and not np.array_equal(expected, expected.T):
        out.append(Wrong("transpose", expected.T, None, None, ()))
    d = paths.d
    for e in paths.into[x]:
        s = paths.steps[e]
        node = d.graph.nodes[s.node]
        if not node.op.matmul:
            continue
        up = np.asarray(s.upstream, dtype=float)
        other = np.asarray(d.node_values[node.args[1 - s.k]], dtype=float)
        right = np.asarray(s.contribution, dtype=float)
        for p in (up, up.T):
            for q in (other, other.T):
                for product in _products(p, q):
                    if product.shape == right.shape and not np.allclose(product, right):
                        out.append(Wrong("transpose", expected - right + product, s.node, e,
                                         (("node", s.node),)))
    out.append(Wrong("sign", -expected, None, None, ()))
    return out


def _products(p, q):
    """p·q and q·p where the shapes allow: the products a student may write."""
    for a, b in ((p, q), (q, p)):
        try:
            yield a @ b
        except ValueError:
            continue
