"""Loss functions, as ``torch.nn.functional``: the same reductions, weights and edge cases."""

from __future__ import annotations

import warnings

import numpy as np

from .. import ops
from .._tensor import Tensor, _make
from ..ops._registry import register

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


def _targets(target: Tensor, n_rows: int, c: int, ignore_index: int, op: str) -> tuple[np.ndarray, np.ndarray]:
    t = target._data.reshape(-1)
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target of an integer dtype (class indices), got {target.dtype!r}")
    if t.size != n_rows:
        raise ValueError(f"{op}: Expected input batch_size ({n_rows}) to match target batch_size ({t.size}).")
    valid = t != ignore_index
    tv = t[valid]
    if tv.size and (tv.min() < 0 or tv.max() >= c):
        bad = tv[(tv < 0) | (tv >= c)][0]
        raise IndexError(f"{op}: Target {bad} is out of bounds (number of classes: {c})")
    return np.where(valid, t, 0).astype(np.int64), valid


@register(name="nn.functional.nll_loss", method=False)
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: None = None,
             ignore_index: int = -100, reduce: None = None, reduction: str = "mean") -> Tensor:
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
    if input.dim() < 1:
        raise ValueError(f"{op}: expected input with at least 1 dimension, got a 0-d tensor")
    c = input.shape[1] if input.dim() > 1 else input.shape[0]
    logp = _class_dim_last(input)
    tgt, valid = _targets(target, logp.shape[0], c, ignore_index, op)
    picked = logp.gather(1, _make(tgt[:, None])).squeeze(1)  # (rows,)
    w = np.ones(logp.shape[0], dtype=input._data.dtype) if weight is None else weight._data[tgt]
    w = np.where(valid, w, 0).astype(input._data.dtype)
    wt = _make(w)
    loss = -(picked * wt)
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / _make(np.asarray(w.sum(), dtype=input._data.dtype))
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


@register(name="nn.functional.cross_entropy", method=False)
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: None = None,
                  ignore_index: int = -100, reduce: None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities, as ``torch.nn.functional.cross_entropy``.

    Stable for large logits (a fused log-softmax); supports ``weight``, ``ignore_index``,
    ``label_smoothing`` and the three reductions with torch's normalisation.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.cross_entropy(rt.tensor([[1000.0, 0.0]]), rt.tensor([1]))
    tensor(1000.)
    """
    op = "cross_entropy"
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.dim() > 1 else 0
    c = input.shape[class_dim]
    logp = ops.log_softmax(input, class_dim)  # type: ignore[attr-defined]
    wshape = [1] * input.dim()
    wshape[class_dim] = c
    if target.is_floating_point():
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"{op}: expected target of shape {list(input.shape)} for class probabilities, got {list(target.shape)}")
        tgt = target * (1 - label_smoothing) + label_smoothing / c if label_smoothing > 0 else target
        prod = logp * tgt
        if weight is not None:
            prod = prod * weight.reshape(wshape)
        loss = -prod.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // c) if input.dim() > 1 else loss.sum()
        return _reduce(loss, reduction, op)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    smooth = -(logp * weight.reshape(wshape)).sum(class_dim) if weight is not None else -logp.sum(class_dim)
    ignore = _make((target._data == ignore_index).reshape(smooth.shape))
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        t = target._data.reshape(-1)
        keep = t != ignore_index
        denom = float(weight._data[t[keep]].sum()) if weight is not None else float(keep.sum())
        ret = smooth.sum() / denom
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return nll * (1 - label_smoothing) + ret * (label_smoothing / c)


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
