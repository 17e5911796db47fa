"""Normalisation layers' functional forms, as ``torch.nn.functional.batch_norm`` / ``layer_norm``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Size, Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED, no_grad
from ..ops._pointwise import not_implemented
from ..ops._registry import Op, fp, register
from ._primitives import col_sum, row_sum

__all__ = ["batch_norm", "layer_norm"]


@register(name="nn.functional.batch_norm", method=False)
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the batch (and spatial) dims per channel (dim 1), as ``torch.nn.functional.batch_norm``.

    In training the batch statistics are used (biased variance) and the running statistics
    are updated with the unbiased variance; in evaluation the running statistics are used.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> rt.nn.functional.batch_norm(x, None, None, training=True)
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]])
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected at least a 2-D input (N, C, ...), got {list(input.shape)}")
    if not input.is_floating_point():
        raise not_implemented("batch_norm", input._data.dtype)
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements not {t.numel()}")
    a = input._data
    axes = (0, *range(2, a.ndim))
    if training:
        n = a.size // c
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {list(input.shape)}"
            )
        mean, var = fp(_bn_stats, a, axes)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(_make(mean.astype(running_mean._data.dtype)), alpha=momentum)
                unbiased = _make((var * (n / (n - 1))).astype(running_var._data.dtype))
                running_var.mul_(1 - momentum).add_(unbiased, alpha=momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean._data, running_var._data
    return BatchNorm.apply(input, weight, bias, mean, var, training, float(eps))  # type: ignore[no-any-return]


def _bn_stats(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance over ``axes`` (half precisions in float32)."""
    x = a if a.dtype.itemsize >= 4 else a.astype(np.float32)
    mean = x.mean(axis=axes)
    xc = x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))
    return mean, (xc * xc).mean(axis=axes)


class BatchNorm(Op):
    """``(x - mean) / sqrt(var + eps) · w + b`` per channel (dim 1); ``mean``/``var`` are arrays: the batch
    statistics of ``x`` (``batch_stats=True``, differentiated through) or running statistics (constants)."""

    _name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, w: Tensor | None, b: Tensor | None, mean: Any, var: Any, batch_stats: bool, eps: float
    ) -> np.ndarray:
        a = x._data
        shape = (1, -1) + (1,) * (a.ndim - 2)
        xf = a if a.dtype.itemsize >= 4 else a.astype(np.float32)
        dt = xf.dtype
        rstd = fp(_rstd, var.astype(dt, copy=False), eps).reshape(shape)
        xhat = xf - mean.astype(dt, copy=False).reshape(shape)
        xhat *= rstd
        out = xhat.copy() if w is None else xhat * w._data.astype(dt, copy=False).reshape(shape)  # xhat is saved
        if b is not None:
            out += b._data.astype(dt, copy=False).reshape(shape)
        if ctx is not None:
            ctx.save_for_backward(x, w)
            ctx.xhat = xhat
            ctx.rstd = rstd
            ctx.batch_stats = batch_stats
            ctx.stats = (np.array(mean), eps)  # a copy: running statistics change in place
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        # y = x̂ w + b, x̂ = (x - μ) r:  batch statistics: dx = r (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)) over (N, ...);
        # running statistics: dx = r dx̂;  dx̂ = dy w, dw = Σ dy x̂, db = Σ dy
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        axes = (0, *range(2, x.dim()))
        if not GRAD_ENABLED.get():
            return fp(_bn_backward_np, grad._data, ctx.xhat, ctx.rstd, None if w is None else w._data, axes,
                      ctx.batch_stats, need)  # fmt: skip
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean, eps = ctx.stats
        if ctx.batch_stats:
            xc = x - x.mean(axes, keepdim=True)
            rstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
        else:
            xc = x - _make(np.asarray(mean, dtype=x._data.dtype).reshape(shape))
            rstd = _make(ctx.rstd.astype(x._data.dtype))
        xhat = xc * rstd
        gxhat = grad if w is None else grad * w.reshape(shape)
        gx = gw = gb = None
        if need[0]:
            if ctx.batch_stats:
                gx = rstd * (gxhat - gxhat.mean(axes, keepdim=True) - xhat * (gxhat * xhat).mean(axes, keepdim=True))
            else:
                gx = gxhat * rstd
        if need[1]:
            gw = (grad * xhat).sum(axes)
        if need[2]:
            gb = grad.sum(axes)
        return gx, gw, gb


def _rstd(var: np.ndarray, eps: float) -> np.ndarray:
    return 1.0 / np.sqrt(var + var.dtype.type(eps))  # type: ignore[no-any-return]


