"""Gather / scatter family: ``gather``, ``scatter`` (+ ``_``), ``scatter_add`` (+ ``_``), ``take``, ``take_along_dim``.

``gather`` and ``scatter_add`` are each other's gradient. Index tensors are read as NumPy
arrays (params of the op, not differentiable inputs). 0-d tensors act as 1-element 1-D
tensors, as torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make, _wrap_dim
from ._registry import Op, inplace, register
from .indexing import IndexPut, scalar_value

__all__ = ["gather", "scatter", "scatter_add", "take", "take_along_dim"]

_INT32_64 = (np.dtype(np.int64), np.dtype(np.int32))


def index_array(op: str, index: Any, long_only: bool = False) -> np.ndarray:
    """The NumPy array of an integer index tensor; RuntimeError for other dtypes, as torch."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    a = index._data
    if long_only:
        if a.dtype != np.int64:
            raise RuntimeError(f"{op}(): Expected dtype int64 for index, but got {index.dtype!r}")
    elif a.dtype not in _INT32_64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index (or int32), but got {index.dtype!r}")
    return a


def _along(idx: np.ndarray, d: int) -> tuple[Any, ...]:
    """The open-mesh NumPy key selecting ``a[i0, .., idx[i0, .., ik], .., in]`` (``take_along_axis``)."""
    nd = idx.ndim
    return tuple(idx if k == d else np.arange(n).reshape((-1,) + (1,) * (nd - k - 1)) for k, n in enumerate(idx.shape))


def _check_range(op: str, idx: np.ndarray, n: int, d: int) -> None:
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            bad = hi if hi >= n else lo
            raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}")


def _check_shapes(op: str, shape: tuple[int, ...], idx: np.ndarray, d: int, src: tuple[int, ...] | None) -> None:
    if len(shape) != idx.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor")
    if src is not None and len(src) != idx.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as src tensor")
    for k, n in enumerate(idx.shape):
        if (k != d and n > shape[k]) or (src is not None and n > src[k]):
            if src is None:
                raise RuntimeError(
                    f"{op}(): Size does not match at dimension {k} expected index {list(idx.shape)} to be no larger "
                    f"than self {list(shape)} apart from dimension {d}"
                )
            raise RuntimeError(
                f"{op}(): Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                f"dimension {d} and to be no larger size than src {list(src)}"
            )


def _nd1(shape: tuple[int, ...]) -> tuple[int, ...]:
    return shape if shape else (1,)


class Gather(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, index: np.ndarray) -> np.ndarray:
        a = x._data
        if ctx is not None:
            ctx.dim = dim
            ctx.index = index
        r = a.reshape(_nd1(a.shape))[_along(index.reshape(_nd1(index.shape)), dim)]
        return r.reshape(index.shape)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d gather(x, idx) = scatter_add of grad into zeros at idx
        z = _make(np.zeros(ctx._in_meta[0][0], dtype=grad._data.dtype))
        return Scatter.apply(z, grad, dim=ctx.dim, index=ctx.index, reduce="add")  # type: ignore[no-any-return]


def _gather_args(op: str, input: Tensor, dim: int, index: Any) -> tuple[int, np.ndarray]:
    idx = index_array(op, index)
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape), op)
    _check_shapes(op, _nd1(shape), idx.reshape(_nd1(idx.shape)), d, None)
    _check_range(op, idx, _nd1(shape)[d], d)
    return d, idx


