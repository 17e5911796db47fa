"""Reductions: each op's forward (NumPy) and backward (tensor ops) side by side.

This module holds sum, mean, prod, nansum, nanmean, logsumexp, all, any, count_nonzero and
the helpers every reduction shares (``reduce_dims``, ``expand_reduced``, ``ureduce``).
max/min/arg*: ``reduction_minmax``; var/std/norm: ``reduction_stats``; scans:
``reduction_scan``; sort/topk/median/unique: ``sorting``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _parallel
from .._dtype import get_default_dtype, to_dtype
from .._tensor import Tensor, _make, _wrap_dim
from ._registry import Op, _fp_run, fp, register
from .reduction_common import _FLOAT_SUMS, _ONES, Exp, _ones, big_sum, const

__all__ = ["sum", "mean", "prod", "nansum", "nanmean", "logsumexp", "all", "any", "count_nonzero"]

_ndarray = np.ndarray
_BIG = 1 << 15  # arrays with at least this many elements reduce on the thread pool
_F32 = np.dtype(np.float32)
_I64 = np.dtype(np.int64)
# dtype of the input -> dtype NumPy accumulates a sum in (torch: ints and bools sum to int64)
_SUM_ACC: dict[Any, Any] = {np.dtype(np.float32): None, np.dtype(np.float64): None}
for _t in (np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64):
    _SUM_ACC[np.dtype(_t)] = _I64
_MISS = object()
_DOT_MAX = 1024  # whole sums of up to this many float elements are a BLAS dot with ones (cheapest call)
_add_reduce: Any = np.add.reduce


def reduce_dims(op: str, dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalise ``dim`` (None, int, tuple or list; empty means all) to sorted axes, or None for all.

    IndexError for a dim out of range, RuntimeError for a repeated dim, TypeError for a non-int, as torch.
    """
    if dim is None:
        return None
    if isinstance(dim, int | np.integer):
        d = _wrap_dim(int(dim), ndim, op)
        return (d,) if ndim else None
    if not isinstance(dim, tuple | list):
        raise TypeError(f"{op}(): dim must be an int, a tuple of ints or None, got {type(dim).__name__}")
    dims = []
    for d in dim:
        if not isinstance(d, int | np.integer):
            raise TypeError(
                f"{op}(): dim must be an int, a tuple of ints or None, got an element of type {type(d).__name__}"
            )
        dims.append(_wrap_dim(int(d), ndim, op))
    if len(set(dims)) != len(dims):
        dup = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"{op}(): dim {dup} appears multiple times in the list of dims")
    if not dims or not ndim:
        return None
    return tuple(sorted(dims))


