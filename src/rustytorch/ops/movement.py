"""Views and movement ops: metadata-only views of the same storage, with their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, ViewOp, register

__all__ = ["reshape", "view", "expand", "broadcast_to", "expand_as", "view_as", "reshape_as"]


def parse_shape(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)`` all mean shape (2, 3)."""
    if len(args) == 1 and not isinstance(args[0], int | np.integer):
        a = args[0]
        if isinstance(a, Tensor):
            return tuple(int(v) for v in a.tolist()) if a.ndim else (int(a.item()),)
        args = tuple(a)
    try:
        return tuple(int(s.__index__()) for s in args)
    except (AttributeError, TypeError):
        raise TypeError(f"shape must be a sequence of ints, got {args!r}") from None


def infer_shape(op: str, shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape; RuntimeError as torch when the sizes disagree."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: neg[0]] + (numel // known,) + shape[neg[0] + 1 :]
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class View(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        try:
            return np.reshape(x._data, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (input shape {list(x.shape)}, "
                f"strides {list(x.stride())}, requested shape {list(shape)}): at least one dimension spans across "
                f"two contiguous subspaces. Use .reshape(...) instead."
            ) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # a view's gradient is the gradient reshaped back
        return grad.reshape(ctx._in_meta[0][0])


class UnsafeView(Op):
    """reshape that had to copy."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        return np.reshape(x._data, shape, copy=True)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx._in_meta[0][0])


@register
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """A tensor of the given shape with the same elements: a view when the strides allow, else a copy, as ``torch.reshape``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(6).reshape(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    a = input._data
    s = infer_shape("reshape", parse_shape(shape), a.size)
    if s == a.shape:
        return View.apply(input, s)  # type: ignore[no-any-return]
    try:
        np.reshape(a, s, copy=False)
    except ValueError:
        return UnsafeView.apply(input, s)  # type: ignore[no-any-return]
    return View.apply(input, s)  # type: ignore[no-any-return]


@register
def view(input: Tensor, *shape: Any) -> Tensor:
    """A view with another shape (never a copy), as ``torch.Tensor.view``; RuntimeError when the strides do not allow it.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 3); v = x.view(6); v[0] = 1; x[0, 0].item()
    1.0
    """
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list) and not isinstance(shape[0], Tensor):
        from .conversion import view_dtype

        return view_dtype(input, shape[0])
    return View.apply(input, infer_shape("view", parse_shape(shape), input._data.size))  # type: ignore[no-any-return]


class Expand(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d expand(x) = sum of grad over the expanded dims
        shape = ctx._in_meta[0][0]
        lead = grad.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1)
        if dims:
            grad = grad.sum(dim=dims, keepdim=True)
        return grad.reshape(shape) if lead else grad


@register
def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A view with size-1 dimensions repeated (stride 0) to ``sizes``; -1 keeps a size, as ``torch.Tensor.expand``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1], [2]]).expand(2, 3)
    tensor([[1, 1, 1],
            [2, 2, 2]])
    """
    target = parse_shape(sizes)
    a = input._data
    if len(target) < a.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({a.ndim})"
        )
    lead = len(target) - a.ndim
    shape = list(target)
    for i, n in enumerate(a.shape):
        t = target[lead + i]
        if t == -1:
            shape[lead + i] = n
        elif n != 1 and n != t:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({t}) must match the existing size ({n}) at non-singleton "
                f"dimension {lead + i}.  Target sizes: {list(target)}.  Tensor sizes: {list(a.shape)}"
            )
    if any(s < 0 for s in shape[:lead]):
        raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension (sizes {list(target)})")
    s = tuple(shape)
    if s == a.shape:
        return View.apply(input, s)  # type: ignore[no-any-return]
    return Expand.apply(input, s)  # type: ignore[no-any-return]


@register
def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """``input.expand(size)``, as ``torch.broadcast_to``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.broadcast_to(rt.tensor([1, 2]), (2, 2))
    tensor([[1, 2],
            [1, 2]])
    """
    return expand(input, size)


@register
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1]).expand_as(rt.zeros(3)).tolist()
    [1, 1, 1]
    """
    return expand(input, other._data.shape)


@register
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(4).view_as(rt.zeros(2, 2)).shape
    rustytorch.Size([2, 2])
    """
    return view(input, other._data.shape)


@register
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(4).reshape_as(rt.zeros(2, 2)).shape
    rustytorch.Size([2, 2])
    """
    return reshape(input, other._data.shape)
