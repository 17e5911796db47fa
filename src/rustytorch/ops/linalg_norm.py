"""``rt.linalg`` norms, small products and powers: ``matrix_norm``, ``norm``, ``vecdot``, ``multi_dot``,
``matrix_power`` (and the top-level ``matrix_power``).

Vector norms are the reductions' ``linalg.vector_norm`` op; the matrix norms are compositions of
differentiable ops (``vector_norm``, ``amax``/``amin``, ``svdvals``), as torch computes them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._dtype import to_dtype
from .._tensor import Tensor, _make, _wrap_dim
from ._registry import OPS, Op, register
from .linalg import dtype_name, matmul, write_out
from .linalg_decomp import _out, check_matrix, linalg_inv

__all__ = ["matrix_power"]


def _vector_norm(*args: Any, **kwargs: Any) -> Tensor:
    return OPS["linalg.vector_norm"](*args, **kwargs)  # type: ignore[no-any-return]


def _keep(r: Tensor, shape: tuple[int, ...], dims: tuple[int, int]) -> Tensor:
    """Put back the two reduced dimensions as size 1 (``keepdim=True``)."""
    return r.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))


@register(name="linalg.matrix_norm", method=False)
def linalg_matrix_norm(
    A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *, dtype: Any = None, out: Any = None
) -> Tensor:
    """Matrix norm over the two dimensions ``dim``, as ``torch.linalg.matrix_norm``.

    ``ord``: 'fro' (default), 'nuc' (sum of singular values), 2 / -2 (largest / smallest singular
    value), 1 / -1 (max / min column sum of ``|A|``), inf / -inf (max / min row sum).

    Examples
    --------
    >>> import rustytorch as rt
    >>> A = rt.tensor([[3.0, 0.0], [-4.0, 0.0]])
    >>> rt.linalg.matrix_norm(A), rt.linalg.matrix_norm(A, ord=1), rt.linalg.matrix_norm(A, ord=float("inf"))
    (tensor(5.), tensor(7.), tensor(4.))
    """
    r = _matrix_norm(A, ord, dim, keepdim, dtype)
    return r if out is None else write_out(out, r, "linalg.matrix_norm")


def _matrix_norm(A: Tensor, ord: Any, dim: Any, keepdim: bool, dtype: Any) -> Tensor:
    op = "linalg.matrix_norm"
    check_matrix(op, A)
    if dtype is not None:
        d = to_dtype(dtype)
        src = A.dtype
        if d is not src and d.itemsize < src.itemsize:
            raise RuntimeError(
                f"{op}: the dtype of the input ({src.name}) should be convertible without narrowing to the specified "
                f"dtype ({d.name})"
            )
        A = A.to(d)
    shape = A._data.shape
    if not isinstance(dim, tuple | list) or len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {len(dim) if isinstance(dim, tuple | list) else dim}")
    d0, d1 = (_wrap_dim(int(x), len(shape), op) for x in dim)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({dim[0]}, {dim[1]})")
    if isinstance(ord, str):
        if ord == "fro":
            return _vector_norm(A, 2, dim=(d0, d1), keepdim=keepdim)
        if ord != "nuc":
            raise RuntimeError(f"{op}: Order {ord} not supported.")
        s = _svdvals_over(A, d0, d1)
        r = s.sum(-1)
    elif ord in (2, -2):
        s = _svdvals_over(A, d0, d1)
        if s._data.shape[-1] == 0:
            r = s.sum(-1)  # empty matrix: 0, as torch
        else:
            r = s.amax(dim=-1) if ord == 2 else s.amin(dim=-1)
    elif ord in (1, -1, math.inf, -math.inf):
        sum_dim, max_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        col = _vector_norm(A, 1, dim=sum_dim, keepdim=True)  # sum of |A| along sum_dim
        if col._data.shape[max_dim] == 0:
            r = col.sum(dim=max_dim, keepdim=True)
        else:
            r = col.amax(dim=max_dim, keepdim=True) if ord > 0 else col.amin(dim=max_dim, keepdim=True)
        return r if keepdim else r.reshape(tuple(n for i, n in enumerate(shape) if i not in (d0, d1)))
    else:
        raise RuntimeError(f"{op}: Order {ord} not supported.")
    return _keep(r, shape, (d0, d1)) if keepdim else r


def _svdvals_over(A: Tensor, d0: int, d1: int) -> Tensor:
    from .linalg_spectral import linalg_svdvals

    nd = A._data.ndim
    if (d0, d1) != (nd - 2, nd - 1):
        A = A.movedim((d0, d1), (-2, -1))
    return linalg_svdvals(A)


@register(name="linalg.norm", method=False)
def linalg_norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, out: Any = None
) -> Tensor:
    """Vector or matrix norm, as ``torch.linalg.norm``.

    A matrix norm when ``dim`` is a 2-tuple or when ``dim`` is None, ``ord`` is given and the input
    is 2-D; otherwise a vector norm (``linalg.vector_norm``; ``ord=None`` is the 2-norm of all elements).

    Examples
    --------
    >>> import rustytorch as rt
    >>> A = rt.tensor([[3.0, 0.0], [0.0, 4.0]])
    >>> rt.linalg.norm(A), rt.linalg.norm(A, ord=2), rt.linalg.norm(A, dim=1)
    (tensor(5.), tensor(4.), tensor([3., 4.]))
    """
    r = _norm(A, ord, dim, keepdim, dtype)
    return r if out is None else write_out(out, r, "linalg.norm")


def _norm(A: Tensor, ord: Any, dim: Any, keepdim: bool, dtype: Any) -> Tensor:
    op = "linalg.norm"
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(A).__name__}")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"{op}: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
        if len(dim) == 2:
            return linalg_matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        if isinstance(ord, str):
            raise RuntimeError(f"{op}: ord {ord!r} is a matrix norm, but dim {list(dim)} selects a vector norm")
        return _vector_norm(A, 2 if ord is None else ord, dim=dim, keepdim=keepdim, dtype=dtype)
    if ord is None:
        return _vector_norm(A, 2, dim=None, keepdim=keepdim, dtype=dtype)
    nd = A._data.ndim
    if nd == 2:
        return linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if nd == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"{op}: ord {ord!r} is a matrix norm, but the input is 1D")
        return _vector_norm(A, ord, dim=None, keepdim=keepdim, dtype=dtype)
    raise RuntimeError(f"{op}: If dim is not specified but ord is, the input must be 1D or 2D. Got {nd}D.")


@register(name="linalg.vecdot", method=False)
def linalg_vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Any = None) -> Tensor:
    """Dot product of vectors along ``dim`` with broadcasting, as ``torch.linalg.vecdot``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.vecdot(rt.tensor([[1.0, 2.0], [3.0, 4.0]]), rt.tensor([1.0, 1.0]))
    tensor([3., 7.])
    """
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(f"linalg.vecdot(): arguments must be Tensors, got {type(x).__name__} and {type(y).__name__}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {dtype_name(x._data)} and y "
            f"of type {dtype_name(y._data)} instead"
        )
    r = (x * y).sum(dim)
    return r if out is None else write_out(out, r, "linalg.vecdot")  # type: ignore[no-any-return]


@register(name="linalg.multi_dot", method=False)
def linalg_multi_dot(tensors: Any, *, out: Any = None) -> Tensor:
    """Product of a chain of matrices (the first may be a 1-D row, the last a 1-D column), as
    ``torch.linalg.multi_dot``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.multi_dot([rt.tensor([1.0, 2.0]), rt.tensor([[1.0, 0.0], [0.0, 2.0]]), rt.tensor([1.0, 1.0])])
    tensor(5.)
    """
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"multi_dot(): tensor {i} must be a Tensor, not {type(t).__name__}")
        if t._data.dtype != ts[0]._data.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {dtype_name(ts[0]._data)} and "
                f"tensor {i} {dtype_name(t._data)}"
            )
        nd = t._data.ndim
        edge = "first" if i == 0 else "last" if i == len(ts) - 1 else None
        if edge is not None and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {edge} tensor must be 1D or 2D but got {nd}D")
        if edge is None and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    for i in range(len(ts) - 1):
        a, b = ts[i]._data.shape, ts[i + 1]._data.shape
        if a[-1] != b[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(a)} and {list(b)} cannot be multiplied"
            )
    r = ts[0]
    for t in ts[1:]:
        r = matmul(r, t)
    return r if out is None else write_out(out, r, "linalg.multi_dot")


# ------------------------------------------------------------------ matrix_power
class _EyeLike(Op):
    """Identity matrices of ``A``'s shape: ``A ** 0``, whose derivative is zero (as torch, it stays in the graph)."""

    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx: Any, A: Tensor) -> np.ndarray:
        a = A._data
        return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d A^0 / dA = 0
        shape, dt = ctx._in_meta[0]
        return _make(np.zeros(shape, dtype=dt))


