"""THE op table: one row per operation.

A row holds everything about one gate: how it is drawn (`gate`), its forward
function and its local derivative per input, both written once against an
array namespace `xp` (math-backed for Python floats, numpy for arrays), the
local-derivative formula per input in plain text and LaTeX, the gate's lesson
in zh and en, where it has a kink, and the message key of its domain error.
Adding an operation means adding a row; the grammar and renderers do not change.

Function signatures (c is the constant of a one-input gate such as `+1`):
    forward(xp, c, *xs) -> out
    local[k](xp, c, out, *xs) -> ∂out/∂xs[k], elementwise
    vjp[k](xp, c, g, out, *xs) -> contribution to xs[k] (only where the op is
        not elementwise; otherwise the engine multiplies local by g)
Formula placeholders: {a} {b} operand labels, {c} the constant, {cm1} c - 1;
for a `vjp` op the formula is the whole contribution, as the notes write it
(∂L/∂W = ∂L/∂q·xᵀ), with {g} the upstream gradient ∂L/∂out and {o} the output.
Tensor ops (`tensor=True`) run in the array namespace only (bptutor/tensor.py);
`consts` counts the optional trailing constant arguments (the axis of sum).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple


class Op(NamedTuple):           # a NamedTuple: immutable and cheap to build at start-up
    name: str
    arity: int                       # graph inputs; a gate's constant is not one
    gate: str                        # how the notes draw it: "*", "+{c}", "exp"
    forward: Callable | None
    local: tuple = ()
    formula: tuple = ()              # plain text, per input
    latex: tuple = ()                # LaTeX, per input
    lesson: tuple[str, str] = ("", "")   # (zh, en)
    kink: Callable | None = None     # (c, *xs) -> True at a non-differentiable point
    convention: str = ""             # what we use at the kink (PyTorch's choice)
    domain: str = "math.domain"      # message key when forward is undefined
    vjp: tuple = ()                  # non-elementwise ops: contribution per input
    call: str | None = None          # the function name users type, if any
    tensor: bool = False             # needs the array namespace (matmul, sum, ...)
    consts: int = 0                  # optional constant arguments after the inputs (axis)
    # role flags: what the mistake catalogue and the quiz recognise an op by
    product: bool = False            # each input's local gradient is the other input (mul)
    router: bool = False             # routes the whole gradient to one input (max, min, relu)
    matmul: bool = False             # a matrix product (its backward needs the right transposes)


def _tie(a, b, xp):
    # max/min at a tie: PyTorch gives each input half the gradient.
    return xp.where(a == b, 0.5, 0.0)


def _cmp_gt(a, b, xp):
    return xp.where(a > b, 1.0, 0.0)


def _one(xp, c, out, *xs):
    return 1.0


def _minus_one(xp, c, out, *xs):
    return -1.0


def _pow_local_base(xp, c, out, a, b):
    return b * xp.power(a, b - 1)


def _pow_local_exp(xp, c, out, a, b):
    # ln(a) exists only for a > 0; elsewhere the exponent gets 0 (as PyTorch at a = 0).
    return xp.where(a > 0, out * xp.log(xp.where(a > 0, a, 1.0)), 0.0)


def _pow_const_formula(c):
    return "{c}·{a}" if c == 2 else "{c}·{a}^{cm1}"


def _pow_const_latex(c):
    return r"{c} \cdot {a}" if c == 2 else r"{c} \cdot {a}^{{cm1}}"


ROWS = [
    # ---- leaves -----------------------------------------------------------
    Op("input", 0, "{a}", forward=None,
       lesson=("输入变量：它的梯度是所有路径传回的梯度之和", "input: its gradient is the sum over all paths back to it")),
    Op("const", 0, "{c}", forward=None,
       lesson=("常数：没有梯度", "constant: it has no gradient")),
    # ---- two inputs -------------------------------------------------------
    Op("add", 2, "+", lambda xp, c, a, b: a + b, (_one, _one), ("1", "1"), ("1", "1"),
       ("加法门：把上游梯度原样分给每个输入", "add gate: passes the upstream gradient unchanged to every input")),
    Op("sub", 2, "-", lambda xp, c, a, b: a - b, (_one, _minus_one), ("1", "-1"), ("1", "-1"),
       ("减法门：被减数得到上游梯度，减数得到它的相反数", "subtract gate: the first input gets the upstream gradient, the second its negative")),
    Op("mul", 2, "*", lambda xp, c, a, b: a * b,
       (lambda xp, c, out, a, b: b, lambda xp, c, out, a, b: a), ("{b}", "{a}"), ("{b}", "{a}"),
       ("乘法门：每个输入得到另一个输入 × 上游梯度", "multiply gate: each input gets the other input times upstream"),
       product=True),
    Op("div", 2, "/", lambda xp, c, a, b: a / b,
       (lambda xp, c, out, a, b: 1.0 / b, lambda xp, c, out, a, b: -a / (b * b)),
       ("1/{b}", "-{a}/{b}²"), (r"\frac{1}{{b}}", r"-\frac{{a}}{{b}^2}"),
       ("除法门：被除数得到 1/b，除数得到 −a/b²，再乘上游梯度", "divide gate: the numerator gets 1/b, the denominator -a/b², each times upstream"),
       domain="math.division_by_zero"),
    Op("pow", 2, "^", lambda xp, c, a, b: xp.power(a, b), (_pow_local_base, _pow_local_exp),
       ("{b}·{a}^({b}-1)", "{a}^{b}·ln({a})"), (r"{b} \cdot {a}^{{b}-1}", r"{a}^{{b}}\ln {a}"),
       ("幂门：底数得到 b·a^(b−1)，指数得到 a^b·ln a", "power gate: the base gets b·a^(b-1), the exponent a^b·ln a"),
       domain="math.pow_domain"),
    Op("max", 2, "max", lambda xp, c, a, b: xp.maximum(a, b),
       (lambda xp, c, out, a, b: _cmp_gt(a, b, xp) + _tie(a, b, xp),
        lambda xp, c, out, a, b: _cmp_gt(b, a, xp) + _tie(a, b, xp)),
       ("1({a}>{b})", "1({b}>{a})"), (r"\mathbb{1}[{a}>{b}]", r"\mathbb{1}[{b}>{a}]"),
       ("max 门：上游梯度只流向较大的输入（路由器）", "max gate: routes the upstream gradient to the larger input only"),
       kink=lambda c, a, b: a == b, convention="kink.max_tie", call="max", router=True),
    Op("min", 2, "min", lambda xp, c, a, b: xp.minimum(a, b),
       (lambda xp, c, out, a, b: _cmp_gt(b, a, xp) + _tie(a, b, xp),
        lambda xp, c, out, a, b: _cmp_gt(a, b, xp) + _tie(a, b, xp)),
       ("1({a}<{b})", "1({b}<{a})"), (r"\mathbb{1}[{a}<{b}]", r"\mathbb{1}[{b}<{a}]"),
       ("min 门：上游梯度只流向较小的输入", "min gate: routes the upstream gradient to the smaller input only"),
       kink=lambda c, a, b: a == b, convention="kink.max_tie", call="min", router=True),
    # ---- one input and a constant, drawn as the notes draw them -------------
    Op("neg", 1, "*-1", lambda xp, c, a: -a, (_minus_one,), ("-1",), ("-1",),
       ("取负门（*-1）：梯度变号", "negate gate (*-1): flips the sign of the gradient")),
    Op("add_const", 1, "+{c}", lambda xp, c, a: a + c, (_one,), ("1",), ("1",),
       ("加常数门：局部梯度为 1", "add-a-constant gate: local gradient 1")),
    Op("mul_const", 1, "*{c}", lambda xp, c, a: a * c, (lambda xp, c, out, a: c,), ("{c}",), ("{c}",),
       ("乘常数门：局部梯度就是这个常数", "multiply-by-a-constant gate: the local gradient is the constant")),
    Op("div_const", 1, "/{c}", lambda xp, c, a: a / c, (lambda xp, c, out, a: 1.0 / c,),
       ("1/{c}",), (r"\frac{1}{{c}}",),
       ("除以常数门：局部梯度为 1/c", "divide-by-a-constant gate: local gradient 1/c"),
       domain="math.division_by_zero"),
    Op("rsub_const", 1, "{c}-x", lambda xp, c, a: c - a, (_minus_one,), ("-1",), ("-1",),
       ("常数减门：局部梯度为 −1", "constant-minus gate: local gradient -1")),
    Op("rdiv_const", 1, "{c}/x", lambda xp, c, a: c / a, (lambda xp, c, out, a: -c / (a * a),),
       ("-{c}/{a}²",), (r"-\frac{{c}}{{a}^2}",),
       ("倒数门（c/x）：局部梯度为 −c/x²", "reciprocal gate (c/x): local gradient -c/x²"),
       domain="math.division_by_zero"),
    Op("pow_const", 1, "^{c}", lambda xp, c, a: xp.power(a, c),
       (lambda xp, c, out, a: c * xp.power(a, c - 1),), (_pow_const_formula,), (_pow_const_latex,),
       ("幂门（x^c）：局部梯度为 c·x^(c−1)", "power gate (x^c): local gradient c·x^(c-1)"),
       domain="math.pow_domain"),
    Op("rpow_const", 1, "{c}^x", lambda xp, c, a: xp.power(c, a), (lambda xp, c, out, a: out * math.log(c),),
       ("{c}^{a}·ln({c})",), (r"{c}^{{a}}\ln {c}",),
       ("指数门（c^x）：局部梯度为 c^x·ln c", "exponential gate (c^x): local gradient c^x·ln c"),
       domain="math.pow_domain"),
    # ---- functions ----------------------------------------------------------
    Op("exp", 1, "exp", lambda xp, c, a: xp.exp(a), (lambda xp, c, out, a: out,),
       ("e^{a}",), ("e^{{a}}",),
       ("指数门：局部梯度就是它自己的输出 e^x", "exp gate: the local gradient is its own output e^x"), call="exp"),
    Op("log", 1, "log", lambda xp, c, a: xp.log(a), (lambda xp, c, out, a: 1.0 / a,),
       ("1/{a}",), (r"\frac{1}{{a}}",),
       ("对数门：局部梯度为 1/x", "log gate: local gradient 1/x"), domain="math.log_domain", call="log"),
    Op("sqrt", 1, "sqrt", lambda xp, c, a: xp.sqrt(a), (lambda xp, c, out, a: 0.5 / out,),
       ("1/(2·√{a})",), (r"\frac{1}{2\sqrt{{a}}}",),
       ("平方根门：局部梯度为 1/(2√x)", "square-root gate: local gradient 1/(2√x)"),
       domain="math.sqrt_domain", call="sqrt"),
    Op("sin", 1, "sin", lambda xp, c, a: xp.sin(a), (lambda xp, c, out, a: xp.cos(a),),
       ("cos({a})",), (r"\cos {a}",), ("正弦门：局部梯度为 cos x", "sine gate: local gradient cos x"), call="sin"),
    Op("cos", 1, "cos", lambda xp, c, a: xp.cos(a), (lambda xp, c, out, a: -xp.sin(a),),
       ("-sin({a})",), (r"-\sin {a}",), ("余弦门：局部梯度为 −sin x", "cosine gate: local gradient -sin x"), call="cos"),
    Op("tan", 1, "tan", lambda xp, c, a: xp.tan(a), (lambda xp, c, out, a: 1.0 + out * out,),
       ("1+tan²({a})",), (r"1+\tan^2 {a}",), ("正切门：局部梯度为 1+tan²x", "tangent gate: local gradient 1+tan²x"),
       call="tan"),
    Op("tanh", 1, "tanh", lambda xp, c, a: xp.tanh(a), (lambda xp, c, out, a: 1.0 - out * out,),
       ("1-tanh²({a})",), (r"1-\tanh^2 {a}",),
       ("tanh 门：局部梯度为 1−tanh²x", "tanh gate: local gradient 1-tanh²x"), call="tanh"),
    Op("sigmoid", 1, "σ", lambda xp, c, a: xp.sigmoid(a), (lambda xp, c, out, a: (1.0 - out) * out,),
       ("(1-σ({a}))·σ({a})",), (r"(1-\sigma({a}))\sigma({a})",),
       ("sigmoid 门：局部梯度为 (1−σ(x))σ(x)", "sigmoid gate: local gradient (1-σ(x))σ(x)"), call="sigmoid"),
    Op("relu", 1, "relu", lambda xp, c, a: xp.maximum(a, 0.0), (lambda xp, c, out, a: _cmp_gt(a, 0.0, xp),),
       ("1({a}>0)",), (r"\mathbb{1}[{a}>0]",),
       ("ReLU 门：输入为正时梯度通过，否则为 0", "ReLU gate: passes the gradient where the input is positive, else 0"),
       kink=lambda c, a: a == 0, convention="kink.relu", call="relu", router=True),
    Op("abs", 1, "abs", lambda xp, c, a: xp.abs(a), (lambda xp, c, out, a: xp.sign(a),),
       ("sign({a})",), (r"\operatorname{sign}({a})",),
       ("绝对值门：局部梯度为 sign(x)", "abs gate: local gradient sign(x)"),
       kink=lambda c, a: a == 0, convention="kink.abs", call="abs"),
]


# --- vectors and matrices: each row's vjp is the notes' formula -------------------
def _index_formula(c):
    at = ", ".join(str(i) for i in c)
    return "{g}·1[k=" + at + "]" if len(c) == 1 else "{g}·1[(k,l)=(" + at + ")]"


def _index_latex(c):
    return "{g}\\,\\mathbb{1}[k=(" + ", ".join(str(i) for i in c) + ")]"


def _mean_vjp(xp, c, g, out, a):
    return xp.spread(g * (xp.size(out) / xp.size(a)), a, c)     # divide first: spread is a view


def _norm_vjp(xp, c, g, out, a):
    norm = xp.spread(out, a, c)
    return xp.spread(g, a, c) * xp.where(norm > 0, a / xp.where(norm > 0, norm, 1.0), 0.0)


def _norm_kink(c, a):
    import numpy as np
    return bool((np.sqrt(np.sum(np.square(a), axis=c)) == 0).any())


def _softmax_vjp(xp, c, g, out, a):
    return out * (g - xp.sum(g * out, c, keepdims=True))


ROWS += [
    Op("matmul", 2, "@", lambda xp, c, a, b: xp.matmul(a, b),
       formula=("{g}·{b}ᵀ", "{a}ᵀ·{g}"), latex=(r"{g}\,{b}^\top", r"{a}^\top {g}"),
       lesson=("矩阵乘法门：∂L/∂W = ∂L/∂q·xᵀ，∂L/∂x = Wᵀ·∂L/∂q（形状决定转置放在哪边）",
               "matrix-multiply gate: ∂L/∂W = ∂L/∂q·xᵀ and ∂L/∂x = Wᵀ·∂L/∂q (the shapes say where the transpose goes)"),
       vjp=(lambda xp, c, g, out, a, b: xp.matmul_grad_left(g, a, b),
            lambda xp, c, g, out, a, b: xp.matmul_grad_right(g, a, b)),
       domain="tensor.shape", tensor=True, matmul=True),
    Op("transpose", 1, "ᵀ", lambda xp, c, a: xp.transpose(a), formula=("{g}ᵀ",), latex=("{g}^\\top",),
       lesson=("转置门：梯度也转置回去", "transpose gate: the gradient is transposed back"),
       vjp=(lambda xp, c, g, out, a: xp.transpose(g),), domain="tensor.shape", tensor=True),
    Op("index", 1, "[{c}]", lambda xp, c, a: xp.index(a, c), formula=(_index_formula,), latex=(_index_latex,),
       lesson=("取元素门：上游梯度只放回被取的那个位置，其余为 0", "indexing gate: the upstream gradient goes back to the picked entry, 0 elsewhere"),
       vjp=(lambda xp, c, g, out, a: xp.scatter(g, a, c),), domain="tensor.shape", tensor=True),
    Op("sum", 1, "sum", lambda xp, c, a: xp.sum(a, c), formula=("{g}·𝟏",), latex=(r"{g}\,\mathbf{1}",),
       lesson=("求和门：上游梯度广播回每一个元素", "sum gate: the upstream gradient is broadcast back to every entry"),
       vjp=(lambda xp, c, g, out, a: xp.spread(g, a, c),), domain="tensor.shape", call="sum", tensor=True,
       consts=1),
    Op("mean", 1, "mean", lambda xp, c, a: xp.mean(a, c), formula=("{g}·𝟏/n",), latex=(r"\frac{1}{n}{g}\,\mathbf{1}",),
       lesson=("平均门：上游梯度广播回每一个元素，再除以元素个数 n", "mean gate: the upstream gradient is broadcast back and divided by the count n"),
       vjp=(_mean_vjp,), domain="tensor.shape", call="mean", tensor=True, consts=1),
    Op("softmax", 1, "softmax", lambda xp, c, a: xp.softmax(a, c),
       formula=("(diag({o}) − {o}{o}ᵀ)·{g}",), latex=(r"(\operatorname{diag}({o}) - {o}{o}^\top){g}",),
       lesson=("softmax 门：雅可比矩阵为 diag(p) − ppᵀ，不必显式构造：p ⊙ (g − pᵀg)",
               "softmax gate: its Jacobian is diag(p) - ppᵀ, applied without building it: p ⊙ (g - pᵀg)"),
       vjp=(_softmax_vjp,), domain="tensor.shape", call="softmax", tensor=True, consts=1),
    Op("logsumexp", 1, "logsumexp", lambda xp, c, a: xp.logsumexp(a, c),
       formula=("{g}·softmax({a})",), latex=(r"{g}\,\operatorname{softmax}({a})",),
       lesson=("logsumexp 门：局部梯度是 softmax", "logsumexp gate: its local gradient is the softmax"),
       vjp=(lambda xp, c, g, out, a: xp.spread(g, a, c) * xp.exp(a - xp.spread(out, a, c)),),
       domain="tensor.shape", call="logsumexp", tensor=True, consts=1),
    Op("norm", 1, "‖·‖", lambda xp, c, a: xp.norm(a, c),
       formula=("{g}·{a}/‖{a}‖",), latex=(r"{g}\,\frac{{a}}{\lVert {a} \rVert}",),
       lesson=("L2 范数门：局部梯度为 x/‖x‖", "L2 norm gate: the local gradient is x/‖x‖"),
       vjp=(_norm_vjp,), kink=_norm_kink, convention="tensor.kink_norm", domain="tensor.shape",
       call="norm", tensor=True, consts=1),
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
         g: str = "", o: str = "") -> str:
    """The local-derivative formula of input k with operand texts filled in."""
    entry = (op.latex if latex else op.formula)[k]
    if callable(entry):
        entry = entry(c)
    out = entry.replace("{a}", a).replace("{b}", b).replace("{g}", g).replace("{o}", o)
    if c is not None and "{c" in out:
        if "{cm1}" in out:
            out = out.replace("{cm1}", cfmt(c - 1))
        out = out.replace("{c}", cfmt(c))
    return out


def gate_label(op: Op, c, cfmt=str) -> str:
    """How the notes draw the gate: `+1`, `*-1`, `1/x`, `^2`, `exp`."""
    if op.name == "add_const" and c is not None and c < 0:
        return "-" + cfmt(-c)
    return op.gate.replace("{c}", cfmt(c)) if c is not None else op.gate
