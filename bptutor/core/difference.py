"""Central differences a verdict can trust: which step h to take, how large
the difference's own error is, and the verdict against that error. Pure
functions over a sampled f; check.py supplies f (the graph run again from one
input on) and the float resolution of the output.

numeric  R = (4·D(h/2) − D(h))/3: Richardson's extrapolation of the central
         differences D(h) = (f(x+h) − f(x−h))/2h and D(h/2).
error    truncation |D(h) − D(h/2)|/3 (what D(h/2) still misses: a bound for R)
         + round-off 3N/h, N being how far a computed f may be off (its float
         resolution, see check.noise).
h        first relative to |x| (∛ε·|x|: 1e-5 is meaningless at x = 1e-200 and
         lost at x = 1e16), raised until the round-off N/h is small, then moved
         towards the step where the two errors balance, at most MAX_TRIES times.
         A step whose points x±h, x±h/2 put a kinked node (relu, abs, max, min,
         norm) on another branch than at x is not used: h shrinks and the
         difference is taken again.
verdict  ok when |analytic − R| is within SAFETY × error, or within CS231n's
         "fine" band (1e-7 relative); fail beyond it, but only once a second
         step confirms R; "not checkable here" (skipped, with the reason) when
         even SAFETY × error exceeds RELIABLE of the gradient, so that a 1%
         mistake could pass unseen; kink when every step tried crossed a kink.
         A right gradient is never called wrong because of the step.
band     CS231n's reading of the relative error: < 1e-7 fine, up to 1e-2
         suspicious (~1e-4), beyond wrong; stated beside the verdict.
"""
from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable

EPS = 2.0 ** -52
FIRST = EPS ** (1 / 3)  # ∛ε ≈ 6e-6: the step balancing truncation and round-off for a smooth f
TARGET = 1e-8           # relative error estimate good enough to stop looking for a better h
SAFETY = 10.0           # an analytic value within SAFETY × the estimated error agrees
RELIABLE = 1e-3         # SAFETY × error beyond this (relative): a 1% mistake could pass: not checkable
FINE = 1e-7             # CS231n: a relative error below this is fine whatever the estimate
SUSPICIOUS = 1e-2       # CS231n: up to this suspicious (~1e-4), beyond it wrong
CONVERGED = 1e-2        # D(h) and D(h/2) this close (relative): the truncation estimate holds
MAX_TRIES = 10          # steps tried per input
KINK_TRIES = 6          # of which shrinking away from a kink (h/16 each): closer than ∛ε·|x|/16⁶ is on it
MAX_MOVE = 256.0        # the most h moves between two tries
SMALLEST = 1e-300       # h never goes below this (x = 0 has no scale of its own)

OK, FAIL, KINK, SKIPPED = "ok", "fail", "kink", "skipped"
# why a check is not checkable here (skipped) or a kink
UNDEFINED, RESOLUTION, ROUNDOFF, CURVATURE, UNSTABLE, CROSSED = (
    "undefined", "resolution", "roundoff", "curvature", "unstable", "kink")


class Sample(namedtuple("Sample", "value kink", defaults=(None,))):
    """f at one point: its value (None where f is undefined or not finite) and a
    kinked node whose branch there differs from its branch at x (None if none).
    (collections' namedtuple, not typing's: importing typing costs a plain run
    more than its derivation.)"""
    __slots__ = ()


class Attempt(namedtuple("Attempt", "h numeric truncation roundoff kink lost", defaults=(None,))):
    """The difference taken with one step h: numeric is R, None when a point
    was undefined (see lost); kink a kinked node some point put on another
    branch; lost why there is no R: UNDEFINED (f at a point), RESOLUTION (x + h == x)."""
    __slots__ = ()

    @property
    def error(self) -> float:
        return self.truncation + self.roundoff

    @property
    def usable(self) -> bool:
        return self.numeric is not None and self.kink is None

    @property
    def settled(self) -> bool:
        """D(h) and D(h/2) agree to CONVERGED of R (or within the round-off):
        the truncation estimate describes R. Far from it (h wider than the
        features of f: sin(1000x) with h = 0.01, tan across its pole) the two
        may agree by chance, and R means nothing."""
        return self.truncation <= max(CONVERGED * abs(self.numeric), self.roundoff)


class Difference(namedtuple("Difference", "numeric h error rel_error band verdict kink reason",
                             defaults=(None, None))):
    """How one gradient was judged: the numeric value and the step it came
    from, the estimated error of that value, the relative error, CS231n's band,
    the verdict, the kinked node crossed (if a kink decided) and, when the
    verdict is skipped or kink, why."""
    __slots__ = ()


