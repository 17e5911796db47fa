"""Normalisation layers' functional forms, as ``torch.nn.functional.batch_norm`` / ``layer_norm``."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops._registry import register

__all__ = ["batch_norm", "layer_norm"]


@register(name="nn.functional.batch_norm", method=False)
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
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
    c = input.shape[1]
    dims = (0, *range(2, input.dim()))
    shape = (1, c) + (1,) * (input.dim() - 2)
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
        mean = input.mean(dim=dims)
        var = input.var(dim=dims, correction=0)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
                running_var.mul_(1 - momentum).add_(var.detach() * (momentum * n / (n - 1)))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@register(name="nn.functional.layer_norm", method=False)
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims (biased variance), as ``torch.nn.functional.layer_norm``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.layer_norm(rt.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(ns) :]) != ns:
        raise RuntimeError(
            f"layer_norm: Given normalized_shape={list(ns)}, expected input with shape [*, {', '.join(map(str, ns))}], "
            f"but got input of size{list(input.shape)}"
        )
    dims = tuple(range(input.dim() - len(ns), input.dim()))
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dim=dims, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