def _bn_backward_np(
    g: np.ndarray, xhat: np.ndarray, rstd: np.ndarray, w: Any, axes: tuple[int, ...], batch_stats: bool, need: Any
) -> tuple[Any, ...]:
    shape = rstd.shape
    g = g.astype(xhat.dtype, copy=False)
    gx = gw = gb = None
    sum_g = g.sum(axis=axes)
    sum_gx = (g * xhat).sum(axis=axes)
    if need[0]:
        scale = rstd if w is None else rstd * w.astype(xhat.dtype).reshape(shape)
        if batch_stats:
            m = g.size // g.shape[1]
            t = g - (sum_g / m).reshape(shape)
            t -= xhat * (sum_gx / m).reshape(shape)
            t *= scale
        else:
            t = g * scale
        gx = _make(t)
    if need[1]:
        gw = _make(sum_gx)
    if need[2]:
        gb = _make(sum_g)
    return gx, gw, gb


def _ln_np(a: np.ndarray, d: int, eps: float, w: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(output, xhat, rstd) over rows of length ``d`` (float16/bfloat16 computed in float32, as torch)."""
    x = a.reshape(-1, d)
    if x.dtype.itemsize < 4:
        x = x.astype(np.float32)
    inv_d = x.dtype.type(1.0 / d)
    xc = x - row_sum(x) * inv_d
    var = np.einsum("ij,ij->i", xc, xc)[:, None]  # row dot products: no squared temporary
    var *= inv_d
    var += x.dtype.type(eps)
    rstd = np.sqrt(var, out=var)
    np.reciprocal(rstd, out=rstd)
    xc *= rstd
    out = xc.copy() if w is None else xc * w.reshape(-1)  # xc (x̂) is kept for backward
    if b is not None:
        out += b.reshape(-1)
    return out.reshape(a.shape).astype(a.dtype, copy=False), xc, rstd


class LayerNorm(Op):
    _name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor | None, b: Tensor | None, nd: int, eps: float) -> np.ndarray:
        a = x._data
        d = math.prod(a.shape[a.ndim - nd :])
        out, xhat, rstd = fp(_ln_np, a, d, eps, None if w is None else w._data, None if b is None else b._data)
        if ctx is not None:
            ctx.save_for_backward(x, w)
            ctx.xhat = xhat
            ctx.rstd = rstd
            ctx.nd = nd
            ctx.eps = eps
        return out  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        # y = x̂ w + b, x̂ = (x - mean) rstd:  dx = rstd (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)) with dx̂ = dy w,
        # dw = sum over rows of dy x̂, db = sum over rows of dy
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        nd = ctx.nd
        if not GRAD_ENABLED.get():
            return fp(_ln_backward_np, grad._data, ctx.xhat, ctx.rstd, None if w is None else w._data, nd, need)
        dims = tuple(range(x.dim() - nd, x.dim()))
        lead = tuple(range(x.dim() - nd))
        xc = x - x.mean(dims, keepdim=True)
        rstd = ((xc * xc).mean(dims, keepdim=True) + ctx.eps).rsqrt()
        xhat = xc * rstd
        gx = gw = gb = None
        if need[0]:
            gxhat = grad if w is None else grad * w
            gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True) - xhat * (gxhat * xhat).mean(dims, keepdim=True))
        if need[1]:
            gw = (grad * xhat).sum(lead) if lead else grad * xhat
        if need[2]:
            gb = grad.sum(lead) if lead else grad
        return gx, gw, gb


def _ln_backward_np(g: np.ndarray, xhat: np.ndarray, rstd: np.ndarray, w: Any, nd: int, need: Any) -> tuple[Any, ...]:
    shape = g.shape
    d = xhat.shape[1]
    g2 = g.reshape(-1, d)
    if g2.dtype != xhat.dtype:
        g2 = g2.astype(xhat.dtype)
    ns = shape[len(shape) - nd :]
    gx = gw = gb = None
    if need[0]:
        gxh = g2 if w is None else g2 * w.reshape(-1)
        inv_d = xhat.dtype.type(1.0 / d)
        t = gxh - row_sum(gxh) * inv_d
        t -= xhat * (row_sum(gxh * xhat) * inv_d)
        t *= rstd
        gx = _make(t.reshape(shape))
    if need[1]:
        gw = _make(col_sum(g2 * xhat).reshape(ns))
    if need[2]:
        gb = _make(col_sum(g2).reshape(ns))
    return gx, gw, gb


@register(name="nn.functional.layer_norm", method=False)
def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims (biased variance), as ``torch.nn.functional.layer_norm``.

    One node: the forward keeps the normalised input and the inverse deviations for backward.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.layer_norm(rt.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    if not isinstance(normalized_shape, list | tuple | Size):
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")  # fmt: skip
    ns = tuple(int(v) for v in normalized_shape)
    shape = tuple(input.shape)
    if not ns or len(ns) > len(shape) or shape[len(shape) - len(ns) :] != ns:
        raise RuntimeError(
            f"layer_norm: Given normalized_shape={list(ns)}, expected input with shape [*, {', '.join(map(str, ns))}], "
            f"but got input of size{list(shape)}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: Expected {name} to be of same shape as normalized_shape, but got {name} "
                               f"of shape {list(t.shape)} and normalized_shape = {list(ns)}")  # fmt: skip
    if not input.is_floating_point():
        raise not_implemented("layer_norm", input._data.dtype)
    return LayerNorm.apply(input, weight, bias, len(ns), float(eps))  # type: ignore[no-any-return]