def rel_error(analytic: float, numeric: float, floor: float = 0.0) -> float:
    """CS231n: |a − n| / max(|a|, |n|); 0 when both are 0. `floor` (the
    difference's own error bound) keeps a gradient of 0 against a numeric
    1e-17 of rounding from reading as a relative error of 1."""
    scale = max(abs(analytic), abs(numeric), floor)
    return 0.0 if scale == 0 else abs(analytic - numeric) / scale


def band(rel: float | None) -> str | None:
    """CS231n's reading of a relative error."""
    if rel is None:
        return None
    return "fine" if rel < FINE else ("suspicious" if rel <= SUSPICIOUS else "wrong")


def first_step(x: float, analytic: float, noise: float) -> float:
    """∛ε relative to |x| (to 1 at x = 0), raised so that the round-off 3N/h
    stays below TARGET of the gradient (at x*x + 1e9 the output's resolution
    is 1e-7, and h = 1e-5 would see mostly that), but never beyond max(|x|, 1)."""
    h = FIRST * _scale(x)
    if analytic and noise:
        scale = TARGET * abs(analytic)      # 0 when the gradient is subnormal: then the widest step allowed
        h = max(h, 3 * noise / scale) if scale else _largest(x)
    return min(h, _largest(x))


def attempt(f: Callable[[float], Sample], x: float, h: float, noise: float) -> Attempt:
    """D(h), D(h/2) and their extrapolation R, with the error estimate. The
    steps are the ones the floats really took, (x+h) − x, not h."""
    points = (x + h, x - h, x + h / 2, x - h / 2)
    wide = points[0] - points[1]
    narrow = points[2] - points[3]
    if not wide or not narrow:              # h below the resolution of x
        return Attempt(h, None, math.inf, math.inf, None, RESOLUTION)
    values, kink = [], None
    every = getattr(f, "points", None)      # f may take a step's points at once (check.py, in vector passes)
    for s in (every(points) if every else map(f, points)):
        if s.value is None:
            return Attempt(h, None, math.inf, math.inf, s.kink, UNDEFINED)
        if kink is None:
            kink = s.kink
        values.append(s.value)
    d1 = (values[0] - values[1]) / wide
    d2 = (values[2] - values[3]) / narrow
    numeric = (4 * d2 - d1) / 3
    truncation = abs(d1 - d2) / 3
    if not (math.isfinite(numeric) and math.isfinite(truncation)):
        return Attempt(h, None, math.inf, math.inf, kink, UNDEFINED)
    return Attempt(h, numeric, truncation, 3 * noise / narrow, kink)


def difference(f: Callable[[float], Sample], x: float, analytic: float, noise: float,
               h: float | None = None) -> Difference:
    """Judge `analytic` (∂f/∂x as computed) against central differences of f at
    x, f's values being known to ±`noise`. With `h` (--eps) that step is forced:
    no other is tried, and the verdict says what that step shows."""
    if h is not None:
        return judge(analytic, [attempt(f, x, h, noise)])
    tries = search(f, x, analytic, noise)
    result = judge(analytic, tries)
    if result.verdict == FAIL:
        result = confirm(f, x, analytic, noise, tries, result)
    return result


def search(f, x: float, analytic: float, noise: float) -> list[Attempt]:
    """The steps tried, in order: from first_step towards the step where the
    estimated error is smallest, away from kinks and the edge of f's domain."""
    h = first_step(x, analytic, noise)
    plain = FIRST * _scale(x)
    tries: list[Attempt] = []
    best = None
    shrunk = 0
    for _ in range(MAX_TRIES):
        a = attempt(f, x, h, noise)
        tries.append(a)
        if not a.usable or not a.settled:
            if best is not None and a.h > best.h:
                break                       # growing h met a kink, the domain's edge or curvature
            if a.lost == RESOLUTION:
                break                       # smaller steps are lost too
            if a.kink is not None or a.numeric is None:
                if a.h > 2 * plain:         # a step raised for the round-off met it: back to the plain one
                    h = plain
                    continue
                shrunk += 1
                if shrunk > KINK_TRIES:
                    break
                move = 1 / 16
            else:
                move = _shrink(a, abs(a.numeric) or abs(analytic))
        else:
            if best is not None and a.error >= best.error:
                break                       # past the balance point
            best = a
            scale = abs(a.numeric) or abs(analytic)
            if a.error <= TARGET * scale or not scale:
                break                       # good enough; or f flat here and the gradient 0
            move = _move(a, scale)
            if move is None:
                break
        h = min(h * move, _largest(x))
        if h < _smallest(x) or h == a.h:
            break
    return tries


def _shrink(a: Attempt, scale: float) -> float:
    """Truncation ∝ h²: the step that would bring it to TARGET, at least ÷4."""
    wanted = math.sqrt(TARGET * scale / a.truncation) / 2 if a.truncation else 1.0
    return min(max(wanted, 1 / MAX_MOVE), 0.25)


