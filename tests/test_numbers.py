"""render/numbers.py: the one place a number becomes text. Significant digits
for tiny values, one format per vector and per column, inputs as given, and
the precision at which a printed equation is true."""
import math

import numpy as np
import pytest

from bptutor.render.numbers import column, num, short, true_decimals


def test_values_at_the_digits_asked_for():
    assert [num(x, 2) for x in (0.7311, -0.5344, 0.1966, 1.3679, 2.0, -3.0)] == [
        "0.73", "-0.53", "0.20", "1.37", "2", "-3"]
    assert num(0.39322, 4) == "0.3932"


def test_tiny_values_keep_significant_digits():
    # softmax_loss: 1/u = 1/0.0003 = 3389.34 was false as shown; 0.0002950 is not 0.0003
    assert num(0.000295, 4) == "0.0002950" and num(0.000295, 2) == "0.00030"
    assert num(0.0525, 2) == "0.052"              # two significant digits, not 0.05
    assert num(2.5e-7, 4) == "2.500e-07" and num(3e-5, 2) == "3.0e-05"    # tinier: scientific
    assert num(1e10, 4) == "10000000000" and num(1.5e10 + 0.5, 2) == "1.5e+10"     # huge: scientific


def test_one_format_per_vector_and_per_column():
    assert num(np.array([-2 / 3, -4 / 3, -2.0]), 4) == "[-0.6667, -1.3333, -2.0000]"
    assert num(np.array([1.0, 2.0]), 4) == "[1, 2]"
    # sizes too far apart for one count of decimals: all scientific, as numpy prints them
    assert num(np.array([0.000527, 1.1286, 1895.049]), 4) == "[5.270e-04, 1.129e+00, 1.895e+03]"
    assert column([-4.0, -4.00001, 0.5], 4) == ["-4.0000", "-4.0000", "0.5000"]
    assert column([3.0, 4.0], 2) == ["3", "4"]


def test_inputs_are_shown_as_given():
    assert short(1.0000001) == "1.0000001" and short(0.5) == "0.5" and short(-3.0) == "-3"
    assert short(np.array([[0.1, 0.5], [-0.3, 0.8]])) == "[[0.1, 0.5], [-0.3, 0.8]]"


def times(a, b):
    return a * b


def test_an_equation_is_true_at_the_digits_shown():
    # the result stays at the digits asked for, its operands take more where they must:
    # 2 × 0.20 is not 0.39, the sigmoid's 0.1966 needs 3 decimals (2 × 0.197 = 0.394, shown 0.39)
    assert true_decimals(times, (2.0, 0.19661193324148185), 0.3932238664829637, 2) == 3
    assert true_decimals(times, (2.0, 7.38905609893065), 14.7781121978613, 4) == 5     # 2 × 7.38906 = 14.7781
    assert true_decimals(times, (0.36787944117144233, -0.5344466503), -0.19661193324148185, 2) == 2
    assert true_decimals(times, (2.0, 0.2), 0.4, 2) == 2                      # --hand: exact as shown
    assert true_decimals(lambda u: 1 / u, (0.000295,), 1 / 0.000295, 4) == 4
    # softmax_loss: 1/0.0002950 is 3389.83, not 3389.34; 1/0.0002950427 is
    assert true_decimals(lambda u: 1 / u, (0.00029504270,), 3389.3399, 4) == 7
    assert true_decimals(times, (1 / 3, 3.0), 1.0, 4) == 5                   # 0.33333 × 3 = 1 to 4 decimals
    assert true_decimals(times, (1 / 3, 3.0), 1.5, 4) is None                 # never true: ≈
    # an operand is printed as it was checked: `extra` decimals more, a 0-d array as a number
    assert num(7.38905609893065, 4, extra=1) == num(np.array(7.38905609893065), 4, extra=1) == "7.38906"
    assert num(0.00029504270, 4, extra=3) == "0.0002950427" and num(3.0, 4, extra=2) == "3"
    # arrays, entry by entry
    up, local = np.array([0.0005274, 0.000527, 0.0005271]), np.array([1.1286, 1895.049, 0.5596])
    d = true_decimals(times, (up, local), up * local, 4)
    assert d is not None and d >= 4


@pytest.mark.parametrize("x", [0.1234567, -98.7654321, 0.000123456, 12345.678, 1e-9, 7.0])
def test_a_number_shown_reads_back_within_half_its_last_digit(x):
    for digits in range(0, 7):
        text = num(x, digits)
        mantissa, _, exponent = text.partition("e")
        decimals = len(mantissa.partition(".")[2])
        unit = 10.0 ** (int(exponent or 0) - decimals)
        assert abs(float(text) - x) <= 0.5 * unit * (1 + 1e-9), (x, digits, text)
        assert float(text) != 0 or x == 0                # never a bare 0.00 for a value that is not 0
        assert math.isfinite(float(text))


def test_one_format_per_column_of_the_check_table_in_every_format():
    import bptutor
    from helpers import ROOT
    from bptutor.render import html, latex, markdown, plain
    d = bptutor.derive((ROOT / "examples" / "cs231n_circuit.bp").read_text(encoding="utf-8"))
    rows = plain.render(d, "en", 4).split("rel. error")[1].splitlines()[1:4]
    assert [r.split()[:4] for r in rows] == [["x", "-2", "-4", "-4.0000"], ["y", "5", "-4", "-4.0000"],
                                             ["z", "-4", "3", "3.0000"]]       # never -4.0000 / -4 / 3.0000
    assert "| $y$ | $5$ | $-4$ | $-4.0000$ |" in markdown.render(d, "en", 4)
    assert "$y$ & $5$ & $-4$ & $-4.0000$ &" in latex.render(d, "en", 4)
    page = html.render(d, "en", 4)
    assert page.count("<mn>4.0000</mn>") == 2 and "<mn>3.0000</mn>" in page
