"""Sorting: sort, argsort, msort, topk, unique, unique_consecutive (forward in NumPy, backward as tensor ops).

Order conventions follow torch: NaN sorts as the largest value; ``stable=True`` keeps the
input order of ties (rustytorch always sorts stably, which torch allows for ``stable=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make, _wrap_dim
from ._registry import Op, register
from .reduction import _check_tensor
from .reduction_common import PutAlongDim, return_type

__all__ = ["sort", "argsort", "msort", "topk", "unique", "unique_consecutive", "searchsorted", "bucketize"]

_I64 = np.dtype(np.int64)
_SORT = return_type("sort")
_TOPK = return_type("topk")
_PARTITION_MIN = 1024  # topk of at least this many elements (and a small k) partitions before sorting


def sort_indices(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``dim`` (NaN largest); descending keeps ties in input order."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    # sort the reversed array ascending, reverse the order, and map positions back: ties stay in input order
    idx = np.argsort(np.flip(a, dim), axis=dim, kind="stable")
    return (a.shape[dim] - 1) - np.flip(idx, dim)


def int_dim(op: str, x: Tensor, dim: Any) -> int:
    """``dim`` as a wrapped int; TypeError for a non-int, IndexError out of range."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(int(dim), x._data.ndim, op)


class Sort(Op):
    """Values and indices sorted along ``dim``; the gradient is scattered back to the source positions."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, descending: bool) -> tuple[np.ndarray, np.ndarray]:
        a = x._data
        if a.ndim == 0:
            return a.copy(), np.zeros((), dtype=_I64)
        idx = sort_indices(a, dim, descending)
        if ctx is not None:
            ctx.idx, ctx.dim = idx, dim
        return np.take_along_axis(a, idx, axis=dim), idx

    @staticmethod
    def backward(ctx: Any, grad: Tensor, _gi: Any = None) -> Any:  # each value's gradient returns to where it came from
        if grad._data.ndim == 0:
            return grad
        return PutAlongDim.apply(grad, ctx.idx, ctx.dim, grad._data.shape, True)


@register
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Sort along ``dim``: a named tuple ``(values, indices)``, as ``torch.sort``.

    NaN sorts as the largest value; ties keep their input order (the sort is always stable).

    Examples
    --------
    >>> import rustytorch as rt
    >>> r = rt.sort(rt.tensor([3.0, 1.0, 2.0]), descending=True)
    >>> r.values, r.indices
    (tensor([3., 2., 1.]), tensor([0, 2, 1]))
    """
    _check_tensor("sort", input)
    if not isinstance(descending, bool | np.bool_):
        raise TypeError(f"sort(): argument 'descending' must be bool, not {type(descending).__name__}")
    return _SORT(Sort.apply(input, int_dim("sort", input, dim), bool(descending)))


@register
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim``, as ``torch.argsort``; int64.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.argsort(rt.tensor([[3, 1, 2], [0, 5, 4]]), dim=1)
    tensor([[1, 2, 0],
            [0, 2, 1]])
    """
    _check_tensor("argsort", input)
    d = int_dim("argsort", input, dim)
    a = input._data
    if a.ndim == 0:
        return _make(np.zeros((), dtype=_I64))
    return _make(sort_indices(a, d, bool(descending)).astype(_I64, copy=False))


@register
def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``, as ``torch.msort``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.msort(rt.tensor([[3, 1], [2, 4]]))
    tensor([[2, 1],
            [3, 4]])
    """
    return sort(input, 0).values  # type: ignore[no-any-return]


class TopK(Op):
    _name = "TopkBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, k: int, dim: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
        a = x._data
        if a.ndim == 0:
            return a.copy(), np.zeros((), dtype=_I64)
        n = a.shape[dim]
        if n >= _PARTITION_MIN and 0 < k * 16 < n:  # select the k first, then sort only them
            sl = [slice(None)] * a.ndim
            if largest:
                part = np.argpartition(a, n - k, axis=dim)
                sl[dim] = slice(n - k, n)
            else:
                part = np.argpartition(a, k - 1, axis=dim)
                sl[dim] = slice(0, k)
            part = part[tuple(sl)]
            idx = np.take_along_axis(part, sort_indices(np.take_along_axis(a, part, axis=dim), dim, largest), axis=dim)
        else:
            sl = [slice(None)] * a.ndim
            sl[dim] = slice(0, k)
            idx = sort_indices(a, dim, largest)[tuple(sl)]
        if ctx is not None:
            ctx.idx, ctx.dim = idx, dim
        return np.take_along_axis(a, idx, axis=dim), idx.astype(_I64, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor, _gi: Any = None) -> Any:  # the k gradients return to their sources
        shape = ctx._in_meta[0][0]
        if not shape:
            return grad
        return PutAlongDim.apply(grad, ctx.idx, ctx.dim, shape, True)


@register
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, as ``torch.topk``.

    RuntimeError when ``k`` is out of range. The result is always sorted (torch allows it for
    ``sorted=False``); NaN counts as the largest value.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.topk(rt.tensor([1.0, 5.0, 3.0, 4.0]), 2)
    rustytorch.return_types.topk(
    values=tensor([5., 4.]),
    indices=tensor([1, 3]))
    """
    _check_tensor("topk", input)
    if not isinstance(k, int | np.integer) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    d = int_dim("topk", input, dim)
    a = input._data
    if a.dtype.kind == "b":
        raise RuntimeError("topk(): topk does not support bool dtypes on CPU")
    n = a.shape[d] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k = {k}, size of dim {d} = {n})")
    return _TOPK(TopK.apply(input, int(k), d, bool(largest)))


# -------------------------------------------------------------------- unique
class Unique(Op):
    """``unique``'s outputs; torch has no derivative for it, so differentiating raises."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = x._data
        if dim is None:
            vals, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
            inv = inv.reshape(a.shape)
        elif a.ndim == 0:
            vals, inv, counts = a.copy(), np.zeros((), _I64), np.ones((), _I64)
        else:
            vals, inv, counts = np.unique(a, axis=dim, return_inverse=True, return_counts=True, equal_nan=False)
            inv = inv.reshape(-1)
        return vals, inv.astype(_I64, copy=False), counts.astype(_I64, copy=False)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("the derivative for 'unique' is not implemented.")


