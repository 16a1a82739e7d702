"""Differential test: random well-formed expressions, evaluated by bptutor
(reverse mode, its own parser) and by an independent reference written here
(forward-mode dual numbers over the `math` module, from the expression tree
before it is printed). Values and every gradient must agree to 1e-6 relative,
away from kinks; where the reference's function is undefined, bptutor must
say so with a BptutorError."""
import math
import random

import pytest

import bptutor
from bptutor.errors import BptutorError

NAMES = ("x", "y", "z", "w")
CASES = 500


class Dual:
    """a + b·ε with ε² = 0, one tangent per input."""
    __slots__ = ("v", "d")

    def __init__(self, v, d):
        self.v, self.d = v, d

    def scale(self, k, other=None):
        return [k * a for a in self.d] if other is None else [k * a + other_k for a, other_k in zip(self.d, other)]


class Kink(Exception):
    """The point is on (or too near) a non-differentiable point."""


def lift(v, n):
    return Dual(float(v), [0.0] * n)


def chain(x: Dual, value: float, slope: float) -> Dual:
    return Dual(value, [slope * a for a in x.d])


def unary(name, x: Dual) -> Dual:
    v = x.v
    if name == "neg":
        return chain(x, -v, -1.0)
    if name == "exp":
        e = math.exp(v)
        return chain(x, e, e)
    if name == "log":
        return chain(x, math.log(v), 1.0 / v)
    if name == "sqrt":
        r = math.sqrt(v)
        return chain(x, r, 0.5 / r)
    if name == "sin":
        return chain(x, math.sin(v), math.cos(v))
    if name == "cos":
        return chain(x, math.cos(v), -math.sin(v))
    if name == "tan":
        t = math.tan(v)
        return chain(x, t, 1.0 + t * t)
    if name == "tanh":
        t = math.tanh(v)
        return chain(x, t, 1.0 - t * t)
    if name == "sigmoid":
        s = 1.0 / (1.0 + math.exp(-v)) if v > -700 else 0.0
        return chain(x, s, s * (1.0 - s))
    if name in ("relu", "abs"):
        if abs(v) < 1e-6:
            raise Kink
        if name == "relu":
            return chain(x, max(v, 0.0), 1.0 if v > 0 else 0.0)
        return chain(x, abs(v), 1.0 if v > 0 else -1.0)
    raise AssertionError(name)


def binary(op, a: Dual, b: Dual) -> Dual:
    if op == "+":
        return Dual(a.v + b.v, [p + q for p, q in zip(a.d, b.d)])
    if op == "-":
        return Dual(a.v - b.v, [p - q for p, q in zip(a.d, b.d)])
    if op == "*":
        return Dual(a.v * b.v, [p * b.v + a.v * q for p, q in zip(a.d, b.d)])
    if op == "/":
        return Dual(a.v / b.v, [(p * b.v - a.v * q) / (b.v * b.v) for p, q in zip(a.d, b.d)])
    if op in ("max", "min"):
        if abs(a.v - b.v) < 1e-6:
            raise Kink
        pick_a = (a.v > b.v) == (op == "max")
        return a if pick_a else b
    raise AssertionError(op)


def general_power(a: Dual, b: Dual) -> Dual:
    """a^b with both operands variable: a^b·(b·a'/a + b'·ln a), for a > 0 only."""
    if a.v <= 0:
        raise Kink          # bptutor's rules at a <= 0 (integer exponents allowed) are not compared here
    v = math.pow(a.v, b.v)
    la = math.log(a.v)
    return Dual(v, [v * (b.v * p / a.v + q * la) for p, q in zip(a.d, b.d)])


def power(a: Dual, k: int) -> Dual:
    """x^k for a small integer constant k (the reference keeps to integer powers)."""
    if k < 0 and a.v == 0:
        raise ZeroDivisionError
    return chain(a, a.v ** k, k * a.v ** (k - 1) if k else 0.0)


