"""Order-statistic reductions: median, nanmedian, kthvalue, mode (forward in NumPy, backward as tensor ops).

With ``dim`` they return a named tuple ``(values, indices)`` and the gradient goes to the
returned index; a whole-tensor median shares it evenly among the elements equal to the
result, as torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, register
from .reduction import _check_tensor
from .reduction_common import evenly_backward, return_type, select_backward, take_along
from .sorting import int_dim, sort_indices

__all__ = ["median", "nanmedian", "kthvalue", "mode"]

_I64 = np.dtype(np.int64)
_MEDIAN = return_type("median")
_NANMEDIAN = return_type("nanmedian")
_KTHVALUE = return_type("kthvalue")
_MODE = return_type("mode")


def _no_bool(op: str, x: Tensor) -> None:
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for 'Bool'")


# ---------------------------------------------------------- whole-tensor median
class MedianAll(Op):
    """The lower median of all elements (NaN if any is NaN; ``ignore_nan`` skips them, as nanmedian)."""

    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, ignore_nan: bool) -> np.ndarray:
        a = x._data.reshape(-1)
        if ctx is not None:
            ctx._name = "NanmedianBackward0" if ignore_nan else "MedianBackward0"
            ctx.save_for_backward(x)
        is_float = a.dtype.kind == "f" or a.dtype.name == "bfloat16"
        if is_float:
            nan = np.isnan(a)
            if nan.any():
                if not ignore_nan:
                    return np.asarray(np.nan, dtype=a.dtype)
                a = a[~nan]
        if a.size == 0:
            if not is_float:
                raise RuntimeError("median(): cannot compute the median of an empty integer tensor")
            return np.asarray(np.nan, dtype=a.dtype)
        k = (a.size - 1) // 2
        return np.asarray(np.partition(a, k)[k])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # shared evenly among the elements equal to the median
        (x,) = ctx.saved_tensors
        return evenly_backward(grad, x._data, ctx.result._data)


# ---------------------------------------------------------- selection along dim
class _SelectDim(Op):
    """Base of the ``(values, indices)`` order statistics along one dim: ``pick`` gives the indices (kept dim)."""

    @staticmethod
    def pick(a: np.ndarray, dim: int, arg: Any) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx: Any, x: Tensor, dim: int, keepdim: bool, arg: Any) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[override]
        a = x._data
        if a.ndim == 0:
            return a.copy(), np.zeros((), dtype=_I64)
        idx = cls.pick(a, dim, arg).astype(_I64, copy=False)
        vals = take_along(a, idx, dim)
        if ctx is not None:
            ctx.idx, ctx.dim, ctx.keepdim = idx, dim, keepdim
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx

    @staticmethod
    def backward(ctx: Any, grad: Tensor, _gi: Any = None) -> Any:  # the gradient goes to the returned index
        shape = ctx._in_meta[0][0]
        if not shape:
            return grad
        return select_backward(grad, ctx.idx, ctx.dim, shape, ctx.keepdim)


def _nan_count(a: np.ndarray, dim: int) -> np.ndarray | None:
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        return np.count_nonzero(np.isnan(a), axis=dim, keepdims=True)  # type: ignore[no-any-return]
    return None


class Kthvalue(_SelectDim):
    @staticmethod
    def pick(a: np.ndarray, dim: int, k: int) -> np.ndarray:  # the k-th smallest; the first index among ties
        order = sort_indices(a, dim, False)
        sl = [slice(None)] * a.ndim
        sl[dim] = slice(k - 1, k)
        return order[tuple(sl)]


class Median(_SelectDim):
    _name = "MedianBackward1"

    @staticmethod
    def pick(a: np.ndarray, dim: int, ignore_nan: bool) -> np.ndarray:
        n = a.shape[dim]
        order = sort_indices(a, dim, False)  # NaNs last, in input order
        nans = _nan_count(a, dim)
        if nans is None:
            pos = np.full((1,) * a.ndim, (n - 1) // 2, dtype=_I64)
        elif ignore_nan:  # the lower median of the non-NaN elements (the first NaN when all are NaN)
            pos = np.maximum(n - nans - 1, 0) // 2
        else:  # NaN (the first one) when the slice has one
            pos = np.where(nans > 0, n - nans, (n - 1) // 2)
        pos = np.broadcast_to(pos, tuple(1 if i == dim else s for i, s in enumerate(a.shape)))
        return np.take_along_axis(order, pos.astype(_I64), axis=dim)


class Mode(_SelectDim):
    @staticmethod
    def pick(a: np.ndarray, dim: int, _: Any) -> np.ndarray:  # the most frequent value (the smallest among ties)
        m = np.moveaxis(a, dim, -1)
        s = np.sort(m, axis=-1)
        n = s.shape[-1]
        new_run = np.ones(s.shape, dtype=bool)
        new_run[..., 1:] = s[..., 1:] != s[..., :-1]
        pos = np.arange(n)
        start = np.maximum.accumulate(np.where(new_run, pos, 0), axis=-1)
        length = pos - start + 1  # the length so far of the run each sorted element ends
        best = np.argmax(length, axis=-1)[..., None]  # the first (smallest) value with the longest run
        value = np.take_along_axis(s, best, axis=-1)
        hit = m == value
        last = (n - 1) - np.argmax(hit[..., ::-1], axis=-1)  # torch returns the last occurrence
        return np.moveaxis(last[..., None], -1, dim)


def _select(cls: type[_SelectDim], rtype: type, op: str, input: Any, dim: Any, keepdim: bool, arg: Any) -> Any:
    d = int_dim(op, input, dim)
    a = input._data
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return rtype(cls.apply(input, d, bool(keepdim), arg))


@register
def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median of all elements, or with ``dim`` a named tuple ``(values, indices)``, as ``torch.median``.

    NaN propagates (use :func:`nanmedian` to skip NaNs); an empty tensor's median is NaN.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.median(rt.tensor([4.0, 1.0, 3.0, 2.0]))
    tensor(2.)
    >>> rt.median(rt.tensor([[4.0, 1.0, 3.0], [0.0, 9.0, 8.0]]), dim=1)
    rustytorch.return_types.median(
    values=tensor([3., 8.]),
    indices=tensor([2, 2]))
    """
    _check_tensor("median", input)
    _no_bool("median", input)
    if dim is None:
        return MedianAll.apply(input, False)
    return _select(Median, _MEDIAN, "median", input, dim, keepdim, False)