def _move(a: Attempt, scale: float) -> float | None:
    """How far to move h: towards the balance of truncation (∝ h²) and
    round-off (∝ 1/h), or until the one present meets TARGET."""
    if a.truncation == 0 and a.roundoff == 0:
        return None
    if a.truncation == 0:
        wanted = TARGET * scale             # 0 also where scale is subnormal
        move = a.roundoff / wanted if wanted else MAX_MOVE
    elif a.roundoff == 0:
        return _shrink(a, scale)
    else:
        move = (a.roundoff / (2 * a.truncation)) ** (1 / 3)
    move = min(max(move, 1 / MAX_MOVE), MAX_MOVE)
    return None if 0.5 < move < 2 else move


def judge(analytic: float, tries: list[Attempt]) -> Difference:
    """The verdict from the best step tried (the smallest estimated error)."""
    usable = [a for a in tries if a.usable and a.settled]
    if usable:
        return _verdict(analytic, min(usable, key=lambda a: a.error))
    crossed = next((a for a in reversed(tries) if a.kink is not None), None)     # the smallest step
    if crossed is not None:
        shown = crossed.numeric
        rel = None if shown is None else rel_error(analytic, shown)
        return Difference(shown, crossed.h, None, rel, band(rel), KINK, crossed.kink, CROSSED)
    unsettled = next((a for a in tries if a.numeric is not None), None)
    if unsettled is not None:
        rel = rel_error(analytic, unsettled.numeric)
        return Difference(unsettled.numeric, unsettled.h, unsettled.error, rel, band(rel), SKIPPED,
                          None, CURVATURE)
    return Difference(None, tries[0].h, None, None, None, SKIPPED, None, tries[0].lost)


def _verdict(analytic: float, a: Attempt) -> Difference:
    """Right when the analytic value lies within SAFETY × the estimated error of
    R (or within 1e-7 of it); wrong when outside; not checkable when right but
    the error is so large that a 1% mistake would be right too."""
    numeric, error = a.numeric, a.error
    bound = SAFETY * error
    rel = rel_error(analytic, numeric)
    verdict, reason = OK, None
    if abs(analytic - numeric) > bound and rel >= FINE:
        verdict = FAIL
    elif analytic != 0 and rel >= FINE and bound > RELIABLE * max(abs(analytic), abs(numeric)):
        verdict, reason = SKIPPED, (ROUNDOFF if a.roundoff >= a.truncation else CURVATURE)
    # a right 0 against 1e-17 of rounding reads as agreeing; otherwise CS231n's plain ratio
    shown = rel_error(analytic, numeric, bound) if verdict == OK else rel
    return Difference(numeric, a.h, error, shown, band(shown), verdict, None, reason)


def confirm(f, x: float, analytic: float, noise: float, tries: list[Attempt],
            result: Difference) -> Difference:
    """Before calling a gradient wrong, take the difference again with h/4, 4h
    and the plain step ∛ε·|x| (a wide step may straddle a pole or a spike and
    see the two sides alike): wrong only when another trustworthy step also
    disagrees and agrees with the first, and none agrees with the analytic
    value closely enough to tell a 1% error (that makes it right); steps
    disagreeing with each other make it not checkable."""
    first = min((a for a in tries if a.usable and a.settled), key=lambda a: a.error)
    steps = [first.h / 4, first.h * 4]
    plain = FIRST * _scale(x)
    if not first.h / 8 < plain < first.h * 8:
        steps.append(plain)
    confirmed = False
    for h in steps:
        if not _smallest(x) <= h <= _largest(x):
            continue
        second = attempt(f, x, h, noise)
        if not (second.usable and second.settled):
            continue
        again = _verdict(analytic, second)
        sure = SAFETY * second.error <= RELIABLE * max(abs(analytic), abs(second.numeric))
        if again.verdict == OK and sure:
            return again
        if again.verdict == FAIL:
            if abs(first.numeric - second.numeric) > SAFETY * (first.error + second.error):
                break                       # the steps disagree with each other
            confirmed = True
    return result if confirmed else result._replace(verdict=SKIPPED, reason=UNSTABLE)


def _smallest(x: float) -> float:
    """The smallest useful step: a few units in the last place of x."""
    return max(abs(x) * 2.0 ** -48, SMALLEST)


def _scale(x: float) -> float:
    """The scale a step is relative to: |x|, or 1 at x = 0."""
    return abs(x) or 1.0


def _largest(x: float) -> float:
    """The largest step: |x|, or 1 for a smaller x. Wider, the difference
    looks at another part of f than the one at x (the kinks, poles and waves
    it crosses are caught by the check, not every feature of f)."""
    return max(abs(x), 1.0)
