"""Loss functions, as ``torch.nn.functional``: the same reductions, weights and edge cases."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import ops
from .._tensor import Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED
from ..ops._pointwise import TORCH_NAMES, not_implemented
from ..ops._registry import Op, fp, register
from ._primitives import Softplus, row_sum

#: a row sum below this after the shift by the global maximum may have lost precision: redo with row maxima
_SAFE_SUM = {np.dtype(np.float32): 1e-20, np.dtype(np.float64): 1e-200}

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def _check_same_size(input: Tensor, target: Tensor, op: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{op}: Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """torch's deprecated ``size_average`` / ``reduce`` flags, when given, decide the reduction."""
    if size_average is None and reduce is None:
        return reduction
    ret = "mean" if (size_average is not False and reduce is not False) else "sum" if reduce is not False else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  UserWarning, stacklevel=3)  # fmt: skip
    return ret


def _pointwise_loss(err: Tensor, weight: Tensor | None, reduction: str, op: str) -> Tensor:
    """Reduce an elementwise loss; with ``weight``, ``mean`` is the weighted sum over the sum of weights."""
    if weight is None:
        return _reduce(err, reduction, op)
    if tuple(weight.shape) != tuple(err.shape):
        raise ValueError(f"{op}: Weights and input must have the same size.")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    w = err * weight
    if reduction == "none":
        return w
    return w.sum() if reduction == "sum" else w.sum() / weight.sum()


@register(name="nn.functional.mse_loss", method=False)
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error, as ``torch.nn.functional.mse_loss`` (``weight``: weighted mean).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.mse_loss(rt.tensor([1.0, 2.0]), rt.tensor([0.0, 4.0]))
    tensor(2.5000)
    """
    _check_same_size(input, target, "mse_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = input - target
    return _pointwise_loss(d * d, weight, reduction, "mse_loss")


@register(name="nn.functional.l1_loss", method=False)
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error, as ``torch.nn.functional.l1_loss`` (``weight``: weighted mean).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.l1_loss(rt.tensor([1.0, 2.0]), rt.tensor([0.0, 4.0]))
    tensor(1.5000)
    """
    _check_same_size(input, target, "l1_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _pointwise_loss((input - target).abs(), weight, reduction, "l1_loss")


def _class_dim_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    if x.dim() == 1:
        return x.unsqueeze(0)
    if x.dim() == 2:
        return x
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _no_weight_grad(weight: Tensor | None, fn: str) -> None:
    """torch's losses are not differentiable with respect to their class weights: they refuse one that
    requires grad (rather than silently giving it no gradient)."""
    if weight is not None and weight.requires_grad and GRAD_ENABLED.get():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument 'weight'. This "
                           "input cannot have requires_grad True.")  # fmt: skip


_min, _max = np.minimum.reduce, np.maximum.reduce


def _check_targets(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, op: str) -> np.ndarray:
    """torch's checks of class-index targets (dtype, shape, bounds) and of the weight; the targets as int64."""
    if input.dim() < 1:
        raise ValueError(f"{op}: Expected 1 or more dimensions (got {input.dim()})")
    t = target._data
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{op}: expected target dtype to be Long or Byte, but got {TORCH_NAMES[t.dtype.name]}")
    shape = tuple(input.shape)
    c = shape[1] if len(shape) > 1 else shape[0]
    if len(shape) <= 2:
        if t.ndim > 1:
            raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not supported")
        n = shape[0] if len(shape) == 2 else 1
        tn = t.shape[0] if t.ndim else 1
        if (len(shape) == 2) != (t.ndim == 1) or tn != n:
            raise ValueError(f"{op}: Expected input batch_size ({n}) to match target batch_size ({tn}).")
    elif t.shape != (shape[0], *shape[2:]):
        if t.ndim >= 1 and t.shape[0] != shape[0]:
            raise ValueError(f"{op}: Expected input batch_size ({shape[0]}) to match target batch_size ({t.shape[0]}).")
        raise RuntimeError(f"{op}: Expected target size {[shape[0], *shape[2:]]}, got {list(t.shape)}")
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")  # fmt: skip
    t = t.astype(np.int64, copy=False)
    if t.size and (_min(t, axis=None) < 0 or _max(t, axis=None) >= c):
        bad = (t != ignore_index) & ((t < 0) | (t >= c))
        if bad.any():
            raise IndexError(f"{op}: Target {t[bad].reshape(-1)[0]} is out of bounds (number of classes: {c}).")
    return t


