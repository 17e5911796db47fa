"""Activations: relu, sigmoid, softmax, log_softmax; forward (NumPy) and backward (tensor ops) side by side.

softmax / log_softmax are fused: one numerically stable NumPy forward (the max is subtracted
first), and a backward that is one NumPy expression when no graph of the gradient is needed
(``create_graph=False``) and differentiable tensor ops otherwise.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _parallel
from .._dtype import to_dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import GRAD_ENABLED
from ._pointwise import BF16, attach_in_place, check_tensor, const, float_arg, is_float, not_implemented, to_out
from ._registry import PARALLEL_MIN, Op, _new, _par_binary, _wrap, fp, register, unary_op
from .ternary import where

__all__ = ["relu", "sigmoid", "softmax", "log_softmax"]

try:  # the clip ufunc itself: np.clip adds ~1 us of Python; a scalar 0 in np.maximum is ~2x slower
    from numpy._core.umath import clip as _uclip  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - NumPy internals moved
    _uclip = np.clip

_RELU_BOUNDS: dict[Any, tuple[np.ndarray, np.ndarray]] = {}  # dtype -> (0, +inf or the largest int) as 0-d arrays


def _relu_bounds(dt: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray]:
    hi = np.inf if dt.kind == "f" or dt is BF16 else np.iinfo(dt).max
    b = _RELU_BOUNDS[dt] = (np.zeros((), dt), np.asarray(hi, dtype=dt))
    return b


def _relu(a: np.ndarray) -> np.ndarray:
    """``clip(a, 0, inf)``: NaN propagates and relu(-0.0) is -0.0, as torch; never warns (no fp context)."""
    b = _RELU_BOUNDS.get(a.dtype)
    if b is None:
        b = _relu_bounds(a.dtype)
    if a.size >= PARALLEL_MIN:
        return _par_binary(np.maximum, a, b[0])  # type: ignore[no-any-return]
    r = _uclip(a, b[0], b[1])
    return r if r.__class__ is np.ndarray else np.asarray(r)  # type: ignore[no-any-return]


class Relu(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        a = x._data
        if a.dtype.kind == "b":
            raise RuntimeError("relu: Boolean inputs not supported for relu")
        return _relu(a)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d relu(x) = dx where x > 0 (0 at x = 0), as torch
        if not GRAD_ENABLED.get():  # no graph of the gradient: one NumPy pass (np.where is ~4x slower)
            return const(fp(_relu_grad, grad._data, ctx.result._data))
        return where(ctx.result > 0, grad, 0.0)  # type: ignore[no-any-return]


def _relu_grad(g: np.ndarray, r: np.ndarray) -> np.ndarray:
    m = r > 0
    out = g * m
    if out.dtype.kind == "f" and np.isnan(out).any():  # inf/NaN gradients where r <= 0 give 0, as torch
        out = np.where(m, g, out.dtype.type(0))
    return out  # type: ignore[no-any-return]


@register
def relu(input: Tensor) -> Tensor:
    """``max(input, 0)`` elementwise, as ``torch.relu``; integer dtypes are kept, bools raise.

    The gradient is 0 at 0, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.relu(rt.tensor([-1.0, 0.0, 2.0])), rt.tensor([-3, 4]).relu()
    (tensor([0., 0., 2.]), tensor([0, 4]))
    """
    if input.__class__ is Tensor and not input._requires_grad and input._data.dtype.kind == "f":
        return _wrap(_relu(input._data))
    check_tensor("relu", input)
    return Relu.apply(input)  # type: ignore[no-any-return]


def _relu_method(self: Tensor) -> Tensor:
    a = self._data
    if not self._requires_grad and a.dtype.kind == "f":
        b = _RELU_BOUNDS.get(a.dtype)
        r = _uclip(a, b[0], b[1]) if b is not None and a.size < PARALLEL_MIN else _relu(a)
        t = _new(Tensor)
        t._data = r if r.__class__ is np.ndarray else np.asarray(r)
        t._storage = None  # type: ignore[assignment]
        t._base = None
        t._requires_grad = False
        t._grad_fn = None
        t._output_nr = 0
        return t
    return relu(self)


_relu_method.__doc__ = relu.__doc__
Tensor.relu = _relu_method  # type: ignore[attr-defined]


_ONES = {np.dtype(t): np.ones((), t) for t in (np.float32, np.float64)}
_neg, _exp, _add, _recip = np.negative, np.exp, np.add, np.reciprocal


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in four in-place passes (float16/bfloat16 computed in float32, as torch)."""
    one = _ONES.get(a.dtype)
    if one is None:
        return _sigmoid(a.astype(np.float32)).astype(a.dtype)
    if a.ndim == 0:
        return 1 / (1 + np.exp(-a))  # type: ignore[no-any-return]
    r = _neg(a)
    _exp(r, r)
    _add(r, one, r)
    return _recip(r, r)  # type: ignore[no-any-return]


