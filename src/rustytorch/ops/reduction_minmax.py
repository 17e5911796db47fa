"""max / min / amax / amin / argmax / argmin / aminmax: forward (NumPy) and backward (tensor ops) side by side.

Gradients follow torch: a whole-tensor max/min and amax/amin share the gradient evenly among
tied elements; max/min with ``dim`` send it to the index they return.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _parallel
from .._tensor import Tensor, _make, _wrap_dim
from ._registry import OPS, Op, register
from .reduction import _BIG, _check_tensor, expand_reduced, reduce_dims
from .reduction_common import const, evenly_backward, return_type, select_backward, take_along

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin", "aminmax"]

_ndarray = np.ndarray
_I64 = np.dtype(np.int64)
_MAX = return_type("max")
_MIN = return_type("min")
_AMINMAX = return_type("aminmax", ("min", "max"))


def _empty_whole(op: str) -> RuntimeError:
    return RuntimeError(
        f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with "
        f"the 'dim' argument."
    )


def _check_nonempty_dims(op: str, a: np.ndarray, dims: tuple[int, ...] | None) -> None:
    """torch: a max-like reduction over an empty dimension has no identity."""
    if a.size:
        return
    if dims is None:
        raise _empty_whole(op)
    for d in dims:
        if a.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _extreme(ufunc: Any, a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if a.size >= _BIG:
        r = _parallel.reduce(ufunc, a, axis=axis, keepdims=keepdims)
    else:
        r = ufunc.reduce(a, axis=axis, keepdims=keepdims)
    return r if r.__class__ is _ndarray else np.asarray(r)


# -------------------------------------------------------- whole / amax / amin
class Extreme(Op):
    """max/min over ``dims`` (None: all) without indices; the gradient is shared evenly among ties."""

    save_result = True

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, dims: tuple[int, ...] | None, keepdim: bool, largest: bool, name: str = "Amax", v: int = 0
    ) -> np.ndarray:
        if ctx is not None:
            ctx._name = f"{name}Backward{v}"  # torch's grad_fn name
            ctx.save_for_backward(x)
            ctx.dims, ctx.keepdim = dims, keepdim
        return _extreme(np.maximum if largest else np.minimum, x._data, dims, keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        a = x._data
        if ctx.dims is None and not ctx.keepdim:  # whole tensor: evenly among the elements equal to the result
            return evenly_backward(grad, a, ctx.result._data)
        # grad / count over each slice's elements equal to its extreme
        res = ctx.result._data
        r = (
            res
            if ctx.keepdim
            else res.reshape(tuple(1 if ctx.dims is None or i in ctx.dims else s for i, s in enumerate(a.shape)))
        )
        mask = a == r
        w = mask / np.maximum(np.count_nonzero(mask, axis=ctx.dims, keepdims=True), 1)
        return expand_reduced(grad, a.shape, ctx.dims, ctx.keepdim) * const(w.astype(a.dtype, copy=False))


# ------------------------------------------------------------ max/min with dim
class ExtremeDim(Op):
    """max/min along one dim with the index (the first among ties; NaN wins, as torch)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, keepdim: bool, largest: bool) -> tuple[np.ndarray, np.ndarray]:
        a = x._data
        if a.ndim == 0:
            return a.copy(), np.zeros((), dtype=_I64)
        idx = (np.argmax if largest else np.argmin)(a, axis=dim, keepdims=True)
        vals = take_along(a, idx, dim)
        if ctx is not None:
            ctx._name = "MaxBackward0" if largest else "MinBackward0"
            ctx.idx, ctx.dim, ctx.keepdim = idx, dim, keepdim
        if not keepdim:
            vals = vals.squeeze(dim)
            idx = idx.squeeze(dim)
        return vals, idx

    @staticmethod
    def backward(ctx: Any, grad: Tensor, _gi: Any = None) -> Any:  # the gradient goes to the returned index
        shape = ctx._in_meta[0][0]
        if not shape:
            return grad
        return select_backward(grad, ctx.idx, ctx.dim, shape, ctx.keepdim)


def _minmax(op: str, largest: bool, input: Any, dim: Any, keepdim: bool) -> Any:
    if dim is None:
        if not keepdim and input.__class__ is Tensor and not input._requires_grad:
            a = input._data  # fast path: whole tensor, no graph
            if a.size:
                return _make(_extreme(np.maximum if largest else np.minimum, a, None, False))
        _check_tensor(op, input)
        if keepdim:
            raise TypeError(f"{op}(): keepdim=True needs a dim argument")
        if not input._data.size:
            raise _empty_whole(op)
        return Extreme.apply(input, None, False, largest, "Max" if largest else "Min", 1)
    if isinstance(dim, Tensor):  # max(input, other): the elementwise maximum
        fn = OPS.get("maximum" if largest else "minimum")
        if fn is None:
            raise NotImplementedError(f"{op}(input, other) needs rustytorch.{'maximum' if largest else 'minimum'}")
        return fn(input, dim)
    _check_tensor(op, input)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}(): argument 'dim' must be int or a Tensor, not {type(dim).__name__}")
    a = input._data
    d = _wrap_dim(int(dim), a.ndim, op)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    vals, idx = ExtremeDim.apply(input, d, bool(keepdim), largest)
    return (_MAX if largest else _MIN)((vals, idx))