@register(name="nn.functional.nll_loss", method=False)
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities, as ``torch.nn.functional.nll_loss``.

    With ``reduction='mean'`` the sum is divided by the total weight of the non-ignored targets.

    Examples
    --------
    >>> import rustytorch as rt
    >>> logp = rt.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> rt.nn.functional.nll_loss(logp, rt.tensor([0, 1]))
    tensor(0.3000)
    """
    op = "nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")
    t = _check_targets(input, target, weight, ignore_index, op).reshape(-1)
    _no_weight_grad(weight, "nll_loss_forward")
    logp = _class_dim_last(input)
    valid = t != ignore_index
    tgt = np.where(valid, t, 0)
    picked = logp.gather(1, _make(tgt[:, None])).squeeze(1)  # (rows,)
    dt = input._data.dtype
    w = np.ones(t.shape[0], dtype=dt) if weight is None else weight._data[tgt].astype(dt)
    w = np.where(valid, w, dt.type(0))
    loss = -(picked * _make(w))
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / _make(np.asarray(w.sum(), dtype=dt))


def _rows(a: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N·d1·..., C) (a copy unless 2-D); (C,) -> (1, C)."""
    if a.ndim == 2:
        return a
    if a.ndim == 1:
        return a[None]
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


class CrossEntropy(Op):
    """Fused log-softmax + (label-smoothed, weighted) NLL over class dim 1 of an (N, C, ...) or (C,) input.

    Per element: ``(1-ε) w_t (-log p_t) + (ε/C) Σ_c w_c (-log p_c)`` (0 where the target is ignored);
    ``mean`` divides the sum by the total weight ``Σ w_t`` of the non-ignored targets, as torch.
    """

    _name = "NllLossBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, t: np.ndarray, w: Any, ignore: int, eps: float, reduction: str) -> np.ndarray:
        a = x._data
        out_dt = a.dtype
        rows = _rows(a)
        half = out_dt.itemsize < 4
        if half:
            rows = rows.astype(np.float32)
        res = fp(_ce_np, rows, t.reshape(-1), w, ignore, eps, reduction, ctx is not None, out_dt if half else None)
        loss = res[0]
        if reduction == "none":
            loss = loss.reshape(t.shape)
        if ctx is not None:
            ctx.save_for_backward(x)
            _, ctx.q, ctx.tt, ctx.wv, ctx.valid, ctx.total = res
            ctx.w = w
            ctx.eps = eps
            ctx.reduction = reduction
        return np.asarray(loss, dtype=out_dt)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # d/dx = (a q - B) g with q = softmax(x), a = (1-ε) w_t + (ε/C) S, B = (1-ε) w_t onehot(t) + (ε/C) w
        # (S = Σ w; every term 0 where the target is ignored), g the upstream gradient (/ Σ w_t for 'mean')
        shape, in_dt = ctx._in_meta[0]
        q, tt, wv, valid = ctx.q, ctx.tt, ctx.wv, ctx.valid  # q: (M, C) softmax rows
        eps, w, red = ctx.eps, ctx.w, ctx.reduction
        m, c = q.shape
        dt = q.dtype
        s_w = float(c) if w is None else float(w.sum())
        a = wv if eps == 0 else (1 - eps) * wv + (eps / c * s_w) * valid
        rows = np.arange(m)
        if not GRAD_ENABLED.get():
            g = grad._data.astype(dt, copy=False)
            g = g.reshape(m) if red == "none" else g / dt.type(ctx.total) if red == "mean" else g
            gx = q * _col(a * g)
            gx[rows, tt] -= (1 - eps) * wv * g
            if eps:
                gx -= (eps / c) * _col(valid * g) * (1 if w is None else w.astype(dt))
            return _make(_unrows(gx, shape).astype(in_dt, copy=False))
        (x,) = ctx.saved_tensors
        xs = x.unsqueeze(0) if x.dim() == 1 else x.movedim(1, -1).reshape(-1, c) if x.dim() > 2 else x
        b = np.zeros((m, c), dtype=dt)
        b[rows, tt] = (1 - eps) * wv
        if eps:
            b += (eps / c) * _col(valid) * (1 if w is None else w.astype(dt))
        gs = grad.reshape(m, 1) if red == "none" else grad / float(ctx.total) if red == "mean" else grad
        gx = (xs.softmax(1) * _make(np.asarray(_col(a), dtype=dt)) - _make(b)) * gs
        if x.dim() > 2:
            return gx.reshape(shape[0], *shape[2:], c).movedim(-1, 1)  # type: ignore[no-any-return]
        return gx.reshape(shape)