def _unique_result(outs: Any, return_inverse: bool, return_counts: bool) -> Any:
    vals, inv, counts = outs
    if not (return_inverse or return_counts):
        return vals
    r: tuple[Any, ...] = (vals,)
    if return_inverse:
        r += (inv,)
    if return_counts:
        r += (counts,)
    return r


@register
def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The sorted unique elements (or slices along ``dim``), as ``torch.unique``.

    With ``return_inverse`` / ``return_counts`` a tuple also holds, for each input element, the
    index of its value in the result, and how often each value occurs. NaNs are never merged.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.unique(rt.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    (tensor([1, 2, 3]), tensor([2, 0, 2, 1]), tensor([1, 1, 2]))
    >>> rt.unique(rt.tensor([[1, 2], [0, 1], [1, 2]]), dim=0)
    tensor([[0, 1],
            [1, 2]])
    """
    _check_tensor("unique", input)
    d = None if dim is None else int_dim("unique", input, dim)
    if d is not None and any(n == 0 for i, n in enumerate(input._data.shape) if i != d):
        raise RuntimeError(
            f"unique(): there are 0 sized dimensions, and they aren't selected, so unique cannot be applied "
            f"(shape {list(input._data.shape)}, dim {d})"
        )
    return _unique_result(Unique.apply(input, d), return_inverse, return_counts)


class UniqueConsecutive(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = x._data
        if dim is None or a.ndim == 0:
            flat = a.reshape(-1)
            rows = flat.reshape(-1, 1)
        else:
            flat = np.moveaxis(a, dim, 0)
            rows = flat.reshape(flat.shape[0], -1)
        n = rows.shape[0]
        change = np.ones(n, dtype=bool)
        if n > 1:
            change[1:] = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else False
        starts = np.flatnonzero(change)
        vals = flat[starts]
        if dim is not None and a.ndim:
            vals = np.moveaxis(vals, 0, dim)
        inv = np.cumsum(change, dtype=_I64) - 1
        counts = np.diff(np.append(starts, n)).astype(_I64)
        if dim is None:
            inv = inv.reshape(a.shape)
        return vals.copy(), inv, counts

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


@register
def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """Collapse runs of equal consecutive elements (or slices along ``dim``), as ``torch.unique_consecutive``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.unique_consecutive(rt.tensor([1, 1, 2, 2, 1]), return_counts=True)
    (tensor([1, 2, 1]), tensor([2, 2, 1]))
    """
    _check_tensor("unique_consecutive", input)
    d = None if dim is None else int_dim("unique_consecutive", input, dim)
    return _unique_result(UniqueConsecutive.apply(input, d), return_inverse, return_counts)


# -------------------------------------------------------------- searchsorted
def _search(op: str, seq: np.ndarray, vals: np.ndarray, side: str, out_int32: bool) -> Tensor:
    out_dt = np.dtype(np.int32) if out_int32 else _I64
    if seq.ndim <= 1:
        return _make(np.asarray(np.searchsorted(seq.reshape(-1), vals, side=side), dtype=out_dt))  # type: ignore[call-overload]
    if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
        raise RuntimeError(
            f"{op}(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and "
            f"input value tensor must match, but we got boundaries tensor {list(seq.shape)} and input value tensor "
            f"{list(vals.shape)}"
        )
    rows, vrows = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
    out = np.empty(vrows.shape, dtype=out_dt)
    for i in range(rows.shape[0]):  # one binary search per leading index
        out[i] = np.searchsorted(rows[i], vrows[i], side=side)  # type: ignore[call-overload]
    return _make(out.reshape(vals.shape))


@register(method=False)
def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where ``input`` values would be inserted into the last dim of ``sorted_sequence``, as ``torch.searchsorted``.

    ``right=True`` (or ``side='right'``) returns the index after equal values. The sequence is
    1-D or shares the input's leading dimensions. int64 result (int32 with ``out_int32``).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.searchsorted(rt.tensor([1, 3, 5, 7]), rt.tensor([[3, 6], [9, 0]]))
    tensor([[1, 3],
            [4, 0]])
    >>> rt.searchsorted(rt.tensor([1, 3, 5, 7]), 3, right=True)
    tensor(2)
    """
    _check_tensor("searchsorted", sorted_sequence)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, axis=-1) if seq.ndim else seq
    vals = input._data if isinstance(input, Tensor) else np.asarray(input)
    return _search("searchsorted", seq, vals, "right" if right else "left", out_int32)


@register(method=False)
def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each element for the sorted 1-D ``boundaries``, as ``torch.bucketize``.

    With ``right=False`` an element ``x`` goes to the ``i`` with ``boundaries[i-1] < x <= boundaries[i]``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.bucketize(rt.tensor([1, 3, 5]), rt.tensor([1, 3]), right=True)
    tensor([1, 2, 2])
    """
    _check_tensor("bucketize", boundaries)
    b = boundaries._data
    if b.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    vals = input._data if isinstance(input, Tensor) else np.asarray(input)
    return _search("bucketize", b, vals, "right" if right else "left", out_int32)
