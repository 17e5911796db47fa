"""Ranges and matrices: ``arange``, ``linspace``, ``logspace``, ``eye``, ``diag`` (differentiable both ways),
``diag_embed`` and ``meshgrid``. Exported through ``ops.creation``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype, to_dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import Op, register
from .creation import _cast, _check_device, _finish, _out

__all__ = ["arange", "linspace", "logspace", "eye", "diag", "diag_embed", "meshgrid"]


# ------------------------------------------------------------------ ranges
def _num(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    return v


@register(method=False)
def arange(
    start: Any = 0,
    end: Any = None,
    step: Any = 1,
    *,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step`` (int64 unless an argument is a float), as torch.

    The length is ``ceil((end - start) / step)`` computed in double precision and the values are
    ``start + i * step``; integer dtypes truncate ``start`` and ``step`` first (as torch).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(4), rt.arange(0, 1, 0.25), rt.arange(1, 2.5, 0.5)
    (tensor([0, 1, 2, 3]), tensor([0.0000, 0.2500, 0.5000, 0.7500]), tensor([1.0000, 1.5000, 2.0000]))
    """
    _check_device(device)
    if end is None:
        start, end = 0, start
    s, e, st = (_num(v) for v in (start, end, step))
    if dtype is None:
        dtype = get_default_dtype() if any(isinstance(v, float) for v in (s, e, st)) else _dtype.int64
    d = to_dtype(dtype)
    if d is _dtype.bool:
        raise NotImplementedError("arange: not implemented for 'Bool' (rustytorch.bool)")
    if not (math.isfinite(s) and math.isfinite(e)):
        raise RuntimeError(f"arange: unsupported range: {s} -> {e}")
    if d is _dtype.int64:  # torch computes everything in int64 (truncating float arguments)
        s, e, st0, st = int(s), int(e), st, int(st)
        if st == 0:
            raise (RuntimeError if st0 == 0 else ValueError)(f"arange: step must be nonzero (step={st0})")
        if (st > 0 and e < s) or (st < 0 and e > s):
            raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign ({s}, {e}, {st})")
        sgn = 1 if st > 0 else -1
        n = (e - s + st - sgn) // st
        a = s + st * np.arange(n, dtype=np.int64)
    else:
        if st == 0:
            raise RuntimeError("arange: step must be nonzero")
        if (st > 0 and e < s) or (st < 0 and e > s):
            raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign ({s}, {e}, {st})")
        n = math.ceil((float(e) - float(s)) / float(st))
        if n > 1 << 48:
            raise RuntimeError(f"arange: invalid size {n}, possible overflow?")
        if d._cat == 1:  # other integer dtypes: int64 accumulation of the truncated start and step
            a = int(s) + int(st) * np.arange(n, dtype=np.int64)
        else:  # floats: double accumulation (float for half/bfloat16), then one rounding
            acc = np.float64 if d.itemsize >= 4 else np.float32
            a = np.asarray(s, dtype=acc) + np.asarray(st, dtype=acc) * np.arange(n, dtype=acc)  # type: ignore[assignment]
    return _out(_finish(_cast(a, d.np), None, requires_grad), out, "arange")


def _steps(op: str, steps: Any) -> int:
    if isinstance(steps, bool | float) or not hasattr(steps, "__index__"):
        raise TypeError(f"{op}(): argument 'steps' must be int, not {type(steps).__name__}")
    n = int(steps.__index__())
    if n < 0:
        raise RuntimeError(f"{op}: number of steps must be non-negative, got {n}")
    return n


def _linspace_array(op: str, start: Any, end: Any, n: int, d: _dtype.dtype) -> np.ndarray:
    """torch's CPU kernel: step = (end - start) / (n - 1); the first half counts up from start, the second
    half down from end (so both ends are exact)."""
    s, e = _num(start), _num(end)
    if n == 1:  # torch fills a single step with start
        return _cast(np.array([s]), d.np) if d._cat == 2 else _cast(np.trunc(np.array([float(s)])), d.np)
    idx = np.arange(n)
    half = n // 2
    if d._cat != 2:  # integer results: double step from the (converted) ends, truncated values
        s, e = int(s), int(e)
        step = (float(e) - float(s)) / (n - 1) if n > 1 else 0.0
        a = np.where(idx < half, s + step * idx, e - step * (n - 1 - idx))
        return _cast(np.trunc(a), d.np)
    acc = np.float64 if d is _dtype.float64 else np.float32
    cs, ce = np.asarray(s).astype(d.np).astype(acc), np.asarray(e).astype(d.np).astype(acc)
    step = (ce - cs) / acc(n - 1) if n > 1 else acc(0)
    if d.itemsize == 2:
        step = step.astype(d.np).astype(acc)
    fi = idx.astype(acc)
    a = np.where(idx < half, cs + step * fi, ce - step * (acc(n - 1) - fi))
    return _cast(a.astype(acc), d.np)


