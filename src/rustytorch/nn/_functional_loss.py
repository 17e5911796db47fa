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

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]


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
            f"({list(input.shape)}). This will likely lead to incorrect results due to broadcasting.",
            UserWarning,
            stacklevel=3,
        )


@register(name="nn.functional.mse_loss", method=False)
def mse_loss(input: Tensor, target: Tensor, size_average: None = None, reduce: None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error, as ``torch.nn.functional.mse_loss``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.mse_loss(rt.tensor([1.0, 2.0]), rt.tensor([0.0, 4.0]))
    tensor(2.5000)
    """
    _check_same_size(input, target, "mse_loss")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "mse_loss")


@register(name="nn.functional.l1_loss", method=False)
def l1_loss(input: Tensor, target: Tensor, size_average: None = None, reduce: None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error, as ``torch.nn.functional.l1_loss``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.l1_loss(rt.tensor([1.0, 2.0]), rt.tensor([0.0, 4.0]))
    tensor(1.5000)
    """
    _check_same_size(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "l1_loss")


def _class_dim_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C); (N, C) unchanged."""
    if x.dim() == 1:
        return x.unsqueeze(0)
    if x.dim() == 2:
        return x
    return x.movedim(1, -1).reshape(-1, x.shape[1])


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
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"{op}: Target {t[bad].reshape(-1)[0]} is out of bounds (number of classes: {c}).")
    return t


@register(name="nn.functional.nll_loss", method=False)
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: None = None,
    ignore_index: int = -100,
    reduce: None = None,
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
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")
    t = _check_targets(input, target, weight, ignore_index, op).reshape(-1)
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


class CrossEntropy(Op):
    """Fused log-softmax + (label-smoothed, weighted) NLL over class dim 1 of an (N, C, ...) or (C,) input.

    Per element: ``(1-ε) w_t (-log p_t) + (ε/C) Σ_c w_c (-log p_c)`` (0 where the target is ignored);
    ``mean`` divides the sum by the total weight ``Σ w_t`` of the non-ignored targets, as torch.
    """

    _name = "NllLossBackward0"

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, t: np.ndarray, w: Any, ignore: int, eps: float, reduction: str
    ) -> np.ndarray:
        a = x._data
        out_dt = a.dtype
        if a.ndim == 1:
            a, t = a[None], t.reshape(1)
        if a.dtype.itemsize < 4:
            a = a.astype(np.float32)
        res = fp(_ce_np, a, t, w, ignore, eps, reduction, ctx is not None)
        if ctx is not None:
            ctx.save_for_backward(x)
            loss, ctx.q, ctx.tt, ctx.wv, ctx.valid, ctx.total = res
            ctx.w = w
            ctx.eps = eps
            ctx.reduction = reduction
        else:
            loss = res[0]
        return np.asarray(loss, dtype=out_dt)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # d/dx = (a q - B) g with q = softmax(x), a = (1-ε) w_t + (ε/C) S, B = (1-ε) w_t onehot(t) + (ε/C) w
        # (S = Σ w; every term 0 where the target is ignored), g the upstream gradient (/ Σ w_t for 'mean')
        shape = ctx._in_meta[0][0]
        q, tt, wv, valid = ctx.q, ctx.tt, ctx.wv, ctx.valid
        eps, w, red = ctx.eps, ctx.w, ctx.reduction
        c = q.shape[1]
        dt = q.dtype
        ext = (slice(None), None)  # (N, ...) -> (N, 1, ...)
        wb = None if w is None else w.astype(dt).reshape((1, c) + (1,) * (q.ndim - 2))
        s_w = float(c) if w is None else float(w.sum())
        a = (1 - eps) * wv + (eps / c * s_w) * valid
        if not GRAD_ENABLED.get():
            g = grad._data.astype(dt, copy=False)
            if red == "none":
                g = g.reshape(tt.shape)
            elif red == "mean":
                g = g / dt.type(ctx.total)
            gx = q * (a * g)[ext]
            picked = np.take_along_axis(gx, tt[ext], 1)
            picked -= ((1 - eps) * wv * g)[ext]
            np.put_along_axis(gx, tt[ext], picked, 1)
            if eps:
                gx -= (eps / c) * (valid * g)[ext] * (1 if wb is None else wb)
            return _make(gx.reshape(shape).astype(ctx._in_meta[0][1], copy=False))
        (x,) = ctx.saved_tensors
        xs = x if x.dim() > 1 else x.unsqueeze(0)
        onehot = np.zeros(q.shape, dtype=dt)
        np.put_along_axis(onehot, tt[ext], dt.type(1), 1)
        b = onehot * ((1 - eps) * wv)[ext]
        if eps:
            b += (eps / c) * valid[ext] * (1 if wb is None else wb)
        gs = grad.reshape(tt.shape).unsqueeze(1) if red == "none" else grad / float(ctx.total) if red == "mean" else grad
        gx = (xs.softmax(1) * _make(a[ext]) - _make(b)) * gs
        return gx.reshape(shape)


def _ce_np(
    a: np.ndarray, t: np.ndarray, w: Any, ignore: int, eps: float, reduction: str, keep: bool
) -> tuple[Any, ...]:
    c = a.shape[1]
    z = a - np.maximum.reduce(a, 1, keepdims=True)
    e = np.exp(z)
    se = np.add.reduce(e, 1, keepdims=True)
    logp = z - np.log(se)
    valid = t != ignore
    tt = np.where(valid, t, 0)
    dt = a.dtype
    wv = valid.astype(dt) if w is None else np.where(valid, w.astype(dt)[tt], dt.type(0))
    loss = np.take_along_axis(logp, tt[:, None], 1)[:, 0]
    loss *= -(1 - eps) * wv
    if eps:
        wl = logp if w is None else logp * w.astype(dt).reshape((1, c) + (1,) * (a.ndim - 2))
        loss -= (eps / c) * np.where(valid, np.add.reduce(wl, 1), dt.type(0))
    total = wv.sum() if reduction == "mean" else None
    if reduction == "sum":
        loss = loss.sum()
    elif reduction == "mean":
        loss = loss.sum() / total
    if not keep:
        return (loss,)
    e /= se  # softmax
    return loss, e, tt, wv, valid.astype(dt), total


@register(name="nn.functional.cross_entropy", method=False)
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: None = None,
    ignore_index: int = -100,
    reduce: None = None,
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
    if weight is not None and weight.requires_grad and GRAD_ENABLED.get():
        return _cross_entropy_composed(input, target, weight, ignore_index, reduction, label_smoothing)
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


def _cross_entropy_composed(
    input: Tensor, target: Tensor, weight: Tensor, ignore_index: int, reduction: str, eps: float
) -> Tensor:
    """Composed ops (a weight that requires grad gets its gradient)."""
    class_dim = 1 if input.dim() > 1 else 0
    c = input.shape[class_dim]
    logp = input.log_softmax(class_dim)  # type: ignore[attr-defined]
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if eps == 0.0:
        return nll
    wshape = [1] * input.dim()
    wshape[class_dim] = c
    smooth = -(logp * weight.reshape(wshape)).sum(class_dim)
    smooth = smooth.masked_fill(_make((target._data == ignore_index).reshape(smooth.shape)), 0.0)
    if reduction == "mean":
        t = target._data.reshape(-1)
        keep = t != ignore_index
        ret = smooth.sum() / weight[_make(t[keep])].sum()
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return nll * (1 - eps) + ret * (eps / c)


@register(name="nn.functional.binary_cross_entropy", method=False)
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: None = None,
                         reduce: None = None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities (log terms clamped at -100, as torch).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.binary_cross_entropy(rt.tensor([0.5, 1.0]), rt.tensor([1.0, 1.0]))
    tensor(0.3466)
    """
    op = "binary_cross_entropy"
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}) is deprecated. Please ensure they have the same size."
        )
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
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: None = None, reduce: None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy in one stable expression, as ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.binary_cross_entropy_with_logits(rt.tensor([100.0, -100.0]), rt.tensor([0.0, 1.0]))
    tensor(100.)
    """
    op = "binary_cross_entropy_with_logits"
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op}: Target size ({list(target.shape)}) must be the same as input size ({list(input.shape)})")
    # log(1 + exp(-|x|)) + max(-x, 0) = -log(sigmoid(x)), computed without overflow
    softplus_neg = ops.log1p(ops.exp(-input.abs())) + ops.clamp(-input, min=0.0)  # type: ignore[attr-defined]
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, op)
