"""THE op table: one row per operation, every field named.

A row holds everything about one gate: how it is drawn (`gate`) and typeset
(`tex`), its forward function and its derivative — a local derivative per input
for elementwise rows, a vector-Jacobian and a Jacobian-vector product per input
for tensor rows — written once against an array namespace `xp` (math-backed for
Python floats, numpy for arrays), the formula per input in plain text and
LaTeX, the message keys of its lesson, kink convention and domain error (texts
in i18n/ops.toml, every language side by side), and the role flags that
diagnosis and the quiz read instead of names. Adding an operation means adding
a row here and its catalog entry; the grammar, renderers and tests do not change.

Function signatures (c is the row's constant, see `constant`):
    forward(xp, c, *xs) -> out
    local[k](xp, c, out, *xs) -> ∂out/∂xs[k], elementwise
    vjp[k](xp, c, g, out, *xs) -> what xs[k] receives from the upstream gradient g
    jvp[k](xp, c, tangent, out, *xs) -> the tangent of out from a tangent of xs[k]
Formula placeholders: {a} {b} operand labels, {c} the constant, {cm1} c - 1;
for a tensor row the formula is the whole contribution, as the notes write it
(∂L/∂W = ∂L/∂q·xᵀ), with {g} the upstream gradient ∂L/∂out and {o} the output.
"""
from __future__ import annotations

import math


class Op:
    """One row of the op table: built by keyword only, read-only once built.
    (A plain class with slots: a dataclass would cost milliseconds at start-up.)

    name        the row's key ("mul", "add_const", "relu")
    arity       graph inputs (a gate's constant is not one)
    gate        how the notes draw it: "*", "+{c}", "exp"
    lesson      message key of the gate's lesson (i18n/ops.toml)
    forward     forward(xp, c, *xs); None for the leaves (input, const)
    local       elementwise rows: the local derivative per input
    vjp, jvp    tensor rows: the vector-Jacobian and Jacobian-vector product per input
    formula     per input: the local derivative (tensor rows: the contribution), plain text
    latex       the same in LaTeX
    tex         the TeX name a function typesets as: \\exp, \\sigma, \\operatorname{relu}
    kink        kink(c, *xs) -> True at a non-differentiable point (None: smooth)
    branch      branch(xp, c, *xs) -> which piece wins, or which side of a pole x is on
                (per entry): the numeric check sees a step cross a kink or a pole when it changes
    period      sin, cos, tan: a step moving the input further than period/16 sees other
                waves than the one at x (the numeric check retries smaller)
    convention  message key: the gradient used at the kink (PyTorch's), "" without a kink
    domain      message key when forward is undefined (log of 0, 1/0)
    call        the function name users type ("" for operators)
    constant    what c is: "" none, "number" (the 1 in +1), "axis" (an optional
                last argument of a call), "index" (the entry of x[i])
    tensor      runs in the array namespace only (matmul, sum, ...)
    slips       the wrong local derivatives students write: (slip, input, wrong_local(xp, c, out, *xs));
                answers name one when a wrong answer is its number (messages answers.slip_<slip>)
    router      sends the upstream gradient to one input or stops it (max, min, relu)
    product     each input's local gradient is the other input (mul)
    matmul      the matrix product
    """
    __slots__ = ("name", "arity", "gate", "forward", "local", "vjp", "jvp", "formula", "latex", "tex",
                 "lesson", "kink", "branch", "period", "convention", "domain", "call", "constant", "tensor",
                 "slips", "router", "product", "matmul")

    def __init__(self, *, name: str, arity: int, gate: str, lesson: str, forward=None, local: tuple = (),
                 vjp: tuple = (), jvp: tuple = (), formula: tuple = (), latex: tuple = (), tex: str = "",
                 kink=None, branch=None, period=None, convention: str = "", domain: str = "math.domain",
                 call: str = "",
                 constant: str = "", tensor: bool = False, slips: tuple = (), router: bool = False,
                 product: bool = False,
                 matmul: bool = False):
        fields = locals()
        for field in Op.__slots__:
            object.__setattr__(self, field, fields[field])

    def __setattr__(self, field, value):
        raise AttributeError(f"op rows are read-only ({self.name}.{field})")

    def __repr__(self) -> str:
        return f"Op(name={self.name!r})"


