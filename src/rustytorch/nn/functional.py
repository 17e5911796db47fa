"""``rustytorch.nn.functional``: the stateless forms of the layers, as ``torch.nn.functional``.

Activations such as ``relu``, ``softmax`` and ``log_softmax`` are the top-level ops; the rest
is composed from ops and the primitives in ``nn._primitives``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from .._tensor import Tensor, _make
from ..ops._registry import OPS, register
from ._functional_conv import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    fold,
    max_pool2d,
    unfold,
)
from ._functional_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ._functional_norm import batch_norm, layer_norm
from ._primitives import Linear, Take

__all__ = [
    "linear",
    "relu",
    "relu_",
    "gelu",
    "silu",
    "leaky_relu",
    "elu",
    "tanh",
    "sigmoid",
    "softmax",
    "log_softmax",
    "softplus",
    "dropout",
    "embedding",
    "one_hot",
    "normalize",
    "pad",
    "scaled_dot_product_attention",
    "conv1d",
    "conv2d",
    "unfold",
    "fold",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "batch_norm",
    "layer_norm",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def __getattr__(name: str) -> Any:
    # activations and pad are ops registered by their own modules (rt.relu, rt.softmax, ...)
    if name in ("relu", "tanh", "sigmoid", "softmax", "log_softmax"):
        return getattr(ops, name)
    if name == "relu_":
        return lambda input: input.relu_()
    if name == "pad":
        return OPS["nn.functional.pad"]
    raise AttributeError(f"module 'rustytorch.nn.functional' has no attribute '{name}'")


@register(name="nn.functional.linear", method=False)
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` in one node, as ``torch.nn.functional.linear``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.linear(rt.ones(2, 3), rt.ones(4, 3), rt.zeros(4))
    tensor([[3., 3., 3., 3.],
            [3., 3., 3., 3.]])
    """
    return Linear.apply(input, weight, bias)  # type: ignore[no-any-return]


@register(name="nn.functional.gelu", method=False)
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU: ``x·Φ(x)`` (``approximate='tanh'`` for the tanh form), as ``torch.nn.functional.gelu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.gelu(rt.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate == "none":
        return input * 0.5 * (1.0 + ops.erf(input * (1.0 / math.sqrt(2.0))))  # type: ignore[attr-defined]
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (1.0 + ops.tanh(inner))  # type: ignore[attr-defined]
    raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got {approximate!r}")


@register(name="nn.functional.silu", method=False)
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish): ``x·sigmoid(x)``, as ``torch.nn.functional.silu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.silu(rt.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    return input * ops.sigmoid(input)  # type: ignore[attr-defined]


@register(name="nn.functional.leaky_relu", method=False)
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope·x`` elsewhere, as ``torch.nn.functional.leaky_relu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.leaky_relu(rt.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    return ops.where(input > 0, input, input * negative_slope)  # type: ignore[attr-defined]


@register(name="nn.functional.elu", method=False)
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha·(exp(x) - 1)`` elsewhere, as ``torch.nn.functional.elu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.elu(rt.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    return ops.where(input > 0, input, ops.expm1(input) * alpha)  # type: ignore[attr-defined]


@register(name="nn.functional.softplus", method=False)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta·x)) / beta``, linear above ``threshold``, as ``torch.nn.functional.softplus``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.softplus(rt.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
    """
    bx = input * beta
    soft = ops.log1p(ops.exp(ops.clamp(bx, max=threshold))) / beta  # type: ignore[attr-defined]
    return ops.where(bx > threshold, input, soft)  # type: ignore[attr-defined]


@register(name="nn.functional.dropout", method=False)
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` when training.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.dropout(rt.ones(3), p=0.5, training=False)
    tensor([1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = ops.rand_like(input, dtype=input.dtype) >= p  # type: ignore[attr-defined]
    out = input * keep * (1.0 / (1.0 - p))
    if inplace:
        with_grad = input.requires_grad
        if with_grad:
            return out
        input.copy_(out)  # type: ignore[attr-defined]
        return input
    return out


@register(name="nn.functional.embedding", method=False)
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the integer indices ``input``; the ``padding_idx`` row gets no gradient.

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> rt.nn.functional.embedding(rt.tensor([[2, 1]]), w)
    tensor([[[3., 4.],
             [1., 2.]]])
    """
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding: expected indices of type Long or Int, but got {input.dtype!r}"
        )
    v, d = weight.shape
    if idx.size and (idx.min() < -v or idx.max() >= v):
        raise IndexError(f"embedding: index out of range in self (indices must be in [0, {v}), got values in [{idx.min()}, {idx.max()}])")
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm is not supported")
    rows = np.where(idx < 0, idx + v, idx).astype(np.int64)
    flat = rows[..., None] * d + np.arange(d)
    w = weight
    if padding_idx is not None and weight.requires_grad:
        pad = padding_idx % v
        mask = np.zeros((v, 1), dtype=weight._data.dtype)
        mask[pad] = 1.0
        m = _make(mask)
        w = weight * (1.0 - m) + weight.detach() * m  # the padding row is a constant: no gradient
    return Take.apply(w, flat)  # type: ignore[no-any-return]


@register(name="nn.functional.one_hot", method=False)
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dimension, as ``torch.nn.functional.one_hot``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.one_hot(rt.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    a = tensor._data
    if a.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and (a.min() < 0 or a.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got values in [{a.min()}, {a.max()}]")
    return _make((a[..., None] == np.arange(num_classes)).astype(np.int64))


@register(name="nn.functional.normalize", method=False)
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``, as ``torch.nn.functional.normalize``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.normalize(rt.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    denom = ops.clamp(input.norm(p, dim, keepdim=True), min=eps)  # type: ignore[attr-defined]
    return input / denom.expand_as(input)


@register(name="nn.functional.scaled_dot_product_attention", method=False)
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(q kᵀ · scale + mask) v``, with an optional causal mask, as ``torch.nn.functional.scaled_dot_product_attention``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> q = k = v = rt.ones(1, 2, 4)
    >>> rt.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    rustytorch.Size([1, 2, 4])
    """
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key embedding sizes differ: {list(query.shape)} and {list(key.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True")
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * s
    lq, lk = query.shape[-2], key.shape[-2]
    if is_causal:
        allowed = _make(np.tril(np.ones((lq, lk), dtype=bool)))
        scores = scores.masked_fill(~allowed, float("-inf"))
    elif attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    attn = ops.softmax(scores, -1)  # type: ignore[attr-defined]
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p)
    return attn.matmul(value)