@register
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Values along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]`` for dim 0, as ``torch.gather``.

    ``index`` has ``input``'s number of dimensions and sizes no larger than ``input``'s
    outside ``dim``; the result has ``index``'s shape. The gradient is ``scatter_add``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1, 2], [3, 4]])
    >>> rt.gather(x, 1, rt.tensor([[0, 0], [1, 0]]))
    tensor([[1, 1],
            [4, 3]])
    """
    d, idx = _gather_args("gather", input, dim, index)
    r = Gather.apply(input, dim=d, index=idx)
    if out is None:
        return r  # type: ignore[no-any-return]
    from ._pointwise import to_out

    return to_out(out, r, "gather")


class Scatter(Op):
    """A copy of ``x`` with ``src`` (tensor or scalar) written / added / multiplied along ``dim`` at ``index``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, src: Any, dim: int, index: np.ndarray, reduce: str | None = None) -> np.ndarray:
        out = x._data.copy()
        o = out.reshape(_nd1(out.shape))
        idx = index.reshape(_nd1(index.shape))
        key = _along(idx, dim)
        if isinstance(src, Tensor):
            lead: tuple[Any, ...] = tuple(map(slice, idx.shape))
            s = src._data.reshape(_nd1(src._data.shape))[lead]
        else:
            s = src
        if reduce is None:
            o[key] = s
        elif reduce == "add":
            np.add.at(o, key, s)
        else:
            np.multiply.at(o, key, s)
        if ctx is not None:
            ctx.dim = dim
            ctx.index = index
            ctx.reduce = reduce
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # d scatter(x, idx, src): grad with zeros at idx for x (grad itself for add), grad gathered at idx for src
        if ctx.reduce == "multiply":
            raise RuntimeError("scatter(): the derivative for reduce='multiply' is not implemented")
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = grad if ctx.reduce == "add" else Scatter.apply(grad, 0.0, dim=ctx.dim, index=ctx.index)
        if ctx.needs_input_grad[1]:
            gs = Gather.apply(grad, dim=ctx.dim, index=ctx.index)
            gs = _pad_to(gs, ctx._in_meta[1][0])
        return gx, gs