def _tie(a, b, xp):
    # max/min at a tie: PyTorch gives each input half the gradient.
    return xp.where(a == b, 0.5, 0.0)


def _cmp_gt(a, b, xp):
    return xp.where(a > b, 1.0, 0.0)


def _order(xp, c, a, b):
    # which of max/min's inputs is larger: sign(a − b) without a − b (1e308 − (−1e308) overflows)
    return _cmp_gt(a, b, xp) - _cmp_gt(b, a, xp)


def _sign(xp, c, a):
    return xp.sign(a)


def _one(xp, c, out, *xs):
    return 1.0


def _minus_one(xp, c, out, *xs):
    return -1.0


def _pow_local_base(xp, c, out, a, b):
    # 0 where the exponent is 0, even at a = 0 (as PyTorch's pow_backward_self): x^0 is constant.
    return b * xp.power(xp.where(b == 0, 1.0, a), b - 1)


class LocalUndefined(ValueError):
    """A local gradient that does not exist where the value does (∂(a^b)/∂b at
    a < 0); `key` is the message saying why, the engine names the node."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _pow_local_exp(xp, c, out, a, b):
    # a^b·ln a for a > 0; 0 at a = 0 (as PyTorch). A negative base is a real power
    # only at whole exponents, so ∂/∂b does not exist there (PyTorch gives nan).
    if _anywhere(a < 0):
        raise LocalUndefined("math.pow_exponent_negative_base")
    return xp.where(a > 0, out * xp.log(xp.where(a > 0, a, 1.0)), 0.0)


def _rpow_const_local(xp, c, out, a):
    # c^x·ln c; 0^x: 0, as PyTorch; a negative c has no ln
    if c < 0:
        raise LocalUndefined("math.pow_exponent_negative_base")
    return 0.0 if c == 0 else out * math.log(c)


def _anywhere(flag) -> bool:
    return bool(flag.any()) if hasattr(flag, "any") else bool(flag)


def _pow_const_formula(c):
    return "{c}·{a}" if c == 2 else "{c}·{a}^{cm1}"


def _pow_const_latex(c):
    return r"{c} \cdot {a}" if c == 2 else r"{c} \cdot {a}^{{cm1}}"


_LEAK = 0.01        # leaky_relu's slope below 0: PyTorch's default negative_slope


ROWS = [
    # ---- leaves -----------------------------------------------------------
    Op(name="input", arity=0, gate="{a}", lesson="ops.input.lesson"),
    Op(name="const", arity=0, gate="{c}", lesson="ops.const.lesson", constant="number"),
    # ---- two inputs -------------------------------------------------------
    Op(name="add", arity=2, gate="+", forward=lambda xp, c, a, b: a + b, local=(_one, _one),
       formula=("1", "1"), latex=("1", "1"), lesson="ops.add.lesson"),
    Op(name="sub", arity=2, gate="-", forward=lambda xp, c, a, b: a - b, local=(_one, _minus_one),
       formula=("1", "-1"), latex=("1", "-1"), lesson="ops.sub.lesson"),
    Op(name="mul", arity=2, gate="*", forward=lambda xp, c, a, b: a * b,
       local=(lambda xp, c, out, a, b: b, lambda xp, c, out, a, b: a),
       formula=("{b}", "{a}"), latex=("{b}", "{a}"), lesson="ops.mul.lesson", product=True),
    Op(name="div", arity=2, gate="/", forward=lambda xp, c, a, b: a / b,
       local=(lambda xp, c, out, a, b: 1.0 / b, lambda xp, c, out, a, b: -(a / b) / b),     # b² overflows at 1e300
       slips=(("recip_minus", 1, lambda xp, c, out, a, b: (a / b) / b),         # a/b² for −a/b²
              ("recip_square", 1, lambda xp, c, out, a, b: -a / b)),           # −a/b for −a/b²
       formula=("1/{b}", "-{a}/{b}²"), latex=(r"\frac{1}{{b}}", r"-\frac{{a}}{{b}^2}"),
       lesson="ops.div.lesson", domain="math.division_by_zero", branch=lambda xp, c, a, b: xp.sign(b)),
    Op(name="pow", arity=2, gate="^", forward=lambda xp, c, a, b: xp.power(a, b),
       local=(_pow_local_base, _pow_local_exp),
       formula=("{b}·{a}^({b}-1)", "{a}^{b}·ln({a})"), latex=(r"{b} \cdot {a}^{{b}-1}", r"{a}^{{b}}\ln {a}"),
       lesson="ops.pow.lesson", domain="math.pow_domain",
       branch=lambda xp, c, a, b: xp.where(b < 0, xp.sign(a), 1.0)),       # a pole at a = 0 when b < 0
    Op(name="max", arity=2, gate="max", call="max", tex=r"\max", forward=lambda xp, c, a, b: xp.maximum(a, b),
       local=(lambda xp, c, out, a, b: _cmp_gt(a, b, xp) + _tie(a, b, xp),
              lambda xp, c, out, a, b: _cmp_gt(b, a, xp) + _tie(a, b, xp)),
       # a tie gives each input half (PyTorch): the formula says so, so that 1(3>3) + ½·1(3=3) = 0.5 is true
       formula=("1({a}>{b}) + ½·1({a}={b})", "1({b}>{a}) + ½·1({a}={b})"),
       latex=(r"\mathbb{1}[{a}>{b}] + \tfrac{1}{2}\mathbb{1}[{a}={b}]",
              r"\mathbb{1}[{b}>{a}] + \tfrac{1}{2}\mathbb{1}[{a}={b}]"),
       lesson="ops.max.lesson", kink=lambda c, a, b: a == b, branch=_order, convention="ops.max.convention",
       router=True),
    Op(name="min", arity=2, gate="min", call="min", tex=r"\min", forward=lambda xp, c, a, b: xp.minimum(a, b),
       local=(lambda xp, c, out, a, b: _cmp_gt(b, a, xp) + _tie(a, b, xp),
              lambda xp, c, out, a, b: _cmp_gt(a, b, xp) + _tie(a, b, xp)),
       formula=("1({a}<{b}) + ½·1({a}={b})", "1({b}<{a}) + ½·1({a}={b})"),
       latex=(r"\mathbb{1}[{a}<{b}] + \tfrac{1}{2}\mathbb{1}[{a}={b}]",
              r"\mathbb{1}[{b}<{a}] + \tfrac{1}{2}\mathbb{1}[{a}={b}]"),
       lesson="ops.min.lesson", kink=lambda c, a, b: a == b, branch=_order, convention="ops.min.convention",
       router=True),
    # ---- one input and a constant, drawn as the notes draw them -------------
    Op(name="neg", arity=1, gate="*-1", forward=lambda xp, c, a: -a, local=(_minus_one,),
       formula=("-1",), latex=("-1",), lesson="ops.neg.lesson",
       slips=(("exp_minus", 0, lambda xp, c, out, a: 1.0),)),                  # (e^−z)' as e^−z, under an exp
    Op(name="add_const", arity=1, gate="+{c}", constant="number", forward=lambda xp, c, a: a + c,
       local=(_one,), formula=("1",), latex=("1",), lesson="ops.add_const.lesson"),
    Op(name="mul_const", arity=1, gate="*{c}", constant="number", forward=lambda xp, c, a: a * c,
       local=(lambda xp, c, out, a: c,), formula=("{c}",), latex=("{c}",), lesson="ops.mul_const.lesson"),
    Op(name="div_const", arity=1, gate="/{c}", constant="number", forward=lambda xp, c, a: a / c,
       local=(lambda xp, c, out, a: 1.0 / c,), formula=("1/{c}",), latex=(r"\frac{1}{{c}}",),
       lesson="ops.div_const.lesson", domain="math.division_by_zero"),
    Op(name="rsub_const", arity=1, gate="{c}-x", constant="number", forward=lambda xp, c, a: c - a,
       local=(_minus_one,), formula=("-1",), latex=("-1",), lesson="ops.rsub_const.lesson"),
    Op(name="rdiv_const", arity=1, gate="{c}/x", constant="number", forward=lambda xp, c, a: c / a,
       local=(lambda xp, c, out, a: -(c / a) / a,), formula=("-{c}/{a}²",), latex=(r"-\frac{{c}}{{a}^2}",),
       lesson="ops.rdiv_const.lesson", domain="math.division_by_zero", branch=_sign,
       slips=(("recip_minus", 0, lambda xp, c, out, a: (c / a) / a),           # c/u² for −c/u²
              ("recip_square", 0, lambda xp, c, out, a: -c / a))),             # −c/u for −c/u²
    Op(name="pow_const", arity=1, gate="^{c}", constant="number", forward=lambda xp, c, a: xp.power(a, c),
       local=(lambda xp, c, out, a: 0.0 if c == 0 else c * xp.power(a, c - 1),),     # x^0: 0, as PyTorch
       formula=(_pow_const_formula,), latex=(_pow_const_latex,),
       lesson="ops.pow_const.lesson", domain="math.pow_domain",
       slips=(("power_factor", 0, lambda xp, c, out, a: xp.power(a, c - 1) if c else 0.0),),   # (x²)' as x
       branch=lambda xp, c, a: xp.sign(a) if c < 0 else 0.0),              # a pole at 0 when c < 0
    Op(name="rpow_const", arity=1, gate="{c}^x", constant="number", forward=lambda xp, c, a: xp.power(c, a),
       local=(_rpow_const_local,),
       formula=("{c}^{a}·ln({c})",),
       latex=(r"{c}^{{a}}\ln {c}",), lesson="ops.rpow_const.lesson", domain="math.pow_domain"),
    # ---- functions ----------------------------------------------------------
    Op(name="exp", arity=1, gate="exp", call="exp", tex=r"\exp", forward=lambda xp, c, a: xp.exp(a),
       local=(lambda xp, c, out, a: out,), formula=("e^{a}",), latex=("e^{{a}}",), lesson="ops.exp.lesson"),
    Op(name="log", arity=1, gate="log", call="log", tex=r"\log", forward=lambda xp, c, a: xp.log(a),
       local=(lambda xp, c, out, a: 1.0 / a,), formula=("1/{a}",), latex=(r"\frac{1}{{a}}",),
       lesson="ops.log.lesson", domain="math.log_domain",
       slips=(("log_as_x", 0, lambda xp, c, out, a: a),)),                     # (ln u)' as u
    Op(name="log_base", arity=1, gate="log{c}", constant="number", tex=r"\log",
       forward=lambda xp, c, a: xp.log(a) / math.log(c),
       local=(lambda xp, c, out, a: 1.0 / (a * math.log(c)),), formula=("1/({a}·ln {c})",),
       latex=(r"\frac{1}{{a} \ln {c}}",), lesson="ops.log_base.lesson", domain="math.log_domain"),
    Op(name="sqrt", arity=1, gate="sqrt", call="sqrt", tex=r"\sqrt", forward=lambda xp, c, a: xp.sqrt(a),
       local=(lambda xp, c, out, a: 0.5 / out,), formula=("1/(2·√{a})",), latex=(r"\frac{1}{2\sqrt{{a}}}",),
       lesson="ops.sqrt.lesson", domain="math.sqrt_domain",
       slips=(("sqrt_half", 0, lambda xp, c, out, a: 1.0 / out),)),            # 1/√u: the ½ forgotten
    Op(name="sin", arity=1, gate="sin", call="sin", tex=r"\sin", forward=lambda xp, c, a: xp.sin(a),
       local=(lambda xp, c, out, a: xp.cos(a),), formula=("cos({a})",), latex=(r"\cos {a}",),
       lesson="ops.sin.lesson", period=2 * math.pi),
    Op(name="cos", arity=1, gate="cos", call="cos", tex=r"\cos", forward=lambda xp, c, a: xp.cos(a),
       local=(lambda xp, c, out, a: -xp.sin(a),), formula=("-sin({a})",), latex=(r"-\sin {a}",),
       lesson="ops.cos.lesson", period=2 * math.pi),
    Op(name="tan", arity=1, gate="tan", call="tan", tex=r"\tan", forward=lambda xp, c, a: xp.tan(a),
       local=(lambda xp, c, out, a: 1.0 + out * out,), formula=("1+tan²({a})",), latex=(r"1+\tan^2 {a}",),
       lesson="ops.tan.lesson", period=math.pi,
       branch=lambda xp, c, a: xp.floor(a / math.pi + 0.5)),              # which pole is next
    Op(name="tanh", arity=1, gate="tanh", call="tanh", tex=r"\tanh", forward=lambda xp, c, a: xp.tanh(a),
       local=(lambda xp, c, out, a: 1.0 - out * out,), formula=("1-tanh²({a})",), latex=(r"1-\tanh^2 {a}",),
       lesson="ops.tanh.lesson", slips=(("tanh_one_minus", 0, lambda xp, c, out, a: 1.0 - out),)),   # 1 − tanh
    Op(name="sigmoid", arity=1, gate="σ", call="sigmoid", tex=r"\sigma", forward=lambda xp, c, a: xp.sigmoid(a),
       local=(lambda xp, c, out, a: (1.0 - out) * out,), formula=("(1-σ({a}))·σ({a})",),
       latex=(r"(1-\sigma({a}))\sigma({a})",), lesson="ops.sigmoid.lesson",
       slips=(("sigmoid_self", 0, lambda xp, c, out, a: out),)),                # σ' as σ
    Op(name="relu", arity=1, gate="relu", call="relu", tex=r"\operatorname{relu}",
       forward=lambda xp, c, a: xp.maximum(a, 0.0), local=(lambda xp, c, out, a: _cmp_gt(a, 0.0, xp),),
       formula=("1({a}>0)",), latex=(r"\mathbb{1}[{a}>0]",), lesson="ops.relu.lesson",
       kink=lambda c, a: a == 0, branch=_sign, convention="ops.relu.convention", router=True),
    Op(name="leaky_relu", arity=1, gate="leaky_relu", call="leaky_relu", tex=r"\operatorname{leaky\_relu}",
       forward=lambda xp, c, a: xp.where(a > 0, a, _LEAK * a),
       local=(lambda xp, c, out, a: xp.where(a > 0, 1.0, _LEAK),),     # PyTorch: x > 0 ? 1 : slope
       formula=("1({a}>0) + 0.01·1({a}≤0)",), latex=(r"\mathbb{1}[{a}>0] + 0.01\,\mathbb{1}[{a}\le 0]",),
       lesson="ops.leaky_relu.lesson", kink=lambda c, a: a == 0, branch=_sign, convention="ops.leaky_relu.convention"),
    Op(name="abs", arity=1, gate="abs", call="abs", tex=r"\operatorname{abs}", forward=lambda xp, c, a: xp.abs(a),
       local=(lambda xp, c, out, a: xp.sign(a),), formula=("sign({a})",), latex=(r"\operatorname{sign}({a})",),
       lesson="ops.abs.lesson", kink=lambda c, a: a == 0, branch=_sign, convention="ops.abs.convention"),
]


# --- vectors and matrices: each row's vjp is the notes' formula -------------------
def _index_formula(c):
    at = ", ".join(_entry(i) for i in c)
    return "{g}·1[k=" + at + "]" if len(c) == 1 else "{g}·1[(k,l)=(" + at + ")]"


def _index_latex(c):
    return "{g}\\,\\mathbb{1}[k=(" + ", ".join(_entry(i) for i in c) + ")]"


def _entry(i) -> str:
    """An index as typed: 2, or a slice : 1:3."""
    if isinstance(i, slice):
        return ("" if i.start is None else str(i.start)) + ":" + ("" if i.stop is None else str(i.stop))
    return str(i)


def _extreme_hits(xp, c, out, a):
    # Where the max (min) is reached, each place's share: ties split the gradient evenly (as PyTorch's max()).
    hit = xp.where(a == xp.spread(out, a, c), 1.0, 0.0)
    return hit / xp.spread(xp.sum(hit, c), a, c)


def _extreme_tie(reduce: str):
    """kink(c, a) of max(s) / min(s): the extreme is reached more than once."""
    def kink(c, a):
        import numpy as np
        reached = np.asarray(a) == getattr(np, reduce)(a, axis=c, keepdims=True)
        return bool((np.sum(reached, axis=c) > 1).any())
    return kink


def _mean_vjp(xp, c, g, out, a):
    return xp.spread(g * (xp.size(out) / xp.size(a)), a, c)     # divide first: spread is a view


def _norm_vjp(xp, c, g, out, a):
    norm = xp.spread(out, a, c)
    return xp.spread(g, a, c) * xp.where(norm > 0, a / xp.where(norm > 0, norm, 1.0), 0.0)


def _norm_jvp(xp, c, t, out, a):
    return xp.where(out > 0, xp.sum(a * t, c) / xp.where(out > 0, out, 1.0), 0.0)


def _norm_kink(c, a):
    import numpy as np
    return bool((~np.any(a != 0, axis=c)).any())     # all entries 0 (their squares may underflow)


def _softmax_vjp(xp, c, g, out, a):
    # The Jacobian diag(p) - ppᵀ is symmetric: the same expression serves the JVP.
    return out * (g - xp.sum(g * out, c, keepdims=True))


def _logsumexp_softmax(xp, c, out, a):
    # the stable softmax, not exp(a − out): at [1e16, 1e16] out has lost its ln 2
    return xp.softmax(a, c)


ROWS += [
    Op(name="matmul", arity=2, gate="@", forward=lambda xp, c, a, b: xp.matmul(a, b),
       formula=("{g}·{b}ᵀ", "{a}ᵀ·{g}"), latex=(r"{g}\,{b}^\top", r"{a}^\top {g}"), lesson="ops.matmul.lesson",
       vjp=(lambda xp, c, g, out, a, b: xp.matmul_grad_left(g, a, b),
            lambda xp, c, g, out, a, b: xp.matmul_grad_right(g, a, b)),
       jvp=(lambda xp, c, t, out, a, b: xp.matmul(t, b), lambda xp, c, t, out, a, b: xp.matmul(a, t)),
       domain="tensor.shape", tensor=True, matmul=True),
    Op(name="transpose", arity=1, gate="ᵀ", forward=lambda xp, c, a: xp.transpose(a),
       formula=("({g})ᵀ",), latex=(r"\left({g}\right)^\top",), lesson="ops.transpose.lesson",
       vjp=(lambda xp, c, g, out, a: xp.transpose(g),), jvp=(lambda xp, c, t, out, a: xp.transpose(t),),
       domain="tensor.shape", tensor=True),
    Op(name="index", arity=1, gate="[{c}]", constant="index", forward=lambda xp, c, a: xp.index(a, c),
       formula=(_index_formula,), latex=(_index_latex,), lesson="ops.index.lesson",
       vjp=(lambda xp, c, g, out, a: xp.scatter(g, a, c),), jvp=(lambda xp, c, t, out, a: xp.index(t, c),),
       domain="tensor.shape", tensor=True),
    Op(name="amax", arity=1, gate="max", tex=r"\max", constant="axis", forward=lambda xp, c, a: xp.amax(a, c),
       formula=("{g}·1[{a}=max]",), latex=(r"{g}\,\mathbb{1}[{a}=\max]",), lesson="ops.amax.lesson",
       vjp=(lambda xp, c, g, out, a: xp.spread(g, a, c) * _extreme_hits(xp, c, out, a),),
       jvp=(lambda xp, c, t, out, a: xp.sum(t * _extreme_hits(xp, c, out, a), c),),
       kink=_extreme_tie("max"), branch=lambda xp, c, a: a == xp.spread(xp.amax(a, c), a, c),    # where it is
       convention="ops.amax.convention", domain="tensor.shape", tensor=True, router=True),
    Op(name="amin", arity=1, gate="min", tex=r"\min", constant="axis", forward=lambda xp, c, a: xp.amin(a, c),
       formula=("{g}·1[{a}=min]",), latex=(r"{g}\,\mathbb{1}[{a}=\min]",), lesson="ops.amin.lesson",
       vjp=(lambda xp, c, g, out, a: xp.spread(g, a, c) * _extreme_hits(xp, c, out, a),),
       jvp=(lambda xp, c, t, out, a: xp.sum(t * _extreme_hits(xp, c, out, a), c),),
       kink=_extreme_tie("min"), branch=lambda xp, c, a: a == xp.spread(xp.amin(a, c), a, c),
       convention="ops.amin.convention", domain="tensor.shape", tensor=True, router=True),
    Op(name="sum", arity=1, gate="sum", call="sum", tex=r"\operatorname{sum}", constant="axis",
       forward=lambda xp, c, a: xp.sum(a, c), formula=("{g}·𝟏",), latex=(r"{g}\,\mathbf{1}",),
       lesson="ops.sum.lesson", vjp=(lambda xp, c, g, out, a: xp.spread(g, a, c),),
       jvp=(lambda xp, c, t, out, a: xp.sum(t, c),), domain="tensor.shape", tensor=True),
    Op(name="mean", arity=1, gate="mean", call="mean", tex=r"\operatorname{mean}", constant="axis",
       forward=lambda xp, c, a: xp.mean(a, c), formula=("{g}·𝟏/n",), latex=(r"\frac{1}{n}{g}\,\mathbf{1}",),
       lesson="ops.mean.lesson", vjp=(_mean_vjp,), jvp=(lambda xp, c, t, out, a: xp.mean(t, c),),
       domain="tensor.shape", tensor=True),
    Op(name="softmax", arity=1, gate="softmax", call="softmax", tex=r"\operatorname{softmax}", constant="axis",
       forward=lambda xp, c, a: xp.softmax(a, c), formula=("(diag({o}) − {o}{o}ᵀ)·{g}",),
       latex=(r"(\operatorname{diag}({o}) - {o}{o}^\top){g}",), lesson="ops.softmax.lesson",
       vjp=(_softmax_vjp,), jvp=(_softmax_vjp,), domain="tensor.shape", tensor=True),
    Op(name="logsumexp", arity=1, gate="logsumexp", call="logsumexp", tex=r"\operatorname{logsumexp}",
       constant="axis", forward=lambda xp, c, a: xp.logsumexp(a, c),
       formula=("{g}·softmax({a})",), latex=(r"{g}\,\operatorname{softmax}({a})",), lesson="ops.logsumexp.lesson",
       vjp=(lambda xp, c, g, out, a: xp.spread(g, a, c) * _logsumexp_softmax(xp, c, out, a),),
       jvp=(lambda xp, c, t, out, a: xp.sum(_logsumexp_softmax(xp, c, out, a) * t, c),),
       domain="tensor.shape", tensor=True),
    Op(name="norm", arity=1, gate="‖·‖", call="norm", tex=r"\operatorname{norm}", constant="axis",
       forward=lambda xp, c, a: xp.norm(a, c), formula=("{g}·{a}/‖{a}‖",),
       latex=(r"{g}\,\frac{{a}}{\lVert {a} \rVert}",), lesson="ops.norm.lesson",
       vjp=(_norm_vjp,), jvp=(_norm_jvp,), kink=_norm_kink, branch=lambda xp, c, a: xp.norm(a, c) > 0,
       convention="ops.norm.convention",
       domain="tensor.shape", tensor=True),
]

OPS: dict[str, Op] = {op.name: op for op in ROWS}

# What users may call, and with how many arguments. ln is log.
FUNCTIONS: dict[str, Op] = {op.call: op for op in ROWS if op.call}
FUNCTIONS["ln"] = OPS["log"]

# Binary operator token -> (op with two graph inputs, op when the right
# operand is a constant, op when the left operand is a constant).
BINARY = {
    "+": ("add", "add_const", "add_const"),
    "-": ("sub", "add_const", "rsub_const"),     # x - c is drawn as x + (-c)
    "*": ("mul", "mul_const", "mul_const"),
    "/": ("div", "div_const", "rdiv_const"),
    "^": ("pow", "pow_const", "rpow_const"),
    "**": ("pow", "pow_const", "rpow_const"),
    "@": ("matmul", None, None),
}

CONSTANTS = {"e": math.e, "pi": math.pi, "π": math.pi}


def failure_key(op: Op, exc: BaseException | None = None, c=None, args=()) -> str:
    """The message key when `op` fails: the op's domain error (log of 0, 1/0),
    or overflow when the inputs were fine but the result is too large for a
    float (`exc` is an OverflowError, or None for a result that came out inf)."""
    if exc is None or isinstance(exc, OverflowError):
        return "math.overflow"
    if op.domain == "math.pow_domain":
        base = c if op.name == "rpow_const" else (args[0] if args else None)
        if base is None:
            return op.domain
        zero = base == 0
        zero = bool(zero.any()) if hasattr(zero, "any") else zero       # an array: any zero base
        return "math.pow_zero_negative" if zero else "math.pow_negative_base"
    return op.domain


def fill(op: Op, k: int, c, a: str = "", b: str = "", latex: bool = False, cfmt=str,
         g: str | None = "", o: str = "") -> str | None:
    """The local-derivative formula of input k with operand texts filled in; a
    tensor row's with g=None: its local gradient alone (None where the upstream
    gradient is no factor of the row's formula, as in {g}ᵀ)."""
    entry = (op.latex if latex else op.formula)[k]
    if callable(entry):
        entry = entry(c)
    if g is None:
        entry, g = (without_upstream(entry) if op.vjp else entry), ""
        if entry is None:
            return None
    out = entry.replace("{a}", a).replace("{b}", b).replace("{g}", g).replace("{o}", o)
    if c is not None and "{c" in out:
        if "{cm1}" in out:
            out = out.replace("{cm1}", cfmt(c - 1))
        out = out.replace("{c}", cfmt(c))
    return out