@register(method=False)
def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, as ``torch.linspace``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.linspace(0, 1, 5), rt.linspace(0, 10, 3, dtype=rt.int64)
    (tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000]), tensor([ 0,  5, 10]))
    """
    _check_device(device)
    n = _steps("linspace", steps)
    d = get_default_dtype() if dtype is None else to_dtype(dtype)
    return _out(_finish(_linspace_array("linspace", start, end, n, d), None, requires_grad), out, "linspace")


@register(method=False)
def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``base ** linspace(start, end, steps)``, as ``torch.logspace``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.logspace(0, 2, 3), rt.logspace(0, 3, 4, base=2)
    (tensor([  1.,  10., 100.]), tensor([1., 2., 4., 8.]))
    """
    _check_device(device)
    n = _steps("logspace", steps)
    d = get_default_dtype() if dtype is None else to_dtype(dtype)
    if d._cat == 2:
        expo = _linspace_array("logspace", start, end, n, d).astype(np.float64)
    else:  # torch: integer ends, double exponents, truncated powers
        expo = _linspace_array("logspace", int(_num(start)), int(_num(end)), n, _dtype.float64)
    with np.errstate(all="ignore"):
        a = np.power(float(_num(base)), expo)
    return _out(_finish(_cast(a, d.np), None, requires_grad), out, "logspace")


