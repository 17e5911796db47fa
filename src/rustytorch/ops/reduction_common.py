"""Shared pieces of the reduction, scan and sorting modules (private: nothing here is a public op).

- ``return_type``: the named tuples that ``max(dim=...)``, ``sort``, ``topk`` ... return, as
  ``torch.return_types.*`` (tuple subclasses with attribute access and torch's repr).
- ``const``: a constant tensor (outside the graph) made from an ndarray.
- ``TakeAlongDim`` / ``PutAlongDim``: gather and scatter-add along one dimension, each the
  other's backward, so gradients that route values to selected elements (max with ``dim``,
  sort, topk, kthvalue, median, mode, cummax) differentiate any number of times.
- ``Pow``: ``x ** p`` for a Python-number ``p``, used by the norm gradients.
- ``big_sum`` / ``row_sums``: fast, deterministic float sums over trailing dimensions (BLAS, blocked).
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import _parallel
from .._blas import gemv_fixed
from .._tensor import Tensor, _make
from ._registry import Op

__all__: list[str] = []

_RETURN_TYPES: dict[str, type] = {}


class _ReturnTypeBase(tuple):  # type: ignore[type-arg]
    """A tuple with named fields and torch's ``torch.return_types.<name>(...)`` repr."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    n_fields = 2
    n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, *args: Any) -> Any:
        if len(args) == 1 and len(cls._fields) != 1:
            args = tuple(args[0])
        if len(args) != len(cls._fields):
            raise TypeError(f"{cls.__name__} takes a {len(cls._fields)}-sequence ({len(args)}-sequence given)")
        return tuple.__new__(cls, args)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
        return f"rustytorch.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self) -> Any:
        return _rebuild_return_type, (type(self).__name__, self._fields, tuple(self))

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


def return_type(name: str, fields: tuple[str, ...] = ("values", "indices")) -> type:
    """The named-tuple class ``rustytorch.return_types.<name>`` (made once per name)."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        ns: dict[str, Any] = {"__slots__": (), "_fields": fields, "__module__": "rustytorch.return_types"}
        for i, f in enumerate(fields):
            ns[f] = property(operator.itemgetter(i), doc=f"Field {i}: {f}.")
        ns["n_fields"] = ns["n_sequence_fields"] = len(fields)
        cls = _RETURN_TYPES[name] = type(name, (_ReturnTypeBase,), ns)
    return cls


def _rebuild_return_type(name: str, fields: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return return_type(name, fields)(values)


def const(a: Any) -> Tensor:
    """A constant tensor (no grad) holding ``a`` (an ndarray or NumPy scalar)."""
    return _make(a if a.__class__ is np.ndarray else np.asarray(a))


def open_index(idx: np.ndarray, dim: int) -> tuple[Any, ...]:
    """A fancy-index tuple addressing ``out[..., idx[...], ...]`` along ``dim`` (the other axes broadcast)."""
    shape = idx.shape
    nd = len(shape)
    return tuple(
        idx if ax == dim else np.arange(shape[ax]).reshape((1,) * ax + (shape[ax],) + (1,) * (nd - ax - 1))
        for ax in range(nd)
    )


def take_along(a: np.ndarray, idx: np.ndarray, dim: int) -> np.ndarray:
    """``np.take_along_axis`` that also takes 0-d arrays (a 0-d gather is the element itself)."""
    if a.ndim == 0:
        return a.copy()
    return np.take_along_axis(a, idx, axis=dim)


def put_along(values: np.ndarray, idx: np.ndarray, dim: int, shape: tuple[int, ...], unique: bool) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``idx`` along ``dim`` (``unique``: no index repeats in a slice)."""
    out = np.zeros(shape, dtype=values.dtype)
    if not shape:
        out[...] = values
    elif unique:
        np.put_along_axis(out, idx, values, axis=dim)
    else:
        np.add.at(out, open_index(idx, dim), values)
    return out


class TakeAlongDim(Op):
    """``x`` gathered at ``idx`` (an int64 ndarray, same ndim as ``x``) along ``dim``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, idx: np.ndarray, dim: int, unique: bool = False) -> np.ndarray:
        if ctx is not None:
            ctx.idx, ctx.dim, ctx.unique = idx, dim, unique
        return take_along(x._data, idx, dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # d gather = scatter-add of the gradient
        return PutAlongDim.apply(grad, ctx.idx, ctx.dim, ctx._in_meta[0][0], ctx.unique)


class PutAlongDim(Op):
    """Zeros of ``shape`` with ``x`` scatter-added at ``idx`` along ``dim``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, idx: np.ndarray, dim: int, shape: tuple[int, ...], unique: bool) -> np.ndarray:
        if ctx is not None:
            ctx.idx, ctx.dim, ctx.unique = idx, dim, unique
        return put_along(x._data, idx, dim, shape, unique)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # d scatter-add = gather of the gradient
        return TakeAlongDim.apply(grad, ctx.idx, ctx.dim, ctx.unique)


