"""Strided views: diagonal, as_strided, unfold.

Their gradients go through ``Transfer``: a scatter-add of the gradient into a buffer
followed by a gather, with element index arrays describing where each element of the
view sits. Transfer's adjoint is Transfer with source and destination swapped, so
double backward works, and overlapping views (unfold windows, as_strided with repeated
elements) sum their gradients as torch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, ViewOp, register
from .movement import wrap_dim

__all__ = ["diagonal", "as_strided"]  # unfold is a method only, as in torch

_as_strided = np.lib.stride_tricks.as_strided


def element_index(shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> np.ndarray:
    """The storage index of every element of a strided layout."""
    idx = np.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides, strict=True)):
        idx += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return idx


class Transfer(Op):
    """``y = x_dst_gather(w * scatter_add(x at src))``: a linear map between two index sets of one buffer."""

    _name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, src: np.ndarray, dst: np.ndarray, w: np.ndarray | None, n: int) -> np.ndarray:
        if ctx is not None:
            ctx.args = (src, dst, w, n)
        a = x._data
        buf = np.bincount(src.ravel(), weights=a.ravel().astype(np.float64), minlength=n) if a.size else np.zeros(n)
        if w is not None:
            buf *= w
        return buf.astype(a.dtype)[dst]  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the adjoint swaps source and destination
        src, dst, w, n = ctx.args
        return Transfer.apply(grad, dst, src, w, n)  # type: ignore[no-any-return]


def view_backward(grad: Tensor, in_shape: tuple[int, ...], out_idx: np.ndarray) -> Tensor:
    """Gradient of a view whose element ``i`` is input element ``out_idx[i]`` (row-major numbering)."""
    numel = int(np.prod(in_shape))
    in_idx = np.arange(numel, dtype=np.int64).reshape(in_shape)
    return Transfer.apply(grad, out_idx, in_idx, None, numel)  # type: ignore[no-any-return]


# --------------------------------------------------------------------- diagonal
def _diag_view(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    n1, n2 = a.shape[d1], a.shape[d2]
    size = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    if size:
        first = [0] * a.ndim
        if offset >= 0:
            first[d2] = offset
        else:
            first[d1] = -offset
        start = a[tuple(slice(f, None) for f in first)]
    else:
        start = a
    keep = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = (*(a.shape[i] for i in keep), size)
    strides = (*(a.strides[i] for i in keep), a.strides[d1] + a.strides[d2])
    return _as_strided(start, shape, strides, writeable=start.flags.writeable)


class Diagonal(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, offset: int, d1: int, d2: int) -> np.ndarray:
        if ctx is not None:
            ctx.args = (offset, d1, d2)
        return _diag_view(x._data, offset, d1, d2)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the gradient embedded on the diagonal of zeros
        shape = ctx._in_meta[0][0]
        idx = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
        return view_backward(grad, shape, _diag_view(idx, *ctx.args))


@register
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The view of diagonal ``offset`` of the planes ``(dim1, dim2)``, appended as the last dim, as ``torch.diagonal``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.arange(9).reshape(3, 3)
    >>> x.diagonal(), x.diagonal(1), x.diagonal(-1).stride()
    (tensor([0, 4, 8]), tensor([1, 5]), (4,))
    """
    n = input._data.ndim
    d1 = wrap_dim(dim1, n, "diagonal")
    d2 = wrap_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    if isinstance(offset, bool) or not isinstance(offset, int | np.integer):
        raise TypeError(f"diagonal(): argument 'offset' must be int, not {type(offset).__name__}")
    return Diagonal.apply(input, int(offset), d1, d2)  # type: ignore[no-any-return]


