"""Vectors and matrices: the array namespace of the op table and array values.

ArrayNS has the same function names as ops.ScalarNS (exp, log, ..., where,
maximum, sigmoid, sign, power), backed by numpy, plus what the tensor rows of
the op table call (matmul, index, sum, spread, softmax, ...). It is only
imported when a value is an array or the program uses a tensor operation, so a
plain scalar run never imports numpy."""
from __future__ import annotations

import math

import numpy as np

from ..errors import BptutorError


class ShapeError(BptutorError):
    """Shapes that do not fit an operation. Raised without a span; the engine
    (or the parser, when folding constants) adds the operator's span and
    the expression's text as {expr}."""


def shape_tuple(shape) -> str:
    """(2, 2), (3,), (): a shape as numpy and Python write it, for messages."""
    return str(tuple(int(n) for n in shape))


def _shape_of(x) -> str:
    return shape_tuple(np.shape(x))


def unbroadcast(x, shape: tuple):
    """Sum a gradient back to the shape of the operand that was broadcast in
    the forward pass: a bias (3, 1) added to (3, N) gets the sum over the batch."""
    have = np.shape(x)
    if have == shape:
        return x
    lead = len(have) - len(shape)
    if lead:
        x = np.sum(x, axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and x.shape[i] != 1)
    if axes:
        x = np.sum(x, axis=axes, keepdims=True)
    return x


# ---- the namespace ---------------------------------------------------------------
def _power(a, b):
    if type(a) is np.ndarray:
        if type(b) is float and b == 1.0:
            return a            # x^2's local gradient 2·x^1: no copy (values are never changed in place)
        return a ** b           # numpy's fast paths for x**2, x**0.5
    return np.power(a, b)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _where(cond, a, b):
    """np.where, fast when both branches are numbers (an indicator such as
    relu's 1(x > 0): np.where broadcasting two scalars is 20x slower)."""
    if type(a) is float and type(b) is float:
        out = np.multiply(cond, a - b)
        return out + b if b else out
    return np.where(cond, a, b)


def _axis(a, axis):
    nd = np.ndim(a)
    if axis is not None and not -nd <= axis < max(nd, 1):
        raise ShapeError("tensor.axis_range", None, axis=axis, shape=_shape_of(a))
    if axis is not None and nd == 0:
        return None
    return axis


