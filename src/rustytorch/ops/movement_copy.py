"""Movement ops that copy: flip, fliplr, flipud, roll, repeat, tile, tril, triu (and tril_/triu_)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, inplace, register
from .movement import _dim_list, parse_shape, reshape, wrap_dim

__all__ = ["flip", "fliplr", "flipud", "roll", "tile", "tril", "triu"]


def _dims_arg(dims: tuple[Any, ...]) -> tuple[Any, ...]:
    """``f(0, 1)``, ``f((0, 1))`` and ``f([0, 1])`` all mean dims (0, 1)."""
    if len(dims) == 1 and not isinstance(dims[0], int | np.integer):
        return tuple(dims[0])
    return dims


class Flip(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.dims = dims
        return np.flip(x._data, dims).copy() if dims else x._data.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # flipping is its own inverse
        return Flip.apply(grad, ctx.dims)  # type: ignore[no-any-return]


@register
def flip(input: Tensor, *dims: Any) -> Tensor:
    """A copy with the order of elements reversed along ``dims``, as ``torch.flip``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1, 2], [3, 4]]).flip(1)
    tensor([[2, 1],
            [4, 3]])
    >>> rt.flip(rt.tensor([[1, 2], [3, 4]]), (0, 1))
    tensor([[4, 3],
            [2, 1]])
    """
    n = input._data.ndim
    d = _dim_list("flip", _dims_arg(dims), n)
    return Flip.apply(input, d if n else ())  # type: ignore[no-any-return]


@register
def fliplr(input: Tensor) -> Tensor:
    """``flip(input, 1)`` for a tensor of at least 2 dims, as ``torch.fliplr``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.fliplr(rt.tensor([[1, 2, 3]]))
    tensor([[3, 2, 1]])
    """
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got a {input._data.ndim}-d tensor.")
    return Flip.apply(input, (1,))  # type: ignore[no-any-return]


@register
def flipud(input: Tensor) -> Tensor:
    """``flip(input, 0)`` for a tensor of at least 1 dim, as ``torch.flipud``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.flipud(rt.tensor([1, 2, 3]))
    tensor([3, 2, 1])
    """
    if input._data.ndim < 1:
        raise RuntimeError(f"flipud: Input must be >= 1-d, got a {input._data.ndim}-d tensor.")
    return Flip.apply(input, (0,))  # type: ignore[no-any-return]


class Roll(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shifts: tuple[int, ...], dims: tuple[int, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.shifts = shifts
            ctx.dims = dims
        return np.roll(x._data, shifts, dims) if dims else x._data.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # roll back by the opposite shifts
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims)  # type: ignore[no-any-return]


@register
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """A copy with elements shifted cyclically along ``dims`` (flattened when None), as ``torch.roll``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1, 2, 3], [4, 5, 6]])
    >>> x.roll(1)
    tensor([[6, 1, 2],
            [3, 4, 5]])
    >>> x.roll((1, -1), (0, 1))
    tensor([[5, 6, 4],
            [2, 3, 1]])
    """
    sh = (shifts,) if isinstance(shifts, int | np.integer) else tuple(shifts)
    sh = tuple(int(s) for s in sh)
    if dims is None:
        if len(sh) != 1:
            if not sh:
                raise RuntimeError("roll: `shifts` required")
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        shape = input._data.shape
        return reshape(Roll.apply(reshape(input, -1), sh, (0,)), shape)
    dm = (dims,) if isinstance(dims, int | np.integer) else tuple(dims)
    if not sh:
        raise RuntimeError("roll: `shifts` required")
    if len(sh) != len(dm):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dm)}")
    n = input._data.ndim
    if n == 0:
        raise IndexError("roll(): Dimension specified as 0 but tensor has no dimensions")
    d = tuple(wrap_dim(v, n, "roll") for v in dm)
    return Roll.apply(input, sh, d)  # type: ignore[no-any-return]


class Repeat(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, reps: tuple[int, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.reps = reps
        a = x._data
        a = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
        return np.tile(a, reps) if reps else a.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # sum the gradient over the copies
        reps = ctx.reps
        shape = ctx._in_meta[0][0]
        lead = len(reps) - len(shape)
        full = (1,) * lead + shape
        split: list[int] = []
        for r, s in zip(reps, full, strict=True):
            split += [r, s]
        g = reshape(grad, tuple(split))
        return reshape(g.sum(dim=tuple(range(0, 2 * len(reps), 2))), shape)


def _reps(op: str, sizes: tuple[Any, ...]) -> tuple[int, ...]:
    reps = parse_shape(sizes)
    for r in reps:
        if r < 0:
            raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {r}: {list(reps)}")
    return reps


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """The tensor repeated ``sizes[i]`` times along each dim (new leading dims when longer), as ``Tensor.repeat``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    reps = _reps("repeat", sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            f"repeat: Number of dimensions of repeat dims ({len(reps)}) can not be smaller than number of dimensions "
            f"of tensor ({input._data.ndim})"
        )
    return Repeat.apply(input, reps)  # type: ignore[no-any-return]


register(repeat)  # a method only: torch has no torch.repeat function


@register
def tile(input: Tensor, dims: Any) -> Tensor:
    """``repeat`` with ``dims`` padded with leading 1s to the tensor's rank, as ``torch.tile``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1, 2]]).tile(2)
    tensor([[1, 2, 1, 2]])
    """
    reps = _reps("tile", (dims,) if isinstance(dims, int | np.integer) else tuple(dims))
    n = input._data.ndim
    if len(reps) < n:
        reps = (1,) * (n - len(reps)) + reps
    return Repeat.apply(input, reps)  # type: ignore[no-any-return]


class Tri(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, diagonal: int, lower: bool) -> np.ndarray:
        if ctx is not None:
            ctx.args = (diagonal, lower)
        a = x._data
        n, m = a.shape[-2:]
        keep = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)
        return np.where(keep, a, np.zeros((), dtype=a.dtype))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the same mask applies to the gradient
        return type(ctx).apply(grad, *ctx.args)  # type: ignore[no-any-return]


class Tril(Tri):
    pass


class Triu(Tri):
    pass


def _tri(op: str, input: Tensor, diagonal: Any, lower: bool) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    if isinstance(diagonal, bool) or not isinstance(diagonal, int | np.integer):
        raise TypeError(f"{op}(): argument 'diagonal' must be int, not {type(diagonal).__name__}")
    return (Tril if lower else Triu).apply(input, int(diagonal), lower)  # type: ignore[no-any-return]


@register
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (elements with ``col - row <= diagonal``) of the last two dims, zeros elsewhere.

    As ``torch.tril``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.ones(3, 3, dtype=rt.int64).tril()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]])
    """
    return _tri("tril", input, diagonal, True)


@register
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (elements with ``col - row >= diagonal``) of the last two dims, zeros elsewhere.

    As ``torch.triu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.ones(2, 3).triu(1)
    tensor([[0., 1., 1.],
            [0., 0., 1.]])
    """
    return _tri("triu", input, diagonal, False)


def _tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place :func:`tril`."""
    return inplace(self, "tril_", tril, diagonal)


def _triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place :func:`triu`."""
    return inplace(self, "triu_", triu, diagonal)


setattr(Tensor, "tril_", _tril_)  # noqa: B010
setattr(Tensor, "triu_", _triu_)  # noqa: B010