@register(method=False)
def eye(
    n: int,
    m: int | None = None,
    *,
    out: Any = None,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """An ``n x m`` matrix (``m = n`` by default) with ones on the diagonal, as ``torch.eye``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.eye(2), rt.eye(2, 3, dtype=rt.int64)
    (tensor([[1., 0.],
            [0., 1.]]), tensor([[1, 0, 0],
            [0, 1, 0]]))
    """
    _check_device(device)
    for name, v in (("n", n), ("m", m)):
        if v is not None and (isinstance(v, bool | float) or not hasattr(v, "__index__")):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {v}")
    rows = int(n)
    cols = rows if m is None else int(m)
    dt = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
    return _out(_finish(np.eye(rows, cols, dtype=dt), None, requires_grad), out, "eye")


def _diag_indices(length: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(length)
    return i + max(-k, 0), i + max(k, 0)


def _place_diagonal(v: np.ndarray, k: int, shape: tuple[int, ...]) -> np.ndarray:
    """A zero matrix of ``shape`` with ``v`` on its diagonal ``k``."""
    out = np.zeros(shape, dtype=v.dtype)
    r, c = _diag_indices(v.shape[0], k)
    out[r, c] = v
    return out


class Diag(Op):
    _name = "DiagBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, diagonal: int = 0) -> np.ndarray:
        a = x._data
        if ctx is not None:
            ctx.k, ctx.shape = diagonal, a.shape
        if a.ndim == 1:
            n = a.shape[0] + abs(diagonal)
            return _place_diagonal(a, diagonal, (n, n))
        if a.ndim == 2:
            return np.diagonal(a, diagonal).copy()
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D (shape {list(a.shape)})")

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # the adjoint of placing on a diagonal is reading it back
        if len(ctx.shape) == 1:
            return Diag.apply(grad, ctx.k)
        return _DiagScatter.apply(grad, ctx.k, ctx.shape)


class _DiagScatter(Op):
    """``v`` placed on diagonal ``k`` of a zero matrix of ``shape`` (the backward of 2-D ``diag``)."""

    _name = "DiagBackwardBackward0"

    @staticmethod
    def forward(ctx: Any, v: Tensor, k: int, shape: tuple[int, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.k = k
        return _place_diagonal(v._data, k, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # adjoint: read the diagonal
        return Diag.apply(grad, ctx.k)


@register
def diag(input: Tensor, diagonal: int = 0, *, out: Any = None) -> Tensor:
    """A 1-D input placed on diagonal ``diagonal`` of a square matrix, or a 2-D input's diagonal, as ``torch.diag``.

    ``diagonal > 0`` is above the main diagonal, ``< 0`` below. Differentiable.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.diag(rt.tensor([1, 2]), 1)
    tensor([[0, 1, 0],
            [0, 0, 2],
            [0, 0, 0]])
    >>> rt.diag(rt.arange(6).reshape(2, 3), 1)
    tensor([1, 5])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"diag(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _out(Diag.apply(input, int(diagonal)), out, "diag")


def _diag_dims(ndim: int, dim1: int, dim2: int, op: str) -> tuple[int, int]:
    d1, d2 = _wrap_dim(dim1, ndim, op), _wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class DiagEmbed(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, offset: int, dim1: int, dim2: int) -> np.ndarray:
        a = x._data
        if ctx is not None:
            ctx.args = (offset, dim1, dim2)
        n = a.shape[-1] + abs(offset)
        out = np.zeros((*a.shape[:-1], n, n), dtype=a.dtype)
        r, c = _diag_indices(a.shape[-1], offset)
        out[..., r, c] = a
        return np.ascontiguousarray(np.moveaxis(out, (-2, -1), (dim1, dim2)))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # adjoint of embedding: the diagonal (offset, dim1, dim2)
        return _DiagonalCopy.apply(grad, *ctx.args)


class _DiagonalCopy(Op):
    _name = "DiagEmbedBackwardBackward0"

    @staticmethod
    def forward(ctx: Any, g: Tensor, offset: int, dim1: int, dim2: int) -> np.ndarray:
        if ctx is not None:
            ctx.args = (offset, dim1, dim2)
        return np.diagonal(g._data, offset, dim1, dim2).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:  # adjoint of reading the diagonal: embedding it
        return DiagEmbed.apply(grad, *ctx.args)


@register
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose diagonals (``offset``, over dims ``dim1``, ``dim2`` of the result) are the last dimension of
    ``input``, as ``torch.diag_embed``. Differentiable.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.diag_embed(rt.tensor([[1, 2], [3, 4]]))
    tensor([[[1, 0],
             [0, 2]],
    <BLANKLINE>
            [[3, 0],
             [0, 4]]])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"diag_embed(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.ndim == 0:
        raise IndexError(
            "diag_embed: Dimension out of range (expected to be in range of [-1, 0], but got -2): "
            "the input must have at least 1 dimension"
        )
    d1, d2 = _diag_dims(input.ndim + 1, dim1, dim2, "diag_embed")
    return DiagEmbed.apply(input, int(offset), d1, d2)  # type: ignore[no-any-return]


@register(method=False)
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors, as ``torch.meshgrid``: each output is an expanded view of one input.

    ``indexing='ij'`` (the default; torch warns when it is not given, so does rustytorch) makes
    output ``i`` vary along dimension ``i``; ``'xy'`` swaps the first two dimensions (NumPy's
    default).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x, y = rt.meshgrid(rt.tensor([1, 2]), rt.tensor([3, 4, 5]), indexing="ij")
    >>> x
    tensor([[1, 1, 1],
            [2, 2, 2]])
    >>> y
    tensor([[3, 4, 5],
            [3, 4, 5]])
    >>> rt.meshgrid(rt.tensor([1, 2]), rt.tensor([3, 4, 5]), indexing="xy")[0].shape
    rustytorch.Size([3, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid(): expected Tensors, got {type(t).__name__}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got shape {list(t.shape)}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(
                f"meshgrid expects all tensors to have the same dtype, got {tensors[0].dtype!r} and {t.dtype!r}"
            )
    pos = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        pos[0], pos[1] = 1, 0
    full = [0] * len(tensors)
    for t, p in zip(tensors, pos, strict=True):
        full[p] = t.numel()
    out = []
    for t, p in zip(tensors, pos, strict=True):
        view = [1] * len(tensors)
        view[p] = -1
        out.append(t.reshape(view).expand(*full))
    return tuple(out)
