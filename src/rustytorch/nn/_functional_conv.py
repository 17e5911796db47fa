"""Convolution and pooling, built on im2col (a strided view) and matmul, as ``torch.nn.functional``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from .._tensor import Tensor, _make
from ..ops._registry import register
from ._primitives import Fold, Take, Unfold, _geometry, im2col, pair

__all__ = ["unfold", "fold", "conv1d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


@register(name="nn.functional.unfold", method=False)
def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding local blocks (im2col): (N, C, H, W) -> (N, C·kh·kw, L), as ``torch.nn.functional.unfold``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.unfold(rt.arange(9.0).reshape(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    op = "unfold"
    return Unfold.apply(input, pair(kernel_size, "kernel_size", op), pair(dilation, "dilation", op),  # type: ignore[no-any-return]
                        pair(padding, "padding", op), pair(stride, "stride", op))


@register(name="nn.functional.fold", method=False)
def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sum sliding local blocks back into an image (col2im), the adjoint of ``unfold``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.ones(1, 1, 3, 3)
    >>> rt.nn.functional.fold(rt.nn.functional.unfold(x, 2), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    op = "fold"
    return Fold.apply(input, pair(output_size, "output_size", op), pair(kernel_size, "kernel_size", op),  # type: ignore[no-any-return]
                      pair(dilation, "dilation", op), pair(padding, "padding", op), pair(stride, "stride", op))


def _same_padding(kernel: tuple[int, int], dilation: tuple[int, int], op: str) -> tuple[int, int]:
    total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    if any(t % 2 for t in total):
        raise NotImplementedError(f"{op}: padding='same' with an even effective kernel size needs asymmetric padding")
    return total[0] // 2, total[1] // 2


@register(name="nn.functional.conv2d", method=False)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) with stride, padding, dilation and groups, as ``torch.nn.functional.conv2d``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.conv2d(rt.ones(1, 1, 3, 3), rt.ones(1, 1, 2, 2))
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    op = "conv2d"
    batched = input.dim() == 4
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D (unbatched) or 4D (batched) input, but got input of size: {list(input.shape)}")
    if weight.dim() != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got {list(weight.shape)}")
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    if c != cg * groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{cg * groups} channels, but got {c} channels instead"
        )
    if o % groups:
        raise RuntimeError(f"{op}: out_channels ({o}) must be divisible by groups ({groups})")
    kernel = (kh, kw)
    dil = pair(dilation, "dilation", op)
    st = pair(stride, "stride", op)
    if isinstance(padding, str):
        if padding == "valid":
            pad = (0, 0)
        elif padding == "same":
            if st != (1, 1):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            pad = _same_padding(kernel, dil, op)
        else:
            raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid', 'same'")
    else:
        pad = pair(padding, "padding", op)
    oh, ow = _geometry((h, w), kernel, dil, pad, st, op)
    cols = Unfold.apply(x, kernel, dil, pad, st)  # (N, C*kh*kw, L)
    if groups == 1:
        out = weight.reshape(o, -1).matmul(cols)  # (N, O, L)
    else:
        k = cg * kh * kw
        out = weight.reshape(groups, o // groups, k).matmul(cols.reshape(n, groups, k, oh * ow)).reshape(n, o, oh * ow)
    if bias is not None:
        out = out + bias.reshape(1, o, 1)
    out = out.reshape(n, o, oh, ow)
    return out if batched else out.squeeze(0)


@register(name="nn.functional.conv1d", method=False)
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution, as ``torch.nn.functional.conv1d`` (a 2-D convolution over a height of 1).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.conv1d(rt.ones(1, 1, 4), rt.ones(1, 1, 2))
    tensor([[[2., 2., 2.]]])
    """
    if input.dim() not in (2, 3):
        raise RuntimeError(f"conv1d: expected 2D (unbatched) or 3D (batched) input, but got input of size: {list(input.shape)}")
    if weight.dim() != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, kW), got {list(weight.shape)}")

    pad = padding if isinstance(padding, str) else (0, padding if isinstance(padding, int) else padding[0])
    st = (1, stride if isinstance(stride, int) else stride[0])
    dil = (1, dilation if isinstance(dilation, int) else dilation[0])
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, st, pad, dil, groups)
    return out.squeeze(-2)


