"""The step size and the reliability of a central difference (core/difference.py),
on plain functions: the cases of issue 15 where a fixed h = 1e-5 called a right
gradient wrong, a wrong one right, or could not tell."""
import bptutor
import math

import pytest

from bptutor.core.difference import (CROSSED, CURVATURE, FAIL, FIRST, KINK, OK, ROUNDOFF, SKIPPED, TARGET,
                                     UNDEFINED, Sample, band, difference, first_step)

ULP = 2.0 ** -52


def sampled(fn):
    """f as the check samples it: None where undefined or not finite."""
    def f(x):
        try:
            v = fn(x)
        except (ValueError, OverflowError, ZeroDivisionError):
            return Sample(None)
        return Sample(v if math.isfinite(v) else None)
    return f


# (name, f, x, f'(x), how far a computed f may be off: 2ε × the magnitudes it passes through)
SMOOTH = [
    ("sin(x^5) at 5", lambda x: math.sin(x ** 5), 5.0, 5 * 5 ** 4 * math.cos(5 ** 5), 2 * ULP * 1980),
    ("sin(1000x) at 1", lambda x: math.sin(1000 * x), 1.0, 1000 * math.cos(1000), 2 * ULP * 1001),
    ("tan near pi/2", math.tan, 1.5707963, 1 + math.tan(1.5707963) ** 2, 2 * ULP * 3.7e7),
    ("x*x + 1e9 at 3", lambda x: x * x + 1e9, 3.0, 6.0, 2 * ULP * 1e9),
    ("x + 1e10 at 3", lambda x: x + 1e10, 3.0, 1.0, 2 * ULP * 1e10),
    ("1.5x at 1e300", lambda x: 1.5 * x, 1e300, 1.5, 2 * ULP * 1.5e300),
    ("exp at 700", math.exp, 700.0, math.exp(700), 2 * ULP * math.exp(700)),
    ("tanh(1e10 x) at 0", lambda x: math.tanh(1e10 * x), 0.0, 1e10, 2 * ULP),
    ("sqrt at 1e-7", math.sqrt, 1e-7, 0.5 / math.sqrt(1e-7), 2 * ULP * 3.2e-4),
    ("log at 1e-200", math.log, 1e-200, 1e200, 2 * ULP * 461),
]