@register
def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """:func:`median` that ignores NaNs (NaN only when every element is NaN), as ``torch.nanmedian``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nanmedian(rt.tensor([4.0, float("nan"), 1.0, 3.0]))
    tensor(3.)
    """
    _check_tensor("nanmedian", input)
    _no_bool("nanmedian", input)
    if dim is None:
        return MedianAll.apply(input, True)
    return _select(Median, _NANMEDIAN, "nanmedian", input, dim, keepdim, True)


@register
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element (1-based) along ``dim`` and its index, as ``torch.kthvalue``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.kthvalue(rt.tensor([5.0, 1.0, 4.0, 2.0]), 2)
    rustytorch.return_types.kthvalue(
    values=tensor(2.),
    indices=tensor(3))
    """
    _check_tensor("kthvalue", input)
    _no_bool("kthvalue", input)
    if not isinstance(k, int | np.integer) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' must be int, not {type(k).__name__}")
    d = int_dim("kthvalue", input, dim)
    n = input._data.shape[d] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k = {k}, size {n})")
    return _select(Kthvalue, _KTHVALUE, "kthvalue", input, d, keepdim, int(k))


@register
def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest among ties) and its last index, as ``torch.mode``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.mode(rt.tensor([3, 1, 3, 1, 2]))
    rustytorch.return_types.mode(
    values=tensor(1),
    indices=tensor(3))
    """
    _check_tensor("mode", input)
    return _select(Mode, _MODE, "mode", input, dim, keepdim, None)