@register
def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The largest element; with ``dim``, a named tuple ``(values, indices)``; with a tensor, ``maximum``.

    As ``torch.max``: NaN propagates; ties give the first index; the whole-tensor gradient is
    shared evenly among tied maxima, the ``dim`` form's goes to the returned index.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 5.0], [4.0, 2.0]])
    >>> rt.max(x)
    tensor(5.)
    >>> values, indices = x.max(dim=1)
    >>> values, indices
    (tensor([5., 4.]), tensor([1, 0]))
    >>> x.max(0).indices
    tensor([1, 0])
    """
    return _minmax("max", True, input, dim, keepdim)


@register
def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The smallest element; with ``dim``, a named tuple ``(values, indices)``; with a tensor, ``minimum``.

    As ``torch.min`` (see :func:`max` for NaNs, ties and gradients).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 5.0], [4.0, 2.0]])
    >>> rt.min(x), x.min(dim=0, keepdim=True).values
    (tensor(1.), tensor([[1., 2.]]))
    """
    return _minmax("min", False, input, dim, keepdim)


def _amaxmin(op: str, largest: bool, input: Any, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(op, input)
    a = input._data
    dims = reduce_dims(op, dim, a.ndim)
    _check_nonempty_dims(op, a, dims)
    return Extreme.apply(input, dims, bool(keepdim), largest, "Amax" if largest else "Amin")  # type: ignore[no-any-return]


@register
def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (an int or a tuple; ``()`` for all), as ``torch.amax``.

    The gradient is shared evenly among the tied maxima of each slice.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 5.0], [4.0, 2.0]])
    >>> rt.amax(x), rt.amax(x, dim=0), x.amax(-1, keepdim=True)
    (tensor(5.), tensor([4., 5.]), tensor([[5.],
            [4.]]))
    """
    return _amaxmin("amax", True, input, dim, keepdim)


@register
def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (an int or a tuple; ``()`` for all), as ``torch.amin``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.amin(rt.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=1)
    tensor([1., 2.])
    """
    return _amaxmin("amin", False, input, dim, keepdim)


def _arg(op: str, largest: bool, input: Any, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(op, input)
    a = input._data
    if a.dtype.kind == "b":
        raise RuntimeError(f"{op}(): does not support bool input")
    fn = np.argmax if largest else np.argmin
    if dim is None:
        if not a.size:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = np.asarray(fn(a), dtype=_I64)
        return _make(r.reshape((1,) * a.ndim) if keepdim else r)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = _wrap_dim(int(dim), a.ndim, op)
    if a.ndim == 0:
        return _make(np.zeros((), dtype=_I64))
    if a.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return _make(np.asarray(fn(a, axis=d, keepdims=bool(keepdim)), dtype=_I64))


@register
def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor when ``dim`` is None), as ``torch.argmax``; int64.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 5.0], [4.0, 2.0]])
    >>> rt.argmax(x), x.argmax(dim=0)
    (tensor(1), tensor([1, 0]))
    """
    return _arg("argmax", True, input, dim, keepdim)


@register
def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (of the flattened tensor when ``dim`` is None), as ``torch.argmin``; int64.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.argmin(rt.tensor([[1.0, 5.0], [4.0, 0.5]]), dim=1, keepdim=True)
    tensor([[0],
            [1]])
    """
    return _arg("argmin", False, input, dim, keepdim)


@register
def aminmax(input: Tensor, *, dim: Any = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over ``dim`` (an int, or None for all) as a named tuple, as ``torch.aminmax``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> r = rt.aminmax(rt.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=0)
    >>> r.min, r.max
    (tensor([1., 2.]), tensor([4., 5.]))
    """
    _check_tensor("aminmax", input)
    if dim is not None and not isinstance(dim, int | np.integer):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    a = input._data
    dims = reduce_dims("aminmax", dim, a.ndim)
    _check_nonempty_dims("aminmax", a, dims)
    lo = Extreme.apply(input, dims, bool(keepdim), False, "Aminmax")
    hi = Extreme.apply(input, dims, bool(keepdim), True, "Aminmax")
    return _AMINMAX((lo, hi))