def without_upstream(entry: str) -> str | None:
    """A tensor row's formula with the upstream factor {g} taken out: its local
    gradient as the notes write it ({g}·{b}ᵀ -> {b}ᵀ, (diag({o}) − {o}{o}ᵀ)·{g} ->
    diag({o}) − {o}{o}ᵀ); None where {g} is not a factor ({g}ᵀ)."""
    for joined in ("{g}·", "·{g}", "{g}\\,", " {g}"):
        if joined in entry:
            entry = entry.replace(joined, "", 1)
            break
    else:
        if not entry.endswith("){g}"):            # (diag(o) - oo^T){g} in LaTeX
            return None
        entry = entry[:-3]
    if "{g}" in entry:
        return None
    if entry.startswith("(") and entry.endswith(")") and _closes_at_end(entry):
        entry = entry[1:-1]
    return entry


def _closes_at_end(text: str) -> bool:
    """The bracket opening text closes only at its end: (diag(p) − ppᵀ), not (a)/(b)."""
    depth = 0
    for n, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return n == len(text) - 1
    return False


def const_text(c) -> str:
    """A constant as a program writes it: 1, -1, 0.5, 2.5e-07; an index (0, 1);
    an array literal [[1, 2], [3, 4]]. Names and messages quote constants so."""
    if isinstance(c, tuple):
        return ", ".join(const_text(v) for v in c)
    if isinstance(c, (int, float)):
        return str(int(c)) if c == int(c) and abs(c) < 1e15 else format(c, ".6g")
    if c.ndim == 0:
        return const_text(float(c))
    rows = c.reshape(1, -1) if c.ndim == 1 else c.reshape(-1, c.shape[-1])
    texts = ["[" + ", ".join(const_text(float(v)) for v in row) + "]" for row in rows]
    return texts[0] if c.ndim == 1 else "[" + ", ".join(texts) + "]"


def gate_label(op: Op, c, cfmt=str) -> str:
    """How the notes draw the gate: `+1`, `*-1`, `1/x`, `^2`, `exp`."""
    if op.name == "add_const" and c is not None and c < 0:
        return "-" + cfmt(-c)
    return op.gate.replace("{c}", cfmt(c)) if c is not None else op.gate