# ------------------------------------------------------------------- as_strided
class AsStrided(ViewOp):
    @staticmethod
    def forward(
        ctx: Any, x: Tensor, size: tuple[int, ...], stride: tuple[int, ...], offset: int, buf: np.ndarray
    ) -> np.ndarray:
        if ctx is not None:
            in_idx = element_index(x._data.shape, x.stride(), x.storage_offset())
            out_idx = element_index(size, stride, offset)
            n = max(int(in_idx.max(initial=0)), int(out_idx.max(initial=0))) + 1
            count = np.bincount(in_idx.ravel(), minlength=n)
            # an input whose elements overlap (e.g. expanded) shares the gradient of a location equally
            w = 1.0 / np.maximum(count, 1) if count.max(initial=0) > 1 else None
            ctx.args = (out_idx, in_idx, w, n)
        item = buf.itemsize
        return _as_strided(buf[offset:], size, tuple(s * item for s in stride))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # scatter-add into the storage, read the input's geometry back
        return Transfer.apply(grad, *ctx.args)  # type: ignore[no-any-return]


def _ints(op: str, name: str, v: Any) -> tuple[int, ...]:
    if isinstance(v, int | np.integer):
        v = (v,)
    try:
        return tuple(int(s.__index__()) for s in v)
    except (AttributeError, TypeError):
        raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}") from None


@register
def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    """A view of ``input``'s storage with the given size, strides and storage offset, as ``torch.as_strided``.

    ``storage_offset`` counts from the start of the storage (default: ``input``'s own offset).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.arange(6)
    >>> x.as_strided((2, 2), (1, 2))
    tensor([[0, 2],
            [1, 3]])
    >>> x[2:].as_strided((2,), (1,), 0)
    tensor([0, 1])
    """
    sz = _ints("as_strided", "size", size)
    st = _ints("as_strided", "stride", stride)
    if len(sz) != len(st):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape ({list(sz)} vs {list(st)})")
    if any(s < 0 for s in st):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(st)}")
    if any(s < 0 for s in sz):
        raise RuntimeError(f"as_strided: negative size in {list(sz)}")
    off = input.storage_offset() if storage_offset is None else int(storage_offset)
    if off < 0:
        raise RuntimeError(f"as_strided: invalid storage offset {off}")
    dt = input._data.dtype
    raw = input._get_storage()._buf
    buf = raw if raw.dtype == dt else raw.view(np.uint8).view(dt)
    need = off + sum((n - 1) * s for n, s in zip(sz, st, strict=True)) + 1 if all(sz) else 0
    if need > buf.size:
        raise RuntimeError(
            f"as_strided: setStorage: sizes {list(sz)}, strides {list(st)}, storage offset {off}, and itemsize "
            f"{dt.itemsize} requiring a storage size of {need * dt.itemsize} are out of bounds for storage of size "
            f"{buf.size * dt.itemsize}"
        )
    return AsStrided.apply(input, sz, st, off, buf)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------- unfold
def _unfold_view(a: np.ndarray, d: int, size: int, step: int) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(1)
    n = a.shape[d]
    shape = (*a.shape[:d], (n - size) // step + 1, *a.shape[d + 1 :], size)
    strides = (*a.strides[:d], a.strides[d] * step, *a.strides[d + 1 :], a.strides[d])
    return _as_strided(a, shape, strides, writeable=a.flags.writeable)


class Unfold(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, d: int, size: int, step: int) -> np.ndarray:
        if ctx is not None:
            ctx.args = (d, size, step)
        return _unfold_view(x._data, d, size, step)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # every window adds its gradient to the elements it covers
        shape = ctx._in_meta[0][0]
        idx = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
        return view_backward(grad, shape, _unfold_view(idx, *ctx.args))


@register
def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of all windows of ``size`` elements, ``step`` apart, along ``dimension`` (appended last).

    As ``torch.Tensor.unfold``; windows may overlap, their gradients add up.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(5).unfold(0, 2, 1)
    tensor([[0, 1],
            [1, 2],
            [2, 3],
            [3, 4]])
    """
    shape = input._data.shape
    d = wrap_dim(dimension, len(shape), "unfold")
    n = shape[d] if shape else 1
    if size < 0:
        raise RuntimeError(f"unfold(): size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"unfold(): maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold(): step is {step} but must be > 0")
    return Unfold.apply(input, d, int(size), int(step))  # type: ignore[no-any-return]