class ArrayNS:
    """The op table's namespace for numpy float64 arrays."""
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tan = staticmethod(np.tan)
    tanh = staticmethod(np.tanh)
    power = staticmethod(_power)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    floor = staticmethod(np.floor)
    sigmoid = staticmethod(_sigmoid)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    where = staticmethod(_where)
    size = staticmethod(np.size)
    transpose = staticmethod(np.transpose)

    # ---- tensor rows ---------------------------------------------------------------
    @staticmethod
    def matmul(a, b):
        """numpy's @ for vectors and matrices: (m,n)@(n,p), (m,n)@(n,), (n,)@(n,p), (n,)@(n,)."""
        left, right = np.shape(a), np.shape(b)
        if not (1 <= len(left) <= 2 and 1 <= len(right) <= 2):
            raise ShapeError("tensor.matmul_dims", None, left=shape_tuple(left), right=shape_tuple(right))
        if left[-1] != right[0]:
            raise ShapeError("tensor.matmul_inner", None, left=shape_tuple(left), right=shape_tuple(right),
                             n=left[-1], m=right[0])
        return a @ b

    @staticmethod
    def matmul_grad_left(g, a, b):
        """∂L/∂a = ∂L/∂q·bᵀ, with a vector b read as a column and a vector a as a row."""
        if np.ndim(b) == 1:
            return np.outer(g, b) if np.ndim(a) == 2 else g * b
        return g @ b.T if np.ndim(a) == 2 else b @ g

    @staticmethod
    def matmul_grad_right(g, a, b):
        """∂L/∂b = aᵀ·∂L/∂q."""
        if np.ndim(a) == 1:
            return np.outer(a, g) if np.ndim(b) == 2 else g * a
        return a.T @ g

    @staticmethod
    def index(a, at: tuple):
        """a[at]: entries are whole numbers or slices (A[:, 0])."""
        shape = np.shape(a)
        if len(at) > len(shape):
            raise ShapeError("tensor.index_dims", None, count=len(at), shape=shape_tuple(shape))
        for i, n in zip(at, shape):
            if not isinstance(i, slice) and not -n <= i < n:
                raise ShapeError("tensor.index_range", None, index=i, size=n, shape=shape_tuple(shape))
        return a[at]

    @staticmethod
    def scatter(g, a, at: tuple):
        z = np.zeros(np.shape(a))
        z[at] = g
        return z

    @staticmethod
    def amax(a, axis=None):
        return np.max(a, axis=_axis(a, axis))

    @staticmethod
    def amin(a, axis=None):
        return np.min(a, axis=_axis(a, axis))

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        return np.sum(a, axis=_axis(a, axis), keepdims=keepdims)

    @staticmethod
    def mean(a, axis=None):
        return np.mean(a, axis=_axis(a, axis))

    @staticmethod
    def spread(g, a, axis=None):
        """A reduction's upstream gradient broadcast back to the shape of its input."""
        shape = np.shape(a)
        if axis is not None and np.ndim(g) < len(shape):
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, shape)

    @staticmethod
    def softmax(a, axis=None):
        axis = _axis(a, axis)
        e = np.exp(_shifted(a, axis))
        return e / np.sum(e, axis=axis, keepdims=True)

    @staticmethod
    def logsumexp(a, axis=None):
        axis = _axis(a, axis)
        out = np.max(a, axis=axis, keepdims=True) + np.log(np.sum(np.exp(_shifted(a, axis)), axis=axis,
                                                                  keepdims=True))
        return out.reshape(())[()] if axis is None else np.squeeze(out, axis=axis)

    @staticmethod
    def norm(a, axis=None):
        """Scaled by the largest entry, as LAPACK's nrm2: the squares of 1e-200
        underflow to 0 and those of 1e200 overflow, the scaled ones do neither."""
        axis = _axis(a, axis)
        big = np.max(np.abs(a), axis=axis, keepdims=True)
        scale = np.where(big > 0, big, 1.0)
        out = scale * np.sqrt(np.sum(np.square(a / scale), axis=axis, keepdims=True))
        return out.reshape(())[()] if axis is None else np.squeeze(out, axis=axis)

    # ---- what the engine calls -------------------------------------------------------
    @staticmethod
    def vjp(op, k: int, c, g, out, args):
        """(local, contribution) of input k: elementwise ops multiply their local
        derivative by the upstream gradient and sum back what was broadcast;
        the others apply their own vector-Jacobian product (local is None)."""
        if op.vjp:
            return None, op.vjp[k](ArrayNS, c, g, out, *args)
        local = op.local[k](ArrayNS, c, out, *args)
        if type(local) is float and local in (1.0, -1.0):
            contribution = g if local == 1.0 else -g       # no copy for + and -
        else:
            contribution = local * g
        return local, unbroadcast(contribution, np.shape(args[k]))

    @staticmethod
    def jvp(op, k: int, c, t, out, args):
        """(local, contribution) of input k's tangent t in forward mode:
        elementwise ops multiply their local derivative by t, spread to the
        output's shape (a scalar added to a vector moves every entry); the
        others apply their own Jacobian-vector product (local is None)."""
        if op.jvp:
            return None, op.jvp[k](ArrayNS, c, t, out, *args)
        local = op.local[k](ArrayNS, c, out, *args)
        contribution = local * t
        if np.shape(contribution) != np.shape(out):
            contribution = np.broadcast_to(contribution, np.shape(out))
        return local, contribution

    @staticmethod
    def all_finite(v) -> bool:
        """Under strict() numpy has already raised at the op that made an inf or
        a nan, so an array needs no second look; a Python float (a scalar input
        in an array program) is not numpy's and is tested."""
        if type(v) is float:
            return math.isfinite(v)
        if np.geterrcall() is _raise_float_error and np.geterr()["over"] == "call":
            return True
        with np.errstate(all="ignore"):
            return bool(np.isfinite(v).all())

    @staticmethod
    def has_inf(v) -> bool:
        return bool(np.isinf(v).any())

    @staticmethod
    def explain(g, i: int, vals: list):
        """After numpy refused an elementwise op: the shape error, if that was it."""
        shapes = [np.shape(vals[j]) for j in g.nodes[i].args]
        if len(shapes) < 2:
            return None
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            n, m = _first_mismatch(shapes[0], shapes[1])
            return ShapeError("tensor.broadcast", None, left=shape_tuple(shapes[0]),
                              right=shape_tuple(shapes[1]), n=n, m=m)
        return None

    @staticmethod
    def strict():
        """numpy's floating-point problems as the Python errors the engine turns
        into domain errors (overflow, division by zero, invalid: log of a negative),
        raised at the operation that met them instead of warnings."""
        return np.errstate(over="call", divide="call", invalid="call", under="ignore",
                           call=_raise_float_error)


def _shifted(a, axis):
    """a − max(a): every exponent ≤ 0, so exp never overflows (softmax of
    [1000, 0]); an entry so far below the max that the difference is beyond
    the float range (−1e308 − 1e308) is −inf, and its exp exactly 0."""
    with np.errstate(over="ignore"):
        return a - np.max(a, axis=axis, keepdims=True)


def _raise_float_error(kind: str, flag: int):
    if "overflow" in kind:
        raise OverflowError(kind)
    if "divide" in kind:
        raise ZeroDivisionError(kind)
    raise ValueError(kind)


def _first_mismatch(a: tuple, b: tuple) -> tuple[int, int]:
    for n, m in zip(reversed(a), reversed(b)):
        if n != m and 1 not in (n, m):
            return n, m
    return 0, 0