def _pad_to(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``g`` in the leading block of zeros of ``shape`` (src larger than index gets zero gradient elsewhere)."""
    if not shape:
        return g.reshape(())
    if tuple(g.shape) == shape:
        return g
    z = _make(np.zeros(shape, dtype=g._data.dtype))
    key = ((*(slice(0, n) for n in g.shape), Ellipsis), None)
    return IndexPut.apply(z, g, key=key, accumulate=False)  # type: ignore[no-any-return]


def _scatter_args(op: str, input: Tensor, dim: int, index: Any, src: Any) -> tuple[int, np.ndarray, Any]:
    idx = index_array(op, index)
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape), op)
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"{op}(): Expected self.dtype to be equal to src.dtype (got {input.dtype!r} and {src.dtype!r})"
            )
        sshape: tuple[int, ...] | None = _nd1(src._data.shape)
    else:
        src = scalar_value(src, input._data.dtype)
        sshape = None
    _check_shapes(op, _nd1(shape), idx.reshape(_nd1(idx.shape)), d, sshape)
    _check_range(op, idx, _nd1(shape)[d], d)
    return d, idx, src


def _scatter(op: str, input: Tensor, dim: int, index: Any, src: Any, value: Any, reduce: str | None) -> Tensor:
    if src is None:
        if value is None:
            raise TypeError(f"{op}(): expected a 'src' Tensor or a 'value' number")
        src = value
    elif value is not None:
        raise TypeError(f"{op}(): got both 'src' and 'value'")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"{op}(): reduce argument must be either add or multiply, got {reduce!r}")
    d, idx, s = _scatter_args(op, input, dim, index, src)
    return Scatter.apply(input, s, dim=d, index=idx, reduce=reduce)  # type: ignore[no-any-return]


@register
def scatter(
    input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: str | None = None
) -> Tensor:
    """A copy of ``input`` with ``src`` written along ``dim`` at ``index``, as ``torch.scatter``.

    ``src`` is a tensor (its leading block of ``index``'s shape is used) or a number
    (also accepted as ``value=``). ``reduce`` is None, ``'add'`` or ``'multiply'``. With
    duplicate indices (and no ``reduce``) the last write wins.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.scatter(rt.zeros(2, 3), 1, rt.tensor([[2], [0]]), rt.tensor([[1.0], [2.0]]))
    tensor([[0., 0., 1.],
            [2., 0., 0.]])
    >>> rt.zeros(3).scatter(0, rt.tensor([1]), 5.0)
    tensor([0., 5., 0.])
    """
    return _scatter("scatter", input, dim, index, src, value, reduce)


@register
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added along ``dim`` at ``index`` (duplicates add), as ``torch.scatter_add``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.scatter_add(rt.zeros(3), 0, rt.tensor([0, 2, 0]), rt.tensor([1.0, 2.0, 3.0]))
    tensor([4., 0., 2.])
    """
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _scatter("scatter_add", input, dim, index, src, None, "add")


def _scatter_(
    self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None
) -> Tensor:
    """In-place :func:`scatter`."""
    return inplace(self, "scatter_", lambda t, s, v: _scatter("scatter_", t, dim, index, s, v, reduce), src, value)


def _scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In-place :func:`scatter_add`."""
    return inplace(self, "scatter_add_", lambda t, s: scatter_add(t, dim, index, s), src)


Tensor.scatter_ = _scatter_  # type: ignore[attr-defined]
Tensor.scatter_add_ = _scatter_add_  # type: ignore[attr-defined]


class Take(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, index: np.ndarray) -> np.ndarray:
        if ctx is not None:
            ctx.index = index
        return np.take(x._data.reshape(-1), index)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d take(x, idx) = grad accumulated into flat zeros at idx
        shape = ctx._in_meta[0][0]
        n = int(np.prod(shape))
        z = _make(np.zeros((n,), dtype=grad._data.dtype))
        key = ((Ellipsis,), (ctx.index.reshape(-1),))
        return IndexPut.apply(z, grad.reshape(-1), key=key, accumulate=True).reshape(shape)  # type: ignore[no-any-return]


@register
def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (negative indices count from the end), as ``torch.take``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.take(rt.tensor([[1, 2], [3, 4]]), rt.tensor([[0, -1]]))
    tensor([[1, 4]])
    """
    idx = index_array("take", index, long_only=True)
    n = input._data.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(f"take(): out of range: tried to access index {bad} on a tensor of {n} elements.")
    return Take.apply(input, index=idx)  # type: ignore[no-any-return]


@register
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *, out: Tensor | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (broadcasting the other dims), as ``torch.take_along_dim``.

    With ``dim=None`` both are flattened. Negative indices count from the end along ``dim``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[10, 30, 20], [60, 40, 50]])
    >>> rt.take_along_dim(x, rt.tensor([[0], [1]]), dim=1)
    tensor([[10],
            [40]])
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' must be Tensor, not {type(indices).__name__}")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {indices.dtype!r}")
    if dim is None:
        x = input.reshape(-1)
        d, idx = _gather_args("take_along_dim", x, 0, indices.reshape(-1))
        r = Gather.apply(x, dim=0, index=idx)
    else:
        shape = input._data.shape
        ishape = indices._data.shape
        if len(shape) != len(ishape):
            raise RuntimeError(
                f"torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
                f"{len(shape)} dimensions for input, and {len(ishape)} dimensions for indices"
            )
        if not shape:
            raise IndexError(f"take_along_dim(): Dimension specified as {dim} but tensor has no dimensions")
        d = _wrap_dim(dim, len(shape), "take_along_dim")
        b = []
        for k, (m, n) in enumerate(zip(shape, ishape, strict=True)):
            if k != d and m != n and m != 1 and n != 1:
                raise RuntimeError(
                    f"take_along_dim(): The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                    f"non-singleton dimension {k}"
                )
            b.append(max(m, n) if m and n else 0)
        in_shape = tuple(shape[k] if k == d else b[k] for k in range(len(b)))
        idx_shape = tuple(ishape[k] if k == d else b[k] for k in range(len(b)))
        a = np.broadcast_to(indices._data, idx_shape)
        a = np.where(a < 0, a + shape[d], a)
        x = input if in_shape == shape else input.expand(in_shape)
        _check_range("take_along_dim", a, shape[d], d)
        r = Gather.apply(x, dim=d, index=a)
    if out is None:
        return r
    from ._pointwise import to_out

    return to_out(out, r, "take_along_dim")
