"""Scans (cumsum, cumprod, cummax, cummin, logcumsumexp): forward (NumPy) and backward (tensor ops) side by side."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import get_default_dtype, to_dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import Op, fp, inplace, register
from .reduction import _check_tensor, acc_dtype
from .reduction_common import Exp, PutAlongDim, const, return_type

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]

_I64 = np.dtype(np.int64)


def _scan_dim(op: str, x: Any, dim: Any) -> int:
    _check_tensor(op, x)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(int(dim), x._data.ndim, op)


def _scan_target(a: np.ndarray, dtype: Any) -> np.dtype[Any]:
    if dtype is not None:
        return to_dtype(dtype).np
    return _I64 if a.dtype.kind in "biu" else a.dtype


def _scan(ufunc: Any, a: np.ndarray, dim: int, target: np.dtype[Any]) -> np.ndarray:
    """``ufunc.accumulate`` along ``dim`` in ``target`` (half precision accumulates in float32)."""
    if a.dtype != target:
        a = fp(a.astype, target)
    if a.ndim == 0:
        return a.copy()
    acc = acc_dtype(target)
    r = fp(ufunc.accumulate, a, dim, acc if acc is not None else target)
    return r if r.dtype == target else fp(r.astype, target)  # type: ignore[no-any-return]


# ------------------------------------------------------------- private helpers
class RevCumsum(Op):
    """Cumulative sum from the end: ``out_i = sum_{j >= i} x_j`` (the backward of cumsum)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
        a = x._data
        if a.ndim == 0:
            return a.copy()
        return np.flip(np.add.accumulate(np.flip(a, dim), axis=dim), dim).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # the adjoint of a reverse cumsum is a cumsum
        return Cumsum.apply(grad, ctx.dim, None)


class Flip(Op):
    """``x`` reversed along ``dim`` (a copy)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
        return np.flip(x._data, dim).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # flipping is its own adjoint
        return Flip.apply(grad, ctx.dim)


class Shift(Op):
    """``x`` moved one step along ``dim``: forwards (``out_0 = fill``) or backwards (``out_-1 = fill``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, forwards: bool, fill: float) -> np.ndarray:
        if ctx is not None:
            ctx.dim, ctx.forwards = dim, forwards
        a = x._data
        out = np.empty_like(a)
        n = a.shape[dim]
        src = [slice(None)] * a.ndim
        dst = [slice(None)] * a.ndim
        edge = [slice(None)] * a.ndim
        if forwards:
            src[dim], dst[dim], edge[dim] = slice(0, n - 1), slice(1, n), slice(0, 1)
        else:
            src[dim], dst[dim], edge[dim] = slice(1, n), slice(0, n - 1), slice(n - 1, n)
        out[tuple(dst)] = a[tuple(src)]
        out[tuple(edge)] = fill
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # the adjoint of a shift is the opposite shift, zero-filled
        return Shift.apply(grad, ctx.dim, not ctx.forwards, 0)


def prod_of_others(x: Tensor, dim: int | None) -> Tensor:
    """For each element, the product of the other elements along ``dim`` (all elements for None), zero-safe.

    It is the product of the exclusive cumulative products from the left and from the right.
    """
    if dim is None:
        return prod_of_others(x.reshape(-1), 0).reshape(x._data.shape)
    if x._data.ndim == 0:
        return const(np.ones((), dtype=x._data.dtype))
    left = Shift.apply(Cumprod.apply(x, dim, None), dim, True, 1)
    right = Flip.apply(Shift.apply(Cumprod.apply(Flip.apply(x, dim), dim, None), dim, True, 1), dim)
    return left * right  # type: ignore[no-any-return]


# ------------------------------------------------------------------- cumsum
class Cumsum(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, dtype: Any) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
        a = x._data
        return _scan(np.add, a, dim, _scan_target(a, dtype))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # d cumsum(x)_j / dx_i = [j >= i]: a reverse cumsum of grad
        return RevCumsum.apply(grad, ctx.dim)


@register
def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``, as ``torch.cumsum``; ints and bools accumulate in int64.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.cumsum(rt.tensor([[1, 2, 3], [4, 5, 6]]), dim=1)
    tensor([[ 1,  3,  6],
            [ 4,  9, 15]])
    """
    return Cumsum.apply(input, _scan_dim("cumsum", input, dim), dtype)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ cumprod
class Cumprod(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, dtype: Any) -> np.ndarray:
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.dim = dim
        a = x._data
        return _scan(np.multiply, a, dim, _scan_target(a, dtype))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        d = ctx.dim
        if x._data.ndim == 0:
            return grad
        if not (x._data == 0).any():  # dx_i = sum_{j >= i} grad_j out_j / x_i
            return RevCumsum.apply(grad * ctx.result, d) / x
        return _cumprod_backward_zeros(x, grad, d)


def _cumprod_backward_zeros(x: Tensor, grad: Tensor, d: int) -> Tensor:
    """Zero-safe cumprod gradient: dx_i = sum_{j >= i} grad_j prod_{k <= j, k != i} x_k.

    For each i, the cumprod of x with x_i replaced by 1 gives the inner products; O(n^2) in the
    length of ``dim`` (used only when the input has zeros).
    """
    shape = x._data.shape
    n = shape[d]
    lead, trail = shape[:d], shape[d + 1 :]
    sq = (*lead, n, n, *trail)  # axis d: i (the element differentiated), axis d + 1: k
    tail = (1,) * len(trail)
    eye = np.eye(n, dtype=x._data.dtype).reshape((n, n, *tail))
    upper = np.triu(np.ones((n, n), dtype=x._data.dtype)).reshape((n, n, *tail))  # j >= i
    xs = x.reshape((*lead, 1, n, *trail)).expand(sq) * const(1 - eye) + const(eye)
    inner = Cumprod.apply(xs, d + 1, None)  # inner[i, j] = prod_{k <= j, k != i} x_k
    g = grad.reshape((*lead, 1, n, *trail))
    return (inner * const(upper) * g).sum(d + 1)  # type: ignore[no-any-return]


@register
def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim``, as ``torch.cumprod``; ints and bools accumulate in int64.

    The gradient is exact with zeros in the input.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.cumprod(rt.tensor([1.0, 2.0, 3.0, 0.0, 5.0]), dim=0)
    tensor([1., 2., 6., 0., 0.])
    """
    return Cumprod.apply(input, _scan_dim("cumprod", input, dim), dtype)  # type: ignore[no-any-return]