def _pool_params(kernel_size: Any, stride: Any, padding: Any, dilation: Any, op: str) -> tuple[Any, ...]:
    k = pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, list | tuple) and len(stride) == 0) else pair(stride, "stride", op)
    p = pair(padding, "padding", op)
    d = pair(dilation, "dilation", op)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={list(p)}, kernel_size={list(k)}")
    return k, s, p, d


@register(name="nn.functional.max_pool2d", method=False)
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-D max pooling (the gradient goes to each window's maximum), as ``torch.nn.functional.max_pool2d``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.max_pool2d(rt.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    op = "max_pool2d"
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported")
    k, s, p, d = _pool_params(kernel_size, stride, padding, dilation, op)
    batched = input.dim() == 4
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D or 4D input, got {list(input.shape)}")
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    a = x._data
    if p != (0, 0):
        fill = -np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min
        a = np.pad(a, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=fill)
    # positions (flat index into the unpadded H*W plane) of every window element, via the same im2col
    pos = np.full((1, 1, h + 2 * p[0], w + 2 * p[1]), -1, dtype=np.int64)
    pos[0, 0, p[0] : p[0] + h, p[1] : p[1] + w] = np.arange(h * w).reshape(h, w)
    cols = im2col(a, k, d, (0, 0), s, op)  # (N, C*kh*kw, L)
    pcols = im2col(pos, k, d, (0, 0), s, op)[0]  # (kh*kw, L)
    oh, ow = _geometry((h, w), k, d, p, s, op)
    win = cols.reshape(n, c, k[0] * k[1], oh * ow)
    arg = win.argmax(axis=2)  # (N, C, L)
    local = np.take_along_axis(pcols[None, None], arg[:, :, None, :], axis=2)[:, :, 0, :]  # (N, C, L) in H*W
    flat = (np.arange(n * c, dtype=np.int64).reshape(n, c, 1) * (h * w) + local).reshape(n, c, oh, ow)
    out = Take.apply(x, flat)
    if not batched:
        out = out.squeeze(0)
    if return_indices:
        idx = _make(local.reshape(n, c, oh, ow) if batched else local.reshape(c, oh, ow))
        return out, idx
    return out


@register(name="nn.functional.avg_pool2d", method=False)
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.avg_pool2d(rt.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    op = "avg_pool2d"
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported")
    k, s, p, _ = _pool_params(kernel_size, stride, padding, 1, op)
    batched = input.dim() == 4
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D or 4D input, got {list(input.shape)}")
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    oh, ow = _geometry((h, w), k, (1, 1), p, s, op)
    cols = Unfold.apply(x, k, (1, 1), p, s).reshape(n, c, k[0] * k[1], oh * ow)
    total = cols.sum(2)
    if divisor_override is not None:
        out = total / divisor_override
    elif count_include_pad or p == (0, 0):
        out = total / (k[0] * k[1])
    else:
        counts = im2col(np.ones((1, 1, h, w), dtype=x._data.dtype), k, (1, 1), p, s, op).sum(axis=1)
        out = total / _make(counts.reshape(1, 1, -1))
    out = out.reshape(n, c, oh, ow)
    return out if batched else out.squeeze(0)


@register(name="nn.functional.adaptive_avg_pool2d", method=False)
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (torch's start/end index rule), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.adaptive_avg_pool2d(rt.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[7.5000]]]])
    """
    op = "adaptive_avg_pool2d"
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D or 4D input, got {list(input.shape)}")
    h, w = input.shape[-2], input.shape[-1]
    osz = output_size if isinstance(output_size, list | tuple) else (output_size, output_size)
    oh = h if osz[0] is None else int(osz[0])
    ow = w if osz[1] is None else int(osz[1])
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    rows = []
    for i in range(oh):
        h0, h1 = (i * h) // oh, -((-(i + 1) * h) // oh)
        cols = []
        for j in range(ow):
            w0, w1 = (j * w) // ow, -((-(j + 1) * w) // ow)
            cols.append(input[..., h0:h1, w0:w1].mean(dim=(-2, -1)))
        rows.append(ops.stack(cols, -1))  # type: ignore[attr-defined]
    return ops.stack(rows, -2)  # type: ignore[attr-defined]