def _col(v: Any) -> Any:
    """A per-row array as a column (M, 1); scalars as they are."""
    return v[:, None] if np.ndim(v) else v


def _unrows(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of ``_rows``: (M, C) gradient rows back to the input's (N, C, ...) shape."""
    if len(shape) <= 2:
        return g.reshape(shape)
    return np.ascontiguousarray(np.moveaxis(g.reshape(shape[0], *shape[2:], shape[1]), -1, 1))


def _targets(t: np.ndarray, w: Any, ignore: int, dt: np.dtype[Any]) -> tuple[np.ndarray, Any, Any]:
    """The targets with ignored ones replaced by 0, their validity and their weights (scalars when every
    target counts and there are no class weights: the common case)."""
    valid: Any = t != ignore
    if valid.all():
        return t, dt.type(1), (dt.type(1) if w is None else w.astype(dt)[t])
    tt = np.where(valid, t, 0)
    return tt, valid, (valid.astype(dt) if w is None else np.where(valid, w.astype(dt)[tt], dt.type(0)))


def _finish(
    loss: np.ndarray,
    e: np.ndarray,
    se: np.ndarray,
    tt: np.ndarray,
    valid: Any,
    wv: Any,
    m: int,
    dt: Any,
    reduction: str,
    keep: bool,
) -> tuple[Any, ...]:
    """Reduce the per-row losses; with ``keep``, also what backward needs (``e / se`` is the softmax)."""
    total = (wv * m if np.ndim(wv) == 0 else wv.sum()) if reduction == "mean" else None
    if reduction == "sum":
        loss = loss.sum()
    elif reduction == "mean":
        loss = loss.sum() / total
    if not keep:
        return (loss,)
    e /= se  # softmax
    return loss, e, tt, wv, (valid.astype(dt) if np.ndim(valid) else valid), total


def _ce_np(
    a: np.ndarray, t: np.ndarray, w: Any, ignore: int, eps: float, reduction: str, keep: bool, half: Any = None
) -> tuple[Any, ...]:
    m, c = a.shape
    if eps == 0 and half is None and a.dtype in _SAFE_SUM and a.size:
        fast = _ce_fast(a, t, w, ignore, reduction, keep)
        if fast is not None:
            return fast
    z = a - np.maximum.reduce(a, 1, keepdims=True)
    e = np.exp(z)
    se = np.add.reduce(e, 1, keepdims=True)
    logp = z - np.log(se)
    if half is not None:  # torch's half log_softmax rounds its output to half before the loss
        logp = logp.astype(half).astype(a.dtype)
    dt = a.dtype
    tt, valid, wv = _targets(t, w, ignore, dt)
    loss = logp[np.arange(m), tt]
    loss *= -(1 - eps) * wv
    if eps:
        wl = logp if w is None else logp * w.astype(dt)
        loss -= (eps / c) * (np.add.reduce(wl, 1) * valid)
    return _finish(loss, e, se, tt, valid, wv, m, dt, reduction, keep)


def _ce_fast(a: np.ndarray, t: np.ndarray, w: Any, ignore: int, reduction: str, keep: bool) -> tuple[Any, ...] | None:
    """``_ce_np`` without label smoothing, in fewer passes: the logits shifted by their global maximum
    (one fast reduction in place of a slow one per row), row sums as one matrix-vector product, only the
    target log-probabilities formed. None when a row's sum may have lost precision to the shared shift
    (rows far below the maximum, infinities, NaN): the caller then takes the per-row path."""
    mx = np.maximum.reduce(a, axis=None)
    if not np.isfinite(mx):
        return None
    m = a.shape[0]
    dt = a.dtype
    tt, valid, wv = _targets(t, w, ignore, dt)
    e = np.subtract(a, mx)
    zt = e[np.arange(m), tt]  # target logits, shifted
    np.exp(e, out=e)
    se = row_sum(e)
    if not np.minimum.reduce(se, axis=None) >= _SAFE_SUM[dt]:
        return None
    loss = np.log(se[:, 0])
    loss -= zt  # -log p_t
    loss *= wv
    return _finish(loss, e, se, tt, valid, wv, m, dt, reduction, keep)


@register(name="nn.functional.cross_entropy", method=False)
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities, as ``torch.nn.functional.cross_entropy``.

    Stable for large logits (a max-shifted log-softmax); supports ``weight``, ``ignore_index``,
    ``label_smoothing`` and the three reductions with torch's normalisation. Class-index targets
    are one fused node.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.cross_entropy(rt.tensor([[1000.0, 0.0]]), rt.tensor([1]))
    tensor(1000.)
    """
    op = "cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")
    if not input.is_floating_point():
        raise not_implemented(op, input._data.dtype)
    if target.is_floating_point() and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if input.dim() == 0:
        raise RuntimeError(f"{op}: Expected floating point type for target with class probabilities, got "
                           f"{TORCH_NAMES[target._data.dtype.name]}")  # fmt: skip
    t = _check_targets(input, target, weight, ignore_index, op)
    _no_weight_grad(weight, "nll_loss_forward")
    w = None if weight is None else weight._data
    return CrossEntropy.apply(input, t, w, ignore_index, float(label_smoothing), reduction)  # type: ignore[no-any-return]


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, eps: float) -> Tensor:
    class_dim = 1 if input.dim() > 1 else 0
    c = input.shape[class_dim]
    logp = input.log_softmax(class_dim)  # type: ignore[attr-defined]
    tgt = target * (1 - eps) + eps / c if eps > 0 else target
    prod = logp * tgt
    if weight is not None:
        wshape = [1] * input.dim()
        wshape[class_dim] = c
        prod = prod * weight.reshape(wshape)
    loss = -prod.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (input.numel() // c) if input.dim() > 1 else loss.sum()
    return _reduce(loss, reduction, "cross_entropy")


@register(name="nn.functional.binary_cross_entropy", method=False)
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy of probabilities (log terms clamped at -100, as torch).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.binary_cross_entropy(rt.tensor([0.5, 1.0]), rt.tensor([1.0, 1.0]))
    tensor(0.3466)
    """
    op = "binary_cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    _no_weight_grad(weight, "binary_cross_entropy")
    a = input._data
    if a.size and (a.min() < 0 or a.max() > 1):
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1")
    log_p = ops.clamp(ops.log(input), min=-100.0)  # type: ignore[attr-defined]
    log_1mp = ops.clamp(ops.log(1 - input), min=-100.0)  # type: ignore[attr-defined]
    loss = -(target * log_p + (1 - target) * log_1mp)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, op)


@register(name="nn.functional.binary_cross_entropy_with_logits", method=False)
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross entropy (stable), as ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.binary_cross_entropy_with_logits(rt.tensor([100.0, -100.0]), rt.tensor([0.0, 1.0]))
    tensor(100.)
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: Target size ({list(target.shape)}) must be the same as input size ({list(input.shape)})"
        )
    _no_weight_grad(weight, op)
    softplus_neg = Softplus.apply(-input, 1.0, float("inf"))  # -log(sigmoid(x)), stable, smooth at 0
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, op)