# ----------------------------------------------------------- cummax / cummin
class CumExtreme(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
        a = x._data
        if a.ndim == 0:
            return a.copy(), np.zeros((), dtype=_I64)
        ufunc = np.maximum if largest else np.minimum
        vals = ufunc.accumulate(a, axis=dim)
        hit = a == vals  # a new running extreme (or a tie: torch takes the last index)
        if a.dtype.kind == "f":
            hit |= np.isnan(a)
        pos = np.arange(a.shape[dim], dtype=_I64).reshape((-1,) + (1,) * (a.ndim - dim - 1))
        idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=dim)
        if ctx is not None:
            ctx._name = "CummaxBackward0" if largest else "CumminBackward0"
            ctx.idx, ctx.dim = idx, dim
        return vals, idx

    @staticmethod
    def backward(ctx: Any, grad: Tensor, _gi: Any = None) -> Any:  # each output's gradient goes to its source
        if grad._data.ndim == 0:
            return grad
        return PutAlongDim.apply(grad, ctx.idx, ctx.dim, grad._data.shape, False)


_CUMMAX = return_type("cummax")
_CUMMIN = return_type("cummin")


@register
def cummax(input: Tensor, dim: int) -> Any:
    """Running maximum along ``dim`` and where it was found, as ``torch.cummax`` (ties: the last index).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.cummax(rt.tensor([1.0, 3.0, 2.0, 3.0]), 0).indices
    tensor([0, 1, 1, 3])
    """
    return _CUMMAX(CumExtreme.apply(input, _scan_dim("cummax", input, dim), True))


@register
def cummin(input: Tensor, dim: int) -> Any:
    """Running minimum along ``dim`` and where it was found, as ``torch.cummin`` (ties: the last index).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.cummin(rt.tensor([3.0, 1.0, 2.0, 1.0]), 0).values
    tensor([3., 1., 1., 1.])
    """
    return _CUMMIN(CumExtreme.apply(input, _scan_dim("cummin", input, dim), False))


# --------------------------------------------------------------- logcumsumexp
class LogCumSumExp(Op):
    _name = "LogcumsumexpBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int) -> np.ndarray:
        a = x._data
        if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
            a = a.astype(get_default_dtype().np)
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.dim = dim
        if a.ndim == 0 or a.size == 0:
            return a.copy()
        acc = acc_dtype(a.dtype)
        w = a if acc is None else a.astype(acc)
        r = fp(np.logaddexp.accumulate, w, dim)
        return r if acc is None else r.astype(a.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # dx_i = sum_{j >= i} grad_j exp(x_i - out_j)
        (x,) = ctx.saved_tensors
        out = ctx.result
        if x._data.ndim == 0 or x._data.size == 0:
            return grad
        # exp(x_i - out_j) = exp(x_i - m) exp(m - out_j) for any constant m: the slice max keeps both finite
        with np.errstate(invalid="ignore"):
            m = np.nan_to_num(np.max(x._data, axis=ctx.dim, keepdims=True), nan=0.0, posinf=0.0, neginf=0.0)
        m_t = const(m.astype(x._data.dtype))
        return RevCumsum.apply(grad * Exp.apply(m_t - out), ctx.dim) * Exp.apply(x - m_t)


@register
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))`` computed stably, as ``torch.logcumsumexp``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.logcumsumexp(rt.tensor([0.0, 0.0, 0.0]), 0)
    tensor([0.0000, 0.6931, 1.0986])
    """
    return LogCumSumExp.apply(input, _scan_dim("logcumsumexp", input, dim))  # type: ignore[no-any-return]


def _cumsum_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """In-place :func:`cumsum`, as ``torch.Tensor.cumsum_``."""
    return inplace(self, "cumsum_", cumsum, dim, dtype=dtype)


def _cumprod_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """In-place :func:`cumprod`, as ``torch.Tensor.cumprod_``."""
    return inplace(self, "cumprod_", cumprod, dim, dtype=dtype)


Tensor.cumsum_ = _cumsum_  # type: ignore[attr-defined]
Tensor.cumprod_ = _cumprod_  # type: ignore[attr-defined]