@register(name="linalg.matrix_power", method=False)
def linalg_matrix_power(A: Tensor, n: int, *, out: Tensor | None = None) -> Tensor:
    """``A`` multiplied by itself ``n`` times (the identity for 0, powers of the inverse for n < 0), as
    ``torch.linalg.matrix_power``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linalg.matrix_power(rt.tensor([[1, 1], [0, 1]]), 3)
    tensor([[1, 3],
            [0, 1]])
    """
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.matrix_power(): argument 'A' must be Tensor, not {type(A).__name__}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"linalg.matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    a = A._data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but got a tensor of shape {list(a.shape)}"
        )
    n = int(n)
    if n == 0:
        r = _EyeLike.apply(A)
    else:
        base = linalg_inv(A) if n < 0 else A
        r = None
        p = base
        k = abs(n)
        while k:  # binary powering: differentiable through matmul
            if k & 1:
                r = p if r is None else matmul(r, p)
            k >>= 1
            if k:
                p = matmul(p, p)
        assert r is not None
        if r is A:
            r = r.clone()  # A ** 1 is a copy of A
    return r if out is None else _out(out, r, "linalg.matrix_power")


@register
def matrix_power(input: Tensor, n: int) -> Tensor:
    """Alias of ``rt.linalg.matrix_power``, as ``torch.matrix_power``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[0.5]]).matrix_power(-2)
    tensor([[4.]])
    """
    return linalg_matrix_power(input, n)
