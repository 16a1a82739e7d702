"""Every equation between numbers the narration prints is true at the digits it
shows, `≈` only where `=` would be false (design.md "Numbers"): a property over
two thousand random expressions, each sum of paths `a + (b) = c`, each local gradient's
chain `formula = numbers = value` and each product `a × b = c` read back from
the printed text and worked out again (the filled-in formula by bptutor's own
parser, a different path from the one that printed it)."""
import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bptutor
from bptutor.errors import BptutorError
from bptutor.render.numbers import true_decimals
from bptutor.render.plain import render
from bptutor.render.words import times
from helpers import random_expressions

NUMBER = r"-?[0-9][0-9.]*(?:e[+-][0-9]+)?"
TERM = rf"\(?{NUMBER}\)?"
# a sum of paths: the terms after an `=`, each a number, then = or ≈ and the total
SUM = re.compile(rf"(?<= = )({TERM}(?: \+ {TERM})+) ([=≈]) ({NUMBER})(?![\w.(\[])")
PRODUCT = re.compile(rf"(?<![\w.\])])({TERM}) × ({TERM}) ([=≈]) ({NUMBER})(?![\w.(\[])")
# a step's local gradient, up to the upstream gradient (reverse) or the incoming tangent (forward)
LOCAL = re.compile(r"local gradient (.+?), (?:upstream gradient|the incoming)")

NAMES = ["x", "y", "z"]
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "-"]
BINARY = ["+", "-", "*", "/", "^", "max", "min"]
constants = st.sampled_from(["2", "3", "-1", "0.5", "1e-3", "100"])


expressions = random_expressions(st.one_of(st.sampled_from(NAMES), constants), UNARY, BINARY, max_leaves=8)
# ordinary values, integers (shown as integers), tiny and large ones (significant digits)
value = st.one_of(st.floats(-3, 3), st.integers(-3, 3), st.floats(-1e-3, 1e-3), st.floats(100, 5000))
values = st.fixed_dictionaries({n: value for n in NAMES})


def number(text: str) -> float:
    return float(text.strip("()"))


def half_unit(text: str, digits: int) -> float:
    """Half a unit of the last digit shown; an integer shown is exact to `digits` decimals."""
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa and not exponent:
        return 0.5 * 10.0 ** -digits
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def true_as_shown(value: float, result: str, digits: int) -> bool:
    return abs(value - float(result)) <= half_unit(result, digits) * (1 + 1e-9)


def _indicator(m) -> str:
    a, sign, b = number(m[1]), m[2], number(m[3])
    return "1" if {">": a > b, "<": a < b, "=": a == b, "≤": a <= b}[sign] else "0"


def _sign(m) -> str:
    a = number(m[1])
    return "1" if a > 0 else "-1" if a < 0 else "0"


ARG = rf"(\({NUMBER}\)|{NUMBER})"
FUNCTIONS = re.compile(r"\b(exp|log|ln|sqrt|sin|cos|tan|tanh|sigmoid)\(")


def evaluated(formula: str) -> float | None:
    """A local gradient's formula filled in with numbers (1/1.37² , e^(-0.58),
    1(3>2) + ½·1(3=2)), worked out by bptutor's parser; None when it names a
    node or is undefined there."""
    text = re.sub(rf"1\({ARG}([<>=≤]){ARG}\)", _indicator, formula)
    text = re.sub(rf"sign\({ARG}\)", _sign, text)
    text = re.sub(rf"e\^{ARG}", r"exp(\1)", text)
    text = re.sub(r"(tanh|tan)²(\([^()]*\))", r"\1\2^2", text)
    text = re.sub(rf"√{ARG}", r"sqrt(\1)", text)
    text = re.sub(rf"ln {ARG}", r"ln(\1)", text)
    text = text.replace("·", "*").replace("²", "^2").replace("½", "0.5").replace("σ(", "sigmoid(")
    if re.search(r"[^\W\d]", re.sub(NUMBER, "0", FUNCTIONS.sub("(", text))):
        return None                         # a name, not a number: nothing to work out
    try:
        d = bptutor.derive(f"({text}) + 0*t", {"t": 0.0})       # t: a constant alone is not derived
    except BptutorError:        # a convention where the formula is undefined (0·0^(0-1) = 0, as PyTorch)
        return None
    return float(d.value)


def equations(text: str, digits: int):
    """(equation, sign, whether `=` is true as shown) for each equation between numbers printed."""
    for m in SUM.finditer(text):
        terms, sign, total = m.groups()
        yield m[0], sign, true_as_shown(sum(number(t) for t in terms.split(" + ")), total, digits)
    for m in PRODUCT.finditer(text):
        a, b, sign, c = m.groups()
        yield m[0], sign, true_as_shown(number(a) * number(b), c, digits)
    for m in LOCAL.finditer(text):
        parts = re.split(r" ([=≈]) ", m[1])
        if len(parts) < 3 or not re.fullmatch(NUMBER, parts[-1]):
            continue
        worked = evaluated(parts[-3])
        if worked is not None:
            yield m[1], parts[-2], true_as_shown(worked, parts[-1], digits)