class Sigmoid(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        a = float_arg(x)
        if a.dtype is BF16:
            return fp(_sigmoid, a.astype(np.float32)).astype(BF16)  # type: ignore[no-any-return]
        return fp(_sigmoid, a)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d sigmoid(x) = s (1 - s) dx
        s = ctx.result
        return grad * (s * (1 - s))


@register
def sigmoid(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The logistic function ``1 / (1 + exp(-input))``, as ``torch.sigmoid``; ints give the default float dtype.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.sigmoid(rt.tensor([0.0, 2.0, -100.0]))
    tensor([0.5000, 0.8808, 0.0000])
    """
    if out is None:
        return _sigmoid1(input)
    check_tensor("sigmoid", input)
    return to_out(out, Sigmoid.apply(input), "sigmoid")


_sigmoid1 = unary_op(Sigmoid, _sigmoid)
_sigmoid1.__doc__ = sigmoid.__doc__
Tensor.sigmoid = _sigmoid1  # type: ignore[attr-defined]
attach_in_place(("relu_", relu), ("sigmoid_", sigmoid))


# ----------------------------------------------------------------- softmax
def _softmax_np(a: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """Max-shifted softmax / log_softmax along ``dim``; rows holding -inf only, +inf or NaN give NaN, as torch."""
    if a.ndim == 0:
        return _softmax_np(a.reshape(1), 0, log).reshape(())
    if a.size >= _ROWS_MIN and (dim == a.ndim - 1 or dim == -1) and a.dtype in _ROW_DTYPES and a.flags.c_contiguous:
        return _softmax_rows(a, log)
    x = a if a.dtype.itemsize >= 4 else a.astype(np.float32)  # half precisions accumulate in float32, as torch
    if x.size == 0:
        return x.astype(a.dtype, copy=True)
    z = x - _max_reduce(x, dim, None, None, True)  # ufunc.reduce(a, axis, dtype, out, keepdims): no wrapper
    if log:
        z -= np.log(_add_reduce(np.exp(z), dim, None, None, True))
    else:
        np.exp(z, out=z)
        z /= _add_reduce(z, dim, None, None, True)
    return z if z.dtype == a.dtype else z.astype(a.dtype)


_ROW_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_ROWS_MIN = 1 << 14  # smaller inputs: the plain NumPy expression has less Python around it


def _softmax_rows(a: np.ndarray, log: bool) -> np.ndarray:
    """Softmax / log_softmax over the last axis of a C-contiguous float32/float64 array, fused per block of rows.

    The rows are cut in blocks of about ``_SOFTMAX_BLOCK`` elements, fixed by the shape alone; the
    blocks are shared out over the thread pool. Each block makes all its passes in place in the
    output (one allocation), as torch's kernel: ``y = exp(x - max)``, ``y *= 1 / sum(y)`` (log:
    ``y = x - max - log(sum(exp(x - max)))``). For softmax, when every value of a block lies where
    ``exp`` neither overflows (summed over a row) nor leaves the normal range, the shift is skipped
    (``y = exp(x)``: the same quotient, to a rounding, without the row max and the subtraction,
    both slow in NumPy); a NaN or an infinity takes the shifted path. A row's result depends on its
    block only, so it is the same for every thread count.
    """
    n = a.shape[-1]
    rows = a.size // n
    x = a.reshape(rows, n)
    out = np.empty_like(x)
    long_rows = n > _ROW_SUM_MAX
    dt = a.dtype.type
    info = np.finfo(a.dtype)
    hi = dt(np.log(info.max) - np.log(n) - 1)  # exp(x) summed over a row stays finite
    lo = dt(np.log(info.tiny) + 1)  # exp(x) stays a normal number (full relative precision)
    per = max(1, _SOFTMAX_BLOCK // n)  # rows per block

    def block(i: int, j: int) -> None:
        xb, yb = x[i:j], out[i:j]
        if log:  # log: always shifted (x - log(sum(exp(x))) would cancel digits where x is near the log)
            _sub(xb, _max_reduce(xb, 1, None, None, True), out=yb)
            e = _exp(yb)
            s = _add_reduce(e, 1, None, None, True) if long_rows else _einsum("ij->i", e)[:, None]
            _log(s, out=s)
            _sub(yb, s, out=yb)
            return
        if _min_reduce(xb, None) >= lo and _max_reduce(xb, None) <= hi:  # False for NaN
            _exp(xb, out=yb)
        else:
            _sub(xb, _max_reduce(xb, 1, None, None, True), out=yb)
            _exp(yb, out=yb)
        s = _add_reduce(yb, 1, None, None, True) if long_rows else _einsum("ij->i", yb)[:, None]
        _recip(s, out=s)
        _mul(yb, s, out=yb)

    def blocks(i: int, j: int) -> None:  # blocks i .. j - 1
        for k in range(i, j):
            block(k * per, min((k + 1) * per, rows))

    _parallel.split_rows(blocks, -(-rows // per), per * n, _parallel.MIN_ELEMENTS_COSTLY)
    return out.reshape(a.shape)


_SOFTMAX_BLOCK = 1 << 18  # elements per block of rows (1 MB of float32: a few blocks per thread)
_ROW_SUM_MAX = 4096  # longer rows are summed pairwise (einsum's partial sums lose accuracy on long rows)
_sub, _mul, _log, _einsum = np.subtract, np.multiply, np.log, np.einsum
_max_reduce: Any = np.maximum.reduce
_min_reduce: Any = np.minimum.reduce
_add_reduce: Any = np.add.reduce


class Softmax(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, log: bool) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
            ctx.log = log
        return fp(_softmax_np, x._data, dim, log)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # softmax: dx = y (g - sum(g y)); log_softmax: dx = g - exp(y) sum(g)
        y, dim = ctx.result, ctx.dim
        if not GRAD_ENABLED.get():  # no graph of the gradient: one fused NumPy expression
            return const(fp(_softmax_backward_np, grad._data, y._data, dim, ctx.log))
        if ctx.log:
            return grad - y.exp() * grad.sum(dim, keepdim=True)
        return y * (grad - (grad * y).sum(dim, keepdim=True))


def _softmax_backward_np(g: np.ndarray, y: np.ndarray, dim: int, log: bool) -> np.ndarray:
    if y.ndim == 0:
        return _softmax_backward_np(g.reshape(1), y.reshape(1), 0, log).reshape(())
    if log:
        return g - np.exp(y) * np.sum(g, axis=dim, keepdims=True)  # type: ignore[no-any-return]
    gy = g * y
    return gy - y * np.sum(gy, axis=dim, keepdims=True)  # type: ignore[no-any-return]


def _softmax_args(op: str, input: Any, dim: Any, dtype: Any, stacklevel: int) -> tuple[Tensor, int]:
    check_tensor(op, input)
    nd = input._data.ndim
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {op} has been deprecated. Change the call to include dim=X as an argument.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
        dim = 0 if nd in (0, 1, 3) else 1
    d = _wrap_dim(int(dim), nd, op)
    if dtype is not None:
        dt = to_dtype(dtype)
        if not dt.is_floating_point:
            raise not_implemented(op, dt)
        if input._data.dtype != dt.np:
            input = input.to(dt)
    elif not is_float(input._data):
        raise not_implemented(op, input._data.dtype)
    return input, d


class LogSoftmax(Softmax):
    pass


@register
def softmax(input: Tensor, dim: int | None = None, dtype: Any = None, *, _stacklevel: int = 3) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, numerically stable, as ``torch.softmax``.

    ``dtype`` casts the input first (the way to take the softmax of an integer tensor).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.softmax(rt.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]]), dim=1)
    tensor([[0.0900, 0.2447, 0.6652],
            [0.0000, 0.0000, 1.0000]])
    """
    x, d = _softmax_args("softmax", input, dim, dtype, _stacklevel)
    return Softmax.apply(x, d, False)  # type: ignore[no-any-return]


@register
def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None, *, _stacklevel: int = 3) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, numerically stable, as ``torch.log_softmax``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.log_softmax(rt.tensor([1.0, 2.0, 3.0]), dim=0)
    tensor([-2.4076, -1.4076, -0.4076])
    """
    x, d = _softmax_args("log_softmax", input, dim, dtype, _stacklevel)
    return LogSoftmax.apply(x, d, True)  # type: ignore[no-any-return]
