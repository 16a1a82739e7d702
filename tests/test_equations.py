"""Every equation the text renderer prints with `=` is true at the digits it
shows, and `≈` stands only where `=` would be false (design.md "Numbers"):
a property over a few thousand random expressions, each product
`a × b = c` read back from the printed text and multiplied out."""
import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import bptutor
from bptutor.errors import BptutorError
from bptutor.render.numbers import true_decimals
from bptutor.render.terminal import render
from bptutor.render.words import times

NUMBER = r"-?[0-9][0-9.]*(?:e[+-][0-9]+)?"
PRODUCT = re.compile(rf"(?<![\w.\])])(\(?{NUMBER}\)?) × (\(?{NUMBER}\)?) ([=≈]) ({NUMBER})(?![\w.(\[])")

NAMES = ["x", "y", "z"]
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "-"]
BINARY = ["+", "-", "*", "/", "^", "max", "min"]
constants = st.sampled_from(["2", "3", "-1", "0.5", "1e-3", "100"])


def combine(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(
        lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})")
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})" if t[0] in ("max", "min") else f"({t[1]}){t[0]}({t[2]})")
    return st.one_of(unary, binary)


expressions = st.recursive(st.one_of(st.sampled_from(NAMES), constants), combine, max_leaves=10)
# ordinary values, integers (shown as integers), tiny and large ones (significant digits)
value = st.one_of(st.floats(-3, 3), st.integers(-3, 3), st.floats(-1e-3, 1e-3), st.floats(100, 5000))
values = st.fixed_dictionaries({n: value for n in NAMES})


def printed(d, digits: int) -> str:
    console = Console(file=io.StringIO(), width=4000, color_system=None)     # no wrapping inside an equation
    console.print(render(d, "en", digits))
    return console.file.getvalue()


def number(text: str) -> float:
    return float(text.strip("()"))


def half_unit(text: str, digits: int) -> float:
    """Half a unit of the last digit shown; an integer shown is exact to `digits` decimals."""
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa and not exponent:
        return 0.5 * 10.0 ** -digits
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def products(text: str, digits: int):
    """(equation, sign, whether `=` is true as shown) for each product printed."""
    for m in PRODUCT.finditer(text):
        a, b, sign, c = m.groups()
        true = abs(number(a) * number(b) - number(c)) <= half_unit(c, digits) * (1 + 1e-9)
        yield m[0], sign, true


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions, values, st.sampled_from([2, 4]))
def test_every_printed_product_is_true_as_shown_or_says_approximately(src, vals, digits):
    try:
        d = bptutor.derive(src, vals)
    except BptutorError:            # outside a function's domain: no equations to read
        return
    for equation, sign, true in products(printed(d, digits), digits):
        assert (sign == "=") == true, (equation, src, vals, digits)


def test_the_reader_finds_the_products_and_judges_them():
    text = "is 2 × 0.20 ≈ 0.39, is -0.53 × 1 = -0.53, is 1 × (-0.20) = 0.20, is 48.50 × (-0.041) = -2"
    assert list(products(text, 2)) == [("2 × 0.20 ≈ 0.39", "≈", False), ("-0.53 × 1 = -0.53", "=", True),
                                       ("1 × (-0.20) = 0.20", "=", False), ("48.50 × (-0.041) = -2", "=", False)]


def test_the_sigmoid_products_are_true_as_shown():
    d = bptutor.derive("1/(1+exp(-(w0*x0+w1*x1+w2)))", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    found = list(products(printed(d, 2), 2))
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