@pytest.mark.parametrize("name, fn, x, slope, noise", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_a_right_gradient_is_right_and_one_off_by_1_percent_is_wrong(name, fn, x, slope, noise):
    right = difference(sampled(fn), x, slope, noise)
    assert right.verdict == OK and right.band == "fine"
    assert right.numeric == pytest.approx(slope, rel=1e-7)
    assert right.error < 1e-4 * abs(slope)          # the estimate that made it trustworthy
    assert difference(sampled(fn), x, slope * 1.01, noise).verdict == FAIL
    assert difference(sampled(fn), x, 0.0, noise).verdict == FAIL


def test_sin_x5_at_5_a_forced_step_is_extrapolated_and_judged_by_its_own_error():
    f, slope = sampled(lambda x: math.sin(x ** 5)), 5 * 5 ** 4 * math.cos(5 ** 5)
    assert round(slope, 4) == -1979.7785
    # D(1e-5) alone is the issue's -1979.4566 (relative error 2e-4: "wrong")
    d = (math.sin((5 + 1e-5) ** 5) - math.sin((5 - 1e-5) ** 5)) / 2e-5
    assert round(d, 4) == -1979.4566
    forced = difference(f, 5.0, slope, 2 * ULP * 1980, h=1e-5)        # --eps 1e-5
    assert forced.h == 1e-5 and forced.verdict == OK and round(forced.numeric, 4) == -1979.7785
    assert 1e-3 < forced.error < 1                  # |D(h) - D(h/2)|/3: the curvature h still sees
    coarse = difference(f, 5.0, slope, 2 * ULP * 1980, h=1e-3)         # h wider than a period
    assert coarse.verdict == SKIPPED and coarse.reason == CURVATURE


def test_the_first_step_is_relative_to_x_and_to_the_outputs_resolution():
    assert first_step(1e-200, 1.0, 0.0) == pytest.approx(FIRST * 1e-200)
    assert first_step(1e16, 1.0, 0.0) == pytest.approx(FIRST * 1e16)       # 1e-5 is below ulp(1e16) = 2
    assert first_step(0.0, 1.0, 0.0) == pytest.approx(FIRST)
    # x*x + 1e9 at 3: f is known to ±2e-7; h = 1e-5 would see mostly that
    noise = 2 * ULP * 1e9
    assert first_step(3.0, 6.0, noise) == 3.0         # 3 × noise / (1e-8 × 6) = 22, but never beyond |x|
    assert first_step(3000.0, 6.0, noise) == pytest.approx(3 * noise / (TARGET * 6))


def test_a_fixed_h_below_the_outputs_resolution_is_not_checkable_and_says_so():
    f = sampled(lambda x: x * x + 1e9)
    forced = difference(f, 3.0, 6.0, 2 * ULP * 1e9, h=1e-5)
    assert forced.verdict == SKIPPED and forced.reason == ROUNDOFF
    assert forced.error > 1e-3 * 6                  # the estimate shows why


def test_a_gradient_below_every_steps_resolution_is_not_checkable_not_wrong():
    # f = 1 + 1e-20·x: the change is lost in f's own rounding for any h x can take
    f = sampled(lambda x: 1 + 1e-20 * x)
    result = difference(f, 1.0, 1e-20, 2 * ULP)
    assert result.verdict == SKIPPED and result.reason == ROUNDOFF
    assert difference(f, 1.0, 1.01e-20, 2 * ULP).verdict == SKIPPED


def test_undefined_around_x_is_not_checkable():
    f = sampled(lambda x: math.sqrt(x) if x == 4 else math.sqrt(-1))
    result = difference(f, 4.0, 0.25, ULP)
    assert result.verdict == SKIPPED and result.reason == UNDEFINED and result.numeric is None


def test_a_zero_gradient_of_a_flat_function_is_right():
    assert difference(sampled(lambda x: 3.0), 1.0, 0.0, ULP).verdict == OK
    assert difference(sampled(lambda x: 3.0), 1.0, 1e-3, ULP).verdict == FAIL


def kinked(fn, where, node=7):
    """f with a kink at `where` (node 7 switches branch there)."""
    def f(x):
        return Sample(fn(x), node if (x > where) != (x0[0] > where) or x == where else None)
    x0 = [None]

    def at(x):
        x0[0] = x
        return f
    return at


def test_a_kink_crossed_by_the_first_step_is_retried_with_a_smaller_one():
    # max(x, y) at x = 1, y = 1.000001: h = 6e-6 reaches past y; a smaller h does not
    f = kinked(lambda x: max(x, 1.000001), 1.000001)(1.0)
    result = difference(f, 1.0, 0.0, ULP)
    assert result.verdict == OK and result.h < 1e-6 and result.kink is None
    assert difference(f, 1.0, 0.5, ULP).verdict == FAIL      # a wrong gradient is still caught
    # relu(x)*3 at x = 1e-6: h relative to x never reaches 0
    g = kinked(lambda x: 3 * max(x, 0.0), 0.0)(1e-6)
    assert difference(g, 1e-6, 3.0, ULP).verdict == OK


def test_on_the_kink_itself_the_verdict_is_kink_naming_the_node_never_wrong():
    f = kinked(lambda x: 3 * max(x, 0.0), 0.0)(0.0)
    result = difference(f, 0.0, 0.0, ULP)           # PyTorch's relu'(0) = 0
    assert result.verdict == KINK and result.kink == 7 and result.reason == CROSSED
    assert result.numeric == pytest.approx(1.5)     # the two slopes averaged: shown, not judged


@pytest.mark.parametrize("rel, name", [(0, "fine"), (9e-8, "fine"), (1e-4, "suspicious"), (1e-2, "suspicious"),
                                       (0.5, "wrong")])
def test_cs231n_bands(rel, name):
    assert band(rel) == name


def test_a_subnormal_gradient_is_checked_without_dividing_by_zero():
    # ∂f/∂x = w ⊙ exp(x·w): its last entry is 5e-324 · e^(3·5e-324), a subnormal, and
    # TARGET · |gradient| underflows to 0 (this was an internal error, exit 3).
    d = bptutor.derive("sum(exp(x*w))", {"x": [1, 2, 3], "w": [0, 0, 5e-324]})
    verdicts = {c.name: c.verdict for c in d.checks}
    assert verdicts["w"] == "ok"
    assert d.grad(d.graph.inputs["x"])[2] == 5e-324
    assert verdicts["x"] == "skipped"          # said as "not checkable", with the reason
