"""var / std / var_mean / std_mean / norm / linalg.vector_norm: forward (NumPy) and backward (tensor ops)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._dtype import _FROM_NP, to_dtype
from .._tensor import Tensor
from ._registry import OPS, Op, register
from .reduction import Mean, _check_tensor, acc_dtype, expand_reduced, kept_shape, reduce_dims, reduced_numel, ureduce
from .reduction_common import Pow, const

__all__ = ["var", "std", "var_mean", "std_mean", "norm"]


# ------------------------------------------------------------------ var / std
def _var_args(op: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    """torch's overloads: var(x, dim, unbiased, keepdim), var(x, unbiased), var(x, dim, *, correction)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}(): got unbiased twice (positionally and as the dim argument)")
        dim, unbiased = None, dim
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError(f"{op}(): cannot specify both unbiased and correction")
        if not isinstance(correction, int | float | np.integer | np.floating) or isinstance(correction, bool):
            raise TypeError(f"{op}(): correction must be a number, not {type(correction).__name__}")
        return dim, float(correction)
    return dim, (0.0 if unbiased is False else 1.0)


class Var(Op):
    """Variance (``sqrt=False``) or standard deviation over ``dims`` with ``correction``."""

    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: Any, correction: float, keepdim: bool, sqrt: bool) -> np.ndarray:
        a = x._data
        op = "std" if sqrt else "var"
        if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
            raise RuntimeError(f"{op}(): std and var only support floating point and complex dtypes, got {x.dtype!r}")
        acc = acc_dtype(a.dtype)
        w = a if acc is None else a.astype(acc)
        n = reduced_numel(w.shape, dims)
        dof = n - correction
        if dof <= 0:
            warnings.warn(
                f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
                f"(input numel divided by output numel).",
                UserWarning,
                stacklevel=4,
            )
            dof = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = ureduce(np.add, w, dims, True) / w.dtype.type(n)
            dev = w - mean
            r = np.asarray(ureduce(np.add, dev * dev, dims, keepdim) / w.dtype.type(dof))
        if sqrt:
            r = np.sqrt(r)
        if ctx is not None:
            ctx._name = "StdBackward0" if sqrt else "VarBackward0"
            ctx.save_for_backward(x)
            ctx.dims, ctx.keepdim, ctx.sqrt, ctx.dof = dims, keepdim, sqrt, dof
        return r if acc is None else r.astype(a.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        if ctx.sqrt:  # d std = d var / (2 std); 0 where std = 0, as torch
            std = ctx.result
            zero = std._data == 0
            if zero.any():
                grad = grad / (std * 2 + const(zero.astype(std._data.dtype))) * const((~zero).astype(std._data.dtype))
            else:
                grad = grad / (std * 2)
        # d var = 2 (x - mean(x)) / (n - correction) grad
        centred = x - Mean.apply(x, ctx.dims, True, None)
        scale = 2.0 / ctx.dof if ctx.dof else math.inf
        return expand_reduced(grad, x._data.shape, ctx.dims, ctx.keepdim) * centred * scale


def _var_std(op: str, sqrt: bool, input: Any, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> Tensor:
    _check_tensor(op, input)
    dim, corr = _var_args(op, dim, unbiased, correction)
    return Var.apply(input, reduce_dims(op, dim, input._data.ndim), corr, bool(keepdim), sqrt)  # type: ignore[no-any-return]


@register
def var(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (default 1; ``unbiased=False`` means 0), as ``torch.var``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> rt.var(x), x.var(dim=0, correction=0), rt.var(x, 1, False)
    (tensor(4.6667), tensor([1., 4.]), tensor([0.2500, 2.2500]))
    """
    return _var_std("var", False, input, dim, unbiased, keepdim, correction)


@register
def std(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    """Standard deviation over ``dim`` (see :func:`var`), as ``torch.std``; its gradient is 0 where std is 0.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.std(rt.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(1.2910)
    """
    return _var_std("std", True, input, dim, unbiased, keepdim, correction)


@register(method=False)  # not a Tensor method in torch
def var_mean(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` (see :func:`var`), as ``torch.var_mean``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.var_mean(rt.tensor([1.0, 2.0, 3.0]))
    (tensor(1.), tensor(2.))
    """
    v = _var_std("var_mean", False, input, dim, unbiased, keepdim, correction)
    d, _ = _var_args("var_mean", dim, unbiased, correction)
    return v, Mean.apply(input, reduce_dims("var_mean", d, input._data.ndim), bool(keepdim), None)


@register(method=False)  # not a Tensor method in torch
def std_mean(
    input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` (see :func:`var`), as ``torch.std_mean``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.std_mean(rt.tensor([[1.0, 3.0], [5.0, 7.0]]), dim=1)
    (tensor([1.4142, 1.4142]), tensor([2., 6.]))
    """
    s = _var_std("std_mean", True, input, dim, unbiased, keepdim, correction)
    d, _ = _var_args("std_mean", dim, unbiased, correction)
    return s, Mean.apply(input, reduce_dims("std_mean", d, input._data.ndim), bool(keepdim), None)


# ----------------------------------------------------------------- norms
def _fmt(p: float) -> str:
    return f"{p:g}"


class VectorNorm(Op):
    _name = "LinalgVectorNormBackward0"
    save_result = True

    @staticmethod
    def forward(ctx: Any, x: Tensor, ord: float, dims: Any, keepdim: bool, dtype: Any) -> np.ndarray:
        a = x._data
        if dtype is not None and a.dtype != dtype:
            a = a.astype(dtype)
        acc = acc_dtype(a.dtype)
        w = a if acc is None else a.astype(acc)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ord == 2:
                r = np.sqrt(ureduce(np.add, np.square(w), dims, keepdim))
            elif ord == 1:
                r = ureduce(np.add, np.abs(w), dims, keepdim)
            elif ord == math.inf:
                r = ureduce(np.maximum, np.abs(w), dims, keepdim)
            elif ord == -math.inf:
                r = ureduce(np.minimum, np.abs(w), dims, keepdim)
            elif ord == 0:
                r = ureduce(np.add, w != 0, dims, keepdim, w.dtype)
            else:
                s = ureduce(np.add, np.power(np.abs(w), w.dtype.type(ord)), dims, keepdim)
                r = np.power(s, w.dtype.type(1.0 / ord))
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        r = np.asarray(r)
        return r if r.dtype == a.dtype else r.astype(a.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        p, dims, keepdim = ctx.ord, ctx.dims, ctx.keepdim
        a = x._data
        dt = a.dtype
        g = expand_reduced(grad, a.shape, dims, keepdim)
        if p == 0:  # a count of nonzeros: piecewise constant
            return g * 0.0
        sign = np.sign(a)
        if p == 1:  # d sum|x| = sign(x)
            return g * const(sign)
        res = ctx.result
        rk = res._data.reshape(kept_shape(a.shape, dims))
        if p in (math.inf, -math.inf):  # d max|x| = sign(x) shared evenly among the tied maxima (NaNs count), as torch
            absa = np.abs(a)
            mask = (absa == rk) | np.isnan(absa)
            w = sign * mask / np.maximum(np.count_nonzero(mask, axis=dims, keepdims=True), 1)
            return g * const(w.astype(dt, copy=False))
        zn = rk == 0  # the gradient is 0 where the norm is 0, as torch
        n = res.reshape(rk.shape) if not keepdim else res
        if p == 2:  # d ||x||_2 = x / ||x||
            if zn.any():
                return g / (n + const(zn.astype(dt))) * const((~zn).astype(dt)) * x
            return g / n * x
        # d ||x||_p = sign(x) |x|^(p-1) / ||x||^(p-1)
        zx = a == 0
        absx = x * const(sign)
        t = Pow.apply(absx + const(zx.astype(dt)), p - 1) * const((sign * ~zx).astype(dt))
        scale = Pow.apply(n + const(zn.astype(dt)), 1 - p) * const((~zn).astype(dt))
        return t * scale * g


def _vector_norm(op: str, x: Any, ord: Any, dim: Any, keepdim: bool, dtype: Any) -> Tensor:
    _check_tensor(op, x)
    if isinstance(ord, bool) or not isinstance(ord, int | float | np.integer | np.floating):
        raise TypeError(f"{op}(): argument 'ord' must be Number, not {type(ord).__name__}")
    a = x._data
    if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype!r}")
    npdt = None
    if dtype is not None:
        d = to_dtype(dtype)
        if not d.is_floating_point:
            raise RuntimeError(f"{op}: dtype should be floating point or complex, but got {d!r}")
        src = _FROM_NP[a.dtype]
        if src is not d and (d.itemsize < src.itemsize or (d.itemsize == src.itemsize and src.name != d.name)):
            raise RuntimeError(
                f"{op}: the dtype of the input ({src!r}) should be convertible without narrowing to the specified "
                f"dtype ({d!r})"
            )
        npdt = d.np
    dims = reduce_dims(op, dim, a.ndim)
    p = float(ord)
    if a.size == 0 and (p < 0 or p == math.inf):
        if dims is None:
            raise RuntimeError(
                f"{op} cannot compute the {_fmt(p)} norm on an empty tensor because the operation does not have an "
                f"identity"
            )
        for d_ in dims:
            if a.shape[d_] == 0:
                raise RuntimeError(
                    f"{op} cannot compute the {_fmt(p)} norm on the dimension {d_} because this dimension is empty "
                    f"and the operation does not have an identity"
                )
    return VectorNorm.apply(x, p, dims, bool(keepdim), npdt)  # type: ignore[no-any-return]


@register(name="linalg.vector_norm", method=False)
def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements when None), as ``torch.linalg.vector_norm``.

    ``ord`` may be any real: ``inf`` (max ``|x|``), ``-inf`` (min), 0 (count of nonzeros), others
    ``sum(|x|^ord)^(1/ord)``. The gradient is 0 where the norm is 0, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[3.0, -4.0], [0.0, 1.0]])
    >>> rt.linalg.vector_norm(x), rt.linalg.vector_norm(x, ord=1, dim=1)
    (tensor(5.0990), tensor([7., 1.]))
    """
    return _vector_norm("linalg.vector_norm", x, ord, dim, keepdim, dtype)


@register
def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None, dtype: Any = None
) -> Tensor:
    """The ``p``-norm over ``dim``, as ``torch.norm``: 'fro' and numbers are vector norms; 'nuc' a matrix norm.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[3.0, -4.0], [0.0, 1.0]])
    >>> rt.norm(x), x.norm(p=1, dim=0), rt.norm(x, float("inf"))
    (tensor(5.0990), tensor([3., 5.]), tensor(4.))
    """
    if out is not None:
        raise TypeError("norm(): out= is not supported")
    if p is None:
        p = "fro"
    if isinstance(p, str):
        if p == "fro":
            if isinstance(dim, tuple | list) and len(dim) > 2:
                raise RuntimeError(f"norm(): the frobenius norm takes at most 2 dims, got {tuple(dim)}")
            return _vector_norm("linalg.vector_norm", input, 2, dim, keepdim, dtype)
        if p == "nuc":
            fn = OPS.get("linalg.matrix_norm")
            if fn is None:
                raise NotImplementedError("norm(p='nuc') needs rustytorch.linalg.matrix_norm")
            return fn(input, "nuc", dim=(-2, -1) if dim is None else dim, keepdim=keepdim, dtype=dtype)  # type: ignore[no-any-return]
        raise RuntimeError(f"norm(): p must be 'fro', 'nuc' or a number, got {p!r}")
    return _vector_norm("linalg.vector_norm", input, p, dim, keepdim, dtype)
