"""``rustytorch.nn.functional``: the stateless forms of the layers, as ``torch.nn.functional``.

``relu``, ``tanh``, ``sigmoid``, ``softmax`` and ``log_softmax`` wrap the top-level ops (with
torch.nn.functional's signatures); ``pad`` is ``ops.join.pad``; the rest is built here and in
``_functional_conv`` / ``_functional_loss`` / ``_functional_norm`` on the primitives of ``_primitives``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _random
from .._dtype import get_default_dtype
from .._tensor import Tensor, _make
from ..ops._registry import inplace, register
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import relu as _relu
from ..ops.activation import sigmoid as _sigmoid
from ..ops.activation import softmax as _softmax
from ..ops.join import pad
from ..ops.math import tanh as _tanh
from ._functional_attention import scaled_dot_product_attention
from ._functional_conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, fold, max_pool2d, unfold
from ._functional_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ._functional_norm import batch_norm, layer_norm
from ._primitives import Gelu, Linear, Silu, Softplus, TakeRows

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


# ----------------------------------------------------------------------- activations (top-level ops)
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``, as ``torch.nn.functional.relu`` (``inplace=True`` writes into ``input``).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.relu(rt.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return input.relu_() if inplace else _relu(input)  # type: ignore[attr-defined, no-any-return]


def relu_(input: Tensor) -> Tensor:
    """``relu`` in place, as ``torch.nn.functional.relu_``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([-1.0, 2.0])
    >>> _ = rt.nn.functional.relu_(x); x
    tensor([0., 2.])
    """
    return input.relu_()  # type: ignore[attr-defined, no-any-return]


def tanh(input: Tensor) -> Tensor:
    """``tanh(input)``, as ``torch.nn.functional.tanh``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.tanh(rt.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7616])
    """
    return _tanh(input)  # type: ignore[no-any-return]


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-input))``, as ``torch.nn.functional.sigmoid``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.sigmoid(rt.tensor([0.0]))
    tensor([0.5000])
    """
    return _sigmoid(input)  # type: ignore[no-any-return]


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """Softmax along ``dim``, as ``torch.nn.functional.softmax`` (``dtype`` casts the input first).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.softmax(rt.tensor([0.0, 0.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    return _softmax(input, dim, dtype, _stacklevel=_stacklevel + 1)  # type: ignore[no-any-return]


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """Log-softmax along ``dim``, as ``torch.nn.functional.log_softmax``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.log_softmax(rt.tensor([0.0, 0.0]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    return _log_softmax(input, dim, dtype, _stacklevel=_stacklevel + 1)  # type: ignore[no-any-return]


def _in_place(input: Tensor, name: str, fn: Any, *args: Any) -> Tensor:
    """``fn(input, *args)`` written into ``input`` (the in-place recipe: versions, views and graph)."""
    return inplace(input, name, fn, *args)


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
    """GELU ``x·Φ(x)`` (``approximate='tanh'``: the tanh form), one node, as ``torch.nn.functional.gelu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.gelu(rt.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got {approximate!r}")
    return Gelu.apply(input, approximate == "tanh")  # type: ignore[no-any-return]


@register(name="nn.functional.silu", method=False)
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish) ``x·sigmoid(x)``, one node, as ``torch.nn.functional.silu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.silu(rt.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    if inplace:
        return _in_place(input, "silu_", silu)
    return Silu.apply(input)  # type: ignore[no-any-return]


def _float_only(input: Tensor, kernel: str) -> None:
    if not input.is_floating_point():
        from ..ops._pointwise import not_implemented

        raise not_implemented(kernel, input._data.dtype)


@register(name="nn.functional.leaky_relu", method=False)
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope·x`` elsewhere, as ``torch.nn.functional.leaky_relu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.leaky_relu(rt.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    _float_only(input, "leaky_relu_cpu")
    if inplace:
        return _in_place(input, "leaky_relu_", leaky_relu, negative_slope)
    return input * _make((input._data > 0).choose(input._data.dtype.type(negative_slope), input._data.dtype.type(1)))


@register(name="nn.functional.elu", method=False)
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha·(exp(x) - 1)`` elsewhere, as ``torch.nn.functional.elu``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.elu(rt.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    _float_only(input, "elu_cpu")
    if inplace:
        return _in_place(input, "elu_", elu, alpha)
    return input.where(input > 0, input.expm1() * alpha)  # type: ignore[attr-defined, no-any-return]


@register(name="nn.functional.softplus", method=False)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta·x)) / beta``, linear where ``beta·x > threshold``, as ``torch.nn.functional.softplus``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.softplus(rt.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
    """
    _float_only(input, "softplus_cpu")
    return Softplus.apply(input, float(beta), float(threshold))  # type: ignore[no-any-return]


@register(name="nn.functional.dropout", method=False)
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` when training.

    As ``torch.nn.functional.dropout``; the mask is drawn from the global generator (``rt.manual_seed``).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.dropout(rt.ones(3), p=0.5, training=False)
    tensor([1., 1., 1.])
    >>> _ = rt.manual_seed(0); rt.nn.functional.dropout(rt.ones(6), p=0.5)
    tensor([2., 2., 2., 0., 0., 0.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dt = input._data.dtype if input.is_floating_point() else get_default_dtype().np
    if p == 1.0:
        mask = np.zeros(input._data.shape, dtype=dt)
    else:
        u = _random.rng(None).random(input._data.shape, dtype=np.float64 if dt == np.float64 else np.float32)
        mask = (u >= p).astype(dt)
        mask *= dt.type(1.0 / (1.0 - p))
    if inplace:
        return _in_place(input, "dropout_", _mul, _make(mask))
    return input * _make(mask)


def _mul(t: Tensor, m: Tensor) -> Tensor:
    return t * m


@register(name="nn.functional.embedding", method=False)
def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` at the integer indices ``input``; the ``padding_idx`` row gets no gradient.

    As ``torch.nn.functional.embedding`` (``max_norm``, ``scale_grad_by_freq`` and ``sparse`` are
    not supported).

    Examples
    --------
    >>> import rustytorch as rt
    >>> w = rt.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> rt.nn.functional.embedding(rt.tensor([[2, 1]]), w)
    tensor([[[3., 4.],
             [1., 2.]]])
    """
    idx = input._data
    if idx.dtype.kind not in "iu" or idx.dtype.itemsize < 4:
        raise RuntimeError(
            "embedding: Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {input.dtype!r} instead"
        )
    if weight.dim() != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D, got shape {list(weight.shape)}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    v = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        bad = idx[(idx < 0) | (idx >= v)].reshape(-1)[0]
        raise IndexError(f"embedding: index out of range in self (index {bad}, num_embeddings {v})")
    skip = None
    if padding_idx is not None:
        if not -v <= padding_idx < v:
            raise AssertionError("Padding_idx must be within num_embeddings")
        skip = padding_idx % v
    return TakeRows.apply(weight, idx, skip)  # type: ignore[no-any-return]


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
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size and a.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if a.size and a.max() >= num_classes:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes ({num_classes}), got {a.max()}")
    return _make((a[..., None] == np.arange(num_classes)).astype(np.int64))


@register(name="nn.functional.normalize", method=False)
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``, as ``torch.nn.functional.normalize``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.normalize(rt.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)  # type: ignore[attr-defined]
    r = input / denom.expand_as(input)
    if out is not None:
        return inplace(out, "normalize", lambda t, v: v, r.detach())
    return r