def select_backward(grad: Tensor, idx: np.ndarray, dim: int, shape: tuple[int, ...], keepdim: bool) -> Tensor:
    """Gradient of a value-selecting reduction along ``dim`` (max/min/median/kthvalue/mode with ``dim``).

    ``idx`` are the selected indices with the reduced dimension kept (size 1).
    """
    if not shape:
        return grad
    if not keepdim:
        grad = grad.reshape(idx.shape)
    return PutAlongDim.apply(grad, idx, dim, shape, True)  # type: ignore[no-any-return]


def evenly_backward(grad: Tensor, x: np.ndarray, value: np.ndarray) -> Tensor:
    """Gradient of a whole-tensor max/min/median: shared evenly among the elements equal to the result, as torch."""
    v = value.reshape(())
    mask = np.isnan(x) if np.isnan(v) else (x == v)
    w = mask / max(int(np.count_nonzero(mask)), 1)
    return grad * const(w.astype(x.dtype, copy=False))


class Pow(Op):
    """``x ** p`` for a Python number ``p`` (a private helper of the norm gradients)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, p: float) -> np.ndarray:
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.p = p
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.power(x._data, x._data.dtype.type(p))  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # d x^p = p x^(p-1)
        (x,) = ctx.saved_tensors
        return grad * Pow.apply(x, ctx.p - 1) * ctx.p


class Exp(Op):
    """``exp(x)`` (a private helper of the logsumexp / logcumsumexp gradients)."""

    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(x._data)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # d exp(x) = exp(x)
        return grad * ctx.result


# ------------------------------------------------------------------ fast float sums (sum, mean)
_FLOAT_SUMS = (np.dtype(np.float32), np.dtype(np.float64))


def big_sum(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray | None:
    """A fast float sum over the trailing axes of a C-contiguous array (None when it does not apply).

    The trailing axes are flattened into rows and summed by :func:`row_sums` (BLAS, blocked).
    """
    if a.dtype not in _FLOAT_SUMS or not a.flags.c_contiguous:
        return None
    nd = a.ndim
    if axis is None:
        k = nd
    elif axis.__class__ is int and (axis == -1 or axis == nd - 1):
        k = 1
    else:
        axes = sorted(d % nd for d in (axis if isinstance(axis, tuple) else (axis,)))
        k = len(axes)
        if axes != list(range(nd - k, nd)):
            return None
    lead = a.shape[: nd - k]
    if a.size == 0:
        return None
    n = a.size // math.prod(lead)
    r = row_sums(a.reshape(-1, n))
    return r.reshape(lead + (1,) * k if keepdims else lead)


_ROW_BLOCK = 128  # rows are summed in blocks of at most this many elements, then the block sums
_BLOCKS: dict[int, int] = {}  # row length -> block length (0: no block length divides it)


def _block(n: int) -> int:
    b = _BLOCKS.get(n)
    if b is None:
        if len(_BLOCKS) > 4096:
            _BLOCKS.clear()
        b = _BLOCKS[n] = next((d for d in range(_ROW_BLOCK, _ROW_BLOCK // 2 - 1, -1) if n % d == 0), 0)
    return b


def row_sums(m: np.ndarray) -> np.ndarray:
    """The sums of the rows of a C-contiguous 2-D float32/float64 array, fast and deterministic.

    A row of at most 128 elements is summed by one matrix-vector product with a vector of ones
    (BLAS: SIMD partial sums, and the rows split over BLAS's threads). A longer row is cut in
    blocks of 64 to 128 elements (the longest that divides it) whose sums are then summed the same
    way, a cascade whose rounding error is that of torch's sum (a single dot product over a long
    row would be a few times worse). Rows whose length no such block divides are summed pairwise
    by ``np.add.reduce`` (exact NumPy semantics, split over the thread pool). The result never
    depends on ``rt.set_num_threads``, nor on the run or on other threads' work: BLAS splits rows
    over its threads, always as many as at import (``_blas.gemv_fixed``), so only a different
    ``OPENBLAS_NUM_THREADS`` may change the last bit of some sums.

    Examples
    --------
    >>> import numpy as np
    >>> from rustytorch.ops.reduction_common import row_sums
    >>> row_sums(np.arange(6.0).reshape(2, 3)).tolist()
    [3.0, 12.0]
    """
    rows, n = m.shape
    if n <= _ROW_BLOCK:
        return gemv_fixed(m, _ones(m.dtype, n))
    b = _block(n)
    if not b:
        return _parallel.reduce(np.add, m, axis=1)  # type: ignore[no-any-return]
    partial = gemv_fixed(m.reshape(rows * (n // b), b), _ones(m.dtype, b))
    return row_sums(partial.reshape(rows, n // b))


_ONES: dict[Any, dict[int, np.ndarray]] = {dt: {} for dt in _FLOAT_SUMS}


def _ones(dt: np.dtype[Any], n: int) -> np.ndarray:
    o = _ONES[dt].get(n)
    if o is None:
        o = _ONES[dt][n] = np.ones(n, dtype=dt)
    return o