@settings(max_examples=2000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(expressions, values, st.sampled_from([2, 4]))
def test_every_printed_equation_is_true_as_shown_or_says_approximately(src, vals, digits):
    try:
        d = bptutor.derive(src, vals)
    except BptutorError:            # outside a function's domain: no equations to read
        return
    for equation, sign, true in equations(render(d, "en", digits), digits):
        assert (sign == "=") == true, (equation, src, vals, digits)


def test_the_reader_finds_and_judges_sums_chains_and_products():
    def found(text, digits):
        return list(equations(text, digits))
    assert found("local gradient 1/(/) = 1/0.0002950 = 3389.3399, upstream gradient -1, so", 4) == [
        ("1/(/) = 1/0.0002950 = 3389.3399", "=", False)]          # 1/0.0002950 is 3389.83
    assert found("so the gradient of x is 2 × 7.3891 ≈ 14.7781", 4) == [("2 × 7.3891 ≈ 14.7781", "≈", False)]
    assert found("local gradient -1/(+1)² = -1/1.37² = -0.53, upstream gradient 0.73", 2) == [
        ("-1/(+1)² = -1/1.37² = -0.53", "=", True)]
    assert found("local gradient 1(x>y) + ½·1(x=y) = 1(3>3) + ½·1(3=3) = 0.5000, upstream gradient 1", 4) == [
        ("1(x>y) + ½·1(x=y) = 1(3>3) + ½·1(3=3) = 0.5000", "=", True)]
    assert found("∂f/∂x = ∂f/∂a·∂a/∂x + ∂f/∂b·∂b/∂x = -0.39 + (-0.39) = -0.79", 2) == [
        ("-0.39 + (-0.39) = -0.79", "=", False)]
    assert found("local gradient e^(x*y) = e^2 = 7.3891, upstream gradient 1", 4) == [
        ("e^(x*y) = e^2 = 7.3891", "=", True)]
    assert found("local gradient y = -3, upstream gradient 1", 4) == []       # no numbers worked out


def test_softmax_loss_chain_and_exp_product_show_the_digits_that_make_them_true():
    source = (bptutor.__path__[0] + "/../examples/softmax_loss.bp")
    with open(source, encoding="utf-8") as f:
        text = render(bptutor.derive(f.read()), "en", 4)
    assert "1/(/) = 1/0.0002950427 = 3389.3399" in text        # 1/0.0002950 would be 3389.83
    assert all(sign == "=" and true for _, sign, true in equations(text, 4))
    text = render(bptutor.derive("exp(x*y)", {"x": 1, "y": 2}), "en", 4)
    assert "2 × 7.38906 = 14.7781" in text                      # 2 × 7.3891 is 14.7782


def test_a_sum_of_paths_shows_its_terms_with_the_digits_that_give_the_total():
    # two paths of -0.393 each: -0.39 + (-0.39) would be -0.78, not -0.79
    text = render(bptutor.derive("a*x + a*x", {"a": -0.393, "x": 1}), "en", 2)
    assert "= -0.393 + (-0.393) = -0.79" in text
    assert all(sign == "=" and true for _, sign, true in equations(text, 2))


VECTOR = r"\[[^\[\]]*\]"
OPERAND = rf"\(?{VECTOR}\)?"
# after an `=`: vectors joined by ⊙ or +, then = or ≈ and the result
VECTOR_EQUATION = re.compile(rf"(?<== )({OPERAND}(?: (?:⊙|\+) {OPERAND})+) ([=≈]) ({VECTOR})")


def entries(text: str) -> list[float]:
    return [float(v) for v in text.strip("()[]").split(",")]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["f = sum(exp(x*w))", "f = sum(tanh(x)*w)", "f = sum(sigmoid(x+w)^2)",
                        "q = x*w; f = sum(q*q + exp(q))"]),
       st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3),
       st.sampled_from([2, 4]))
def test_every_printed_vector_equation_is_true_as_shown(src, x, w, digits):
    # the terminal's worked product [a] ⊙ [b] = [c] and sums of paths [a] + [b] = [c], entry by entry
    text = render(bptutor.derive(src, {"x": x, "w": w}), "en", digits)
    for m in VECTOR_EQUATION.finditer(text):
        operands, sign, result = m.groups()
        op = "⊙" if " ⊙ " in operands else "+"
        vectors = [entries(v) for v in operands.split(f" {op} ")]
        worked = [math.prod(column) if op == "⊙" else sum(column) for column in zip(*vectors)]
        shown = [v.strip() for v in result.strip("[]").split(",")]
        true = all(true_as_shown(v, r, digits) for v, r in zip(worked, shown))
        assert (sign == "=") == true, (m[0], src, x, w, digits)


# ---- products: what the narration multiplies out --------------------------------------
def test_the_sigmoid_products_are_true_as_shown():
    d = bptutor.derive("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    found = [(eq, sign, true) for eq, sign, true in equations(render(d, "en", 2), 2) if " × " in eq]
    assert ("2 × 0.197 = 0.39", "=", True) in found           # 2 × 0.20 would be 0.40: the factor takes a digit more
    assert ("-0.53 × 1 = -0.53", "=", True) in found
    assert all((sign == "=") == true for _, sign, true in found)


def test_approximately_only_where_equals_is_false():
    def equal(a, b, product, digits):          # `=` with the factors at the digits asked for
        return true_decimals(times, (a, b), product, digits, limit=digits) == digits
    # half a unit away: either rounding is true, so `=` (0.25 × 0.235 = 0.05875)
    assert equal(0.25, 0.2350, 0.05875, 4)
    assert equal(2.5, 2.3e31, 5.75e31, 2)
    # 1.1e+26 × 90.12 = 9.9e+27, which 1.0e+28 is at two significant digits
    assert equal(1.1e26, 90.12, 9.9132e27, 2)
    # a product shown as an integer is exact to the digits: 48.50 × (-0.041) = -1.9885 is not -2
    assert not equal(48.5, -0.041, -2.0, 2)
    # 2 × 7.3891 = 14.7782, not 14.7781: the factor is shown with a digit more, 2 × 7.38906 = 14.7781
    assert not equal(2.0, 7.38905609893065, 14.7781121978613, 4)
    assert true_decimals(times, (2.0, 7.38905609893065), 14.7781121978613, 4) == 5
