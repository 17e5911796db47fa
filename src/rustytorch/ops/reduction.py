"""Reductions: each op's forward (NumPy) and backward (tensor ops) side by side."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtype import to_dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import Op, register

__all__ = ["sum"]


def reduce_dims(op: str, dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalise ``dim`` (None, int, tuple or list; empty means all) to sorted axes or None."""
    if dim is None:
        return None
    if isinstance(dim, int | np.integer):
        return (_wrap_dim(int(dim), ndim, op),)
    dims = tuple(_wrap_dim(int(d), ndim, op) for d in dim)
    if not dims:
        return None
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def expand_reduced(grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    """Broadcast the gradient of a reduction back over the reduced dimensions (a view)."""
    if not keepdim and shape:
        if dims is None:
            grad = grad.reshape((1,) * len(shape))
        else:
            grad = grad.reshape(tuple(1 if i in dims else s for i, s in enumerate(shape)))
    return grad.expand(shape)


class Sum(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool, dtype: Any) -> np.ndarray:
        a = x._data
        if dtype is not None:
            a = a.astype(to_dtype(dtype).np)
        elif a.dtype.kind in "biu":
            a = a.astype(np.int64)
        if ctx is not None:
            ctx.dims = dims
            ctx.keepdim = keepdim
        return np.sum(a, axis=dims, keepdims=keepdim)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d sum(x) = expand(grad)
        shape = ctx._in_meta[0][0]
        return expand_reduced(grad, shape, ctx.dims, ctx.keepdim)


@register
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or None for all), as ``torch.sum``; ints and bools sum to int64.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1, 2], [3, 4]])
    >>> rt.sum(x), x.sum(dim=0), x.sum(1, keepdim=True)
    (tensor(10), tensor([4, 6]), tensor([[3],
            [7]]))
    """
    return Sum.apply(input, reduce_dims("sum", dim, input._data.ndim), bool(keepdim), dtype)  # type: ignore[no-any-return]