def random_tree(rng: random.Random, depth: int):
    """('var', name) | ('num', value, text) | ('un', name, child) | ('bin', op, left, right) | ('pow', child, k)."""
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.75:
            return ("var", rng.choice(NAMES))
        value = rng.choice([0.5, 2.0, 3.0, 1.5, 10.0, 0.25])
        return ("num", value, repr(value))
    r = rng.random()
    if r < 0.35:
        return ("un", rng.choice(["neg", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
                                  "abs"]),
                random_tree(rng, depth - 1))
    if r < 0.45:
        return ("pow", random_tree(rng, depth - 1), rng.choice([2, 3, -1, -2]))
    if r < 0.5:
        base = ("num", rng.choice([2.0, 0.5]), rng.choice(["2", "0.5"])) if rng.random() < 0.5 else None
        base = ("num", float(base[2]), base[2]) if base else random_tree(rng, depth - 1)
        return ("gpow", base, random_tree(rng, depth - 1))
    return ("bin", rng.choice(["+", "-", "*", "/", "max", "min"]), random_tree(rng, depth - 1),
            random_tree(rng, depth - 1))


def text(tree, rng: random.Random) -> str:
    """The tree as bptutor source: fully bracketed, with random spacing and spellings."""
    sp = lambda: rng.choice(["", " ", "  "])      # noqa: E731
    kind = tree[0]
    if kind == "var":
        return tree[1]
    if kind == "num":
        return tree[2]
    if kind == "un":
        inner = text(tree[2], rng)
        return f"-({inner})" if tree[1] == "neg" else f"{tree[1]}({sp()}{inner}{sp()})"
    if kind == "pow":
        return f"({text(tree[1], rng)}){sp()}{rng.choice(['^', '**'])}{sp()}({tree[2]})"
    if kind == "gpow":
        return f"({text(tree[1], rng)}){sp()}{rng.choice(['^', '**'])}{sp()}({text(tree[2], rng)})"
    op, left, right = tree[1], text(tree[2], rng), text(tree[3], rng)
    if op in ("max", "min"):
        return f"{op}({left},{sp()}{right})"
    return f"({left}){sp()}{op}{sp()}({right})"


def reference(tree, values: dict) -> Dual:
    """Evaluate the tree with dual numbers, with an explicit stack (no recursion)."""
    n = len(NAMES)
    out: list = []
    stack = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "var":
            i = NAMES.index(node[1])
            out.append(Dual(values[node[1]], [1.0 if k == i else 0.0 for k in range(n)]))
        elif kind == "num":
            out.append(lift(node[1], n))
        elif not ready:
            stack.append((node, True))
            children = ([node[1]] if kind == "pow" else [node[2]] if kind == "un"
                        else [node[1], node[2]] if kind == "gpow" else [node[2], node[3]])
            for child in reversed(children):
                stack.append((child, False))
        elif kind == "un":
            out.append(unary(node[1], out.pop()))
        elif kind == "pow":
            out.append(power(out.pop(), node[2]))
        elif kind == "gpow":
            b, a = out.pop(), out.pop()
            out.append(general_power(a, b))
        else:
            b, a = out.pop(), out.pop()
            out.append(binary(node[1], a, b))
    result = out.pop()
    if not math.isfinite(result.v) or not all(math.isfinite(g) for g in result.d):
        raise OverflowError
    return result


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def test_random_expressions_agree_with_an_independent_reference():
    rng = random.Random(20261122)
    agreed = undefined = kinks = 0
    failures = []
    while agreed < CASES:
        tree = random_tree(rng, rng.randint(1, 5))
        values = {name: rng.choice([rng.uniform(-3, 3), rng.uniform(0.1, 2), float(rng.randint(-2, 2))])
                  for name in NAMES}
        src = text(tree, rng)
        try:
            ref = reference(tree, values)
        except Kink:
            kinks += 1
            continue
        except (ValueError, ZeroDivisionError, OverflowError):
            undefined += 1
            with pytest.raises(BptutorError):      # bptutor must refuse too, with a message
                d = bptutor.derive(src, values, check=False)
                if abs(d.value) > 1e12 or any(abs(g) > 1e12 for g in d.gradients.values()):
                    raise BptutorError("near a pole")  # the reference overflowed a step earlier
            continue
        try:
            d = bptutor.derive(src, values, check=False)
        except BptutorError as exc:
            if exc.key != "graph.constant_output" or "'var'" in repr(tree):
                failures.append((src, values, exc.key))
            continue
        grads = d.gradients
        expected = {name: ref.d[i] for i, name in enumerate(NAMES) if name in grads}
        if not close(d.value, ref.v) or any(not close(grads[k], v) for k, v in expected.items()):
            failures.append((src, values, d.value, ref.v, grads, expected))
        agreed += 1
    print(f"agreed {agreed}, undefined {undefined}, kinks {kinks}")
    assert not failures, failures[:5]
    assert agreed >= CASES and undefined > 20 and kinks >= 0