def expand_reduced(grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    """Broadcast the gradient of a reduction back over the reduced dimensions (a view)."""
    if not keepdim and shape:
        if dims is None:
            grad = grad.reshape((1,) * len(shape))
        else:
            grad = grad.reshape(tuple(1 if i in dims else s for i, s in enumerate(shape)))
    return grad.expand(shape)


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced dimensions set to 1 (the keepdim shape)."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def squeezed_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` without the reduced dimensions (the keepdim=False shape)."""
    if dims is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def reduced_numel(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    """How many elements each output element of a reduction over ``dims`` combines."""
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def ureduce(ufunc: Any, a: np.ndarray, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> np.ndarray:
    """``ufunc.reduce`` as an ndarray (never a NumPy scalar), without NumPy's overflow warnings (torch has none).

    Large float sums over trailing axes use :func:`big_sum`; other large arrays go to the thread pool.
    """
    if a.size >= _BIG:
        if ufunc is np.add and dtype is None:
            r = fp(big_sum, a, axis, keepdims)
            if r is not None:
                return r  # type: ignore[no-any-return]
        r = fp(_par_reduce, ufunc, a, axis, keepdims, dtype)
    else:
        r = fp(ufunc.reduce, a, axis, dtype, None, keepdims)
    return r if r.__class__ is _ndarray else np.asarray(r)


def _par_reduce(ufunc: Any, a: np.ndarray, axis: Any, keepdims: bool, dtype: Any) -> Any:
    return _parallel.reduce(ufunc, a, axis=axis, keepdims=keepdims, dtype=dtype)


def float_input(op: str, x: Any, dtype: Any = None) -> np.ndarray:
    """The input's array for a float-only reduction (mean, var, norm): cast to ``dtype`` when given."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    a = x._data
    if dtype is not None:
        d = to_dtype(dtype)
        if not d.is_floating_point:
            raise RuntimeError(f"{op}(): the dtype argument must be a floating point dtype, got {d!r}")
        return a if a.dtype == d.np else a.astype(d.np)
    if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {x.dtype!r}"
        )
    return a


def acc_dtype(dt: np.dtype[Any]) -> Any:
    """Half-precision sums accumulate in float32 (as torch); other dtypes in themselves (None)."""
    return _F32 if dt.itemsize == 2 and dt.kind != "i" else None


def _check_tensor(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


# ----------------------------------------------------------------------- sum
def _sum_forward(a: np.ndarray, dims: Any, keepdim: bool, dtype: Any) -> np.ndarray:
    if dtype is not None:
        target = to_dtype(dtype).np
        if a.dtype != target:
            a = fp(a.astype, target)
    else:
        target = _I64 if a.dtype.kind in "biu" else a.dtype
    acc = acc_dtype(target) if target.kind != "b" else _I64
    r = ureduce(np.add, a, dims, keepdim, acc if acc is not None else target)
    return r if r.dtype == target else fp(r.astype, target)  # type: ignore[no-any-return]


class Sum(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool, dtype: Any) -> np.ndarray:
        if ctx is not None:
            if dims is not None:
                ctx._name = "SumBackward1"  # torch's name for the dim overload
            ctx.dims = dims
            ctx.keepdim = keepdim
        return _sum_forward(x._data, dims, keepdim, dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d sum(x) = expand(grad)
        return expand_reduced(grad, ctx._in_meta[0][0], ctx.dims, ctx.keepdim)


@register
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all), as ``torch.sum``; ints and bools sum to int64.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1, 2], [3, 4]])
    >>> rt.sum(x), x.sum(dim=0), x.sum(1, keepdim=True)
    (tensor(10), tensor([4, 6]), tensor([[3],
            [7]]))
    """
    if input.__class__ is Tensor and not input._requires_grad and dtype is None:
        # fast path: no graph, dim None or an int in range, float32/float64/int/bool input
        a = input._data
        acc = _SUM_ACC.get(a.dtype, _MISS)
        axis: Any
        if acc is not _MISS:
            if dim is None or (dim.__class__ is int and a.ndim == 1 and (dim == 0 or dim == -1)):
                if acc is None and a.size <= _DOT_MAX and not keepdim:  # float32 / float64
                    v = a if a.ndim == 1 else a.reshape(-1)
                    o = _ONES[a.dtype].get(a.size)
                    if o is None:
                        o = _ones(a.dtype, a.size)
                    try:  # in the context without NumPy FP warnings (inlined ops._registry.fp: ~80 ns, not ~300)
                        r = _fp_run(v.dot, o)
                    except RuntimeError:  # the context is busy in another thread
                        r = fp(v.dot, o)
                    return _make(np.asarray(r))
                axis = None
            elif dim.__class__ is int and -a.ndim <= dim < a.ndim:
                axis = dim
            else:
                axis = _MISS
            if axis is not _MISS:
                if a.size < _BIG:
                    try:
                        r = _fp_run(_add_reduce, a, axis, acc, None, keepdim)
                    except RuntimeError:
                        r = fp(_add_reduce, a, axis, acc, None, keepdim)
                else:
                    r = ureduce(np.add, a, axis, keepdim, acc)
                return _make(r if r.__class__ is _ndarray else np.asarray(r))
    _check_tensor("sum", input)
    return Sum.apply(input, reduce_dims("sum", dim, input._data.ndim), bool(keepdim), dtype)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- mean
def _divide(r: np.ndarray, n: int) -> np.ndarray:
    if n == 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            return r / r.dtype.type(0)  # type: ignore[no-any-return]
    np.true_divide(r, r.dtype.type(n), out=r)
    return r


def _mean_forward(a: np.ndarray, dims: Any, keepdim: bool) -> np.ndarray:
    acc = acc_dtype(a.dtype)
    r = ureduce(np.add, a, dims, keepdim, acc)
    r = _divide(r, reduced_numel(a.shape, dims))
    return r if acc is None else r.astype(a.dtype)


class Mean(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool, dtype: Any) -> np.ndarray:
        a = float_input("mean", x, dtype)
        if ctx is not None:
            if dims is not None:
                ctx._name = "MeanBackward1"  # torch's name for the dim overload
            ctx.dims = dims
            ctx.keepdim = keepdim
        return _mean_forward(a, dims, keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d mean(x) = expand(grad) / n
        shape = ctx._in_meta[0][0]
        n = reduced_numel(shape, ctx.dims)
        return expand_reduced(grad / n if n else grad, shape, ctx.dims, ctx.keepdim)  # type: ignore[arg-type]


@register
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over ``dim``, as ``torch.mean``; integer inputs need a floating ``dtype`` (RuntimeError otherwise).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 2.0], [3.0, 5.0]])
    >>> rt.mean(x), x.mean(dim=1), rt.mean(rt.tensor([1, 2]), dtype=rt.float64)
    (tensor(2.7500), tensor([1.5000, 4.0000]), tensor(1.5000, dtype=rustytorch.float64))
    """
    if input.__class__ is Tensor and not input._requires_grad and dtype is None:
        a = input._data  # fast path: no graph, dim None or an int in range, float32/float64 input
        axis_: Any
        if a.dtype in _FLOAT_SUMS:
            if dim is None:
                axis_, n = None, a.size
                if n <= _DOT_MAX and n and not keepdim:
                    v = a if a.ndim == 1 else a.reshape(-1)
                    try:
                        r = _fp_run(v.dot, _ones(a.dtype, n))
                    except RuntimeError:
                        r = fp(v.dot, _ones(a.dtype, n))
                    return _make(np.asarray(r / n))
            elif dim.__class__ is int and -a.ndim <= dim < a.ndim:
                axis_, n = dim, a.shape[dim]
            else:
                axis_ = _MISS
            if axis_ is not _MISS and n:
                if a.size < _BIG:
                    try:
                        r = _fp_run(_add_reduce, a, axis_, None, None, keepdim)
                    except RuntimeError:
                        r = fp(_add_reduce, a, axis_, None, None, keepdim)
                else:
                    r = ureduce(np.add, a, axis_, keepdim)
                if r.__class__ is _ndarray:
                    np.true_divide(r, n, out=r)
                    return _make(r)
                return _make(np.asarray(r / n))
    _check_tensor("mean", input)
    return Mean.apply(input, reduce_dims("mean", dim, input._data.ndim), bool(keepdim), dtype)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- prod
class Prod(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int | None, keepdim: bool, dtype: Any) -> np.ndarray:
        a = x._data
        if dtype is not None:
            target = to_dtype(dtype).np
            if a.dtype != target:
                a = fp(a.astype, target)
        else:
            target = _I64 if a.dtype.kind in "biu" else a.dtype
        if ctx is not None:
            if dim is not None:
                ctx._name = "ProdBackward1"  # torch's name for the dim overload
            ctx.save_for_backward(x)
            ctx.dim = dim
            ctx.keepdim = keepdim
        acc = acc_dtype(target) if target.kind != "b" else _I64
        r = ureduce(np.multiply, a, dim, keepdim, acc if acc is not None else target)
        return r if r.dtype == target else fp(r.astype, target)  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        shape = x._data.shape
        dims = None if ctx.dim is None else (ctx.dim,)
        g = expand_reduced(grad, shape, dims, ctx.keepdim)
        if not (x._data == 0).any():  # d prod(x) / dx_i = prod(x) / x_i
            return g * expand_reduced(ctx.result, shape, dims, ctx.keepdim) / x
        # with zeros: d prod(x) / dx_i = the product of the other elements (exclusive cumprods, both directions)
        from .reduction_scan import prod_of_others

        return g * prod_of_others(x, ctx.dim)


@register
def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product over ``dim`` (an int, a tuple or None for all), as ``torch.prod``; ints and bools give int64.

    The gradient is exact with zeros in the input (the product of the other elements), as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> rt.prod(x), x.prod(0), rt.prod(rt.tensor([True, True]))
    (tensor(24.), tensor([3., 8.]), tensor(1))
    """
    _check_tensor("prod", input)
    dims = reduce_dims("prod", dim, input._data.ndim)
    if dims is None or len(dims) == 1:
        return Prod.apply(input, None if dims is None else dims[0], bool(keepdim), dtype)  # type: ignore[no-any-return]
    r = input  # several dims (an extension of torch's int-only dim): one product per dim, last first
    for d in reversed(dims):
        r = Prod.apply(r, d, bool(keepdim), dtype)
    return r


# ----------------------------------------------------------- nansum / nanmean
class NanSum(Op):
    _name = "NansumBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool, dtype: Any) -> np.ndarray:
        a = x._data
        if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
            nan = np.isnan(a)
            if ctx is not None:
                ctx.keep = const(~nan)
            if nan.any():
                a = np.where(nan, a.dtype.type(0), a)
        if ctx is not None:
            ctx.dims = dims
            ctx.keepdim = keepdim
        return _sum_forward(a, dims, keepdim, dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d nansum(x) = expand(grad) where x is not NaN
        return expand_reduced(grad, ctx._in_meta[0][0], ctx.dims, ctx.keepdim) * ctx.keep


@register
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum treating NaN as zero, as ``torch.nansum``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nansum(rt.tensor([1.0, float("nan"), 2.0]))
    tensor(3.)
    """
    _check_tensor("nansum", input)
    return NanSum.apply(input, reduce_dims("nansum", dim, input._data.ndim), bool(keepdim), dtype)  # type: ignore[no-any-return]


class NanMean(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool, dtype: Any) -> np.ndarray:
        if x._data.dtype.kind not in "fV" and dtype is None:
            raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got {x.dtype!r}")
        a = float_input("nanmean", x, dtype)
        keep = ~np.isnan(a)
        count = np.count_nonzero(keep, axis=dims, keepdims=True)
        acc = acc_dtype(a.dtype)
        s = ureduce(np.add, np.where(keep, a, a.dtype.type(0)), dims, True, acc)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (s / count).astype(a.dtype)
        if ctx is not None:
            ctx.dims = dims
            ctx.keepdim = keepdim
            ctx.weight = const((keep / count).astype(a.dtype))
        return r if keepdim else r.reshape(squeezed_shape(a.shape, dims))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d nanmean(x) = expand(grad) / count where x is not NaN
        return expand_reduced(grad, ctx._in_meta[0][0], ctx.dims, ctx.keepdim) * ctx.weight


@register
def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean of the non-NaN elements, as ``torch.nanmean`` (NaN when every element is NaN).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nanmean(rt.tensor([1.0, float("nan"), 2.0]))
    tensor(1.5000)
    """
    _check_tensor("nanmean", input)
    return NanMean.apply(input, reduce_dims("nanmean", dim, input._data.ndim), bool(keepdim), dtype)  # type: ignore[no-any-return]


# ----------------------------------------------------------------- logsumexp
class LogSumExp(Op):
    _name = "LogsumexpBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        a = x._data
        if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
            a = a.astype(get_default_dtype().np)
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.dims = dims
            ctx.keepdim = keepdim
        acc = acc_dtype(a.dtype)
        w = a if acc is None else a.astype(acc)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if w.size:
                m = np.asarray(np.maximum.reduce(w, axis=dims, keepdims=True))
                m[~np.isfinite(m)] = 0  # -inf / inf / nan maxima: no shift (the sum gives the right inf / nan)
            else:
                m = np.zeros(kept_shape(w.shape, dims), dtype=w.dtype)
            r = np.log(ureduce(np.add, np.exp(w - m), dims, True)) + m
        if not keepdim:
            r = r.reshape(squeezed_shape(w.shape, dims))
        return r if acc is None else r.astype(a.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d logsumexp(x) = softmax(x) grad = exp(x - lse) grad
        (x,) = ctx.saved_tensors
        shape = x._data.shape
        lse = expand_reduced(ctx.result, shape, ctx.dims, ctx.keepdim)
        return expand_reduced(grad, shape, ctx.dims, ctx.keepdim) * Exp.apply(x - lse)


@register
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` computed stably (the max is taken out first), as ``torch.logsumexp``.

    Integer inputs give the default float dtype.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.logsumexp(rt.tensor([[500.0, 500.0], [-1e4, 0.0]]), 1)
    tensor([500.6931,   0.0000])
    """
    _check_tensor("logsumexp", input)
    return LogSumExp.apply(input, reduce_dims("logsumexp", dim, input._data.ndim), bool(keepdim))  # type: ignore[no-any-return]


# --------------------------------------------------------- all / any / count
def _logical_reduce(op: str, ufunc: Any, input: Any, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(op, input)
    a = input._data
    out_dt = a.dtype if a.dtype.kind == "u" else np.dtype(np.bool_)
    b = a if a.dtype.kind == "b" else (a != 0)
    if isinstance(dim, tuple | list) and not dim:  # torch: an empty dim tuple reduces nothing
        r = b.copy()
    else:
        r = ureduce(ufunc, b, reduce_dims(op, dim, a.ndim), bool(keepdim))
    return _make(r if r.dtype == out_dt else r.astype(out_dt))


@register
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``) is nonzero, as ``torch.all``; bool result (uint8 for uint8 input).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1, 0], [2, 3]])
    >>> rt.all(x), x.all(dim=1)
    (tensor(False), tensor([False,  True]))
    """
    return _logical_reduce("all", np.logical_and, input, dim, keepdim)


@register
def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``) is nonzero, as ``torch.any``; bool result (uint8 for uint8 input).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[0.0, 0.0], [0.0, 1.5]])
    >>> rt.any(x), x.any(dim=1)
    (tensor(True), tensor([False,  True]))
    """
    return _logical_reduce("any", np.logical_or, input, dim, keepdim)


@register
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements (over ``dim``), as ``torch.count_nonzero``; int64 result.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[0, 1, 2], [0, 0, 3]])
    >>> rt.count_nonzero(x), rt.count_nonzero(x, dim=0)
    (tensor(3), tensor([0, 1, 2]))
    """
    _check_tensor("count_nonzero", input)
    a = input._data
    dims = reduce_dims("count_nonzero", dim, a.ndim)
    return _make(np.asarray(np.count_nonzero(a, axis=dims), dtype=_I64))
