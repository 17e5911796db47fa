"""Primitives the layers are built on, each with its backward beside it:

- ``Linear``: ``x @ W.T + b`` in one node (the hottest op of an MLP);
- ``Unfold`` / ``Fold``: im2col through a strided view, and its adjoint col2im (each is the
  other's backward, so convolutions get every order of derivative);
- ``Take`` / ``PutAdd``: gather elements by flat index, and its adjoint scatter-add.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops._registry import Op

__all__ = ["Linear", "Unfold", "Fold", "Take", "PutAdd", "pair"]


def pair(v: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints, as the (height, width) of a 2-D window parameter."""
    if isinstance(v, int | np.integer):
        return int(v), int(v)
    t = tuple(int(x) for x in v)
    if len(t) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    return t  # type: ignore[return-value]


class Linear(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor | None) -> np.ndarray:
        xa, wa = x._data, w._data
        if xa.dtype != wa.dtype or (b is not None and b._data.dtype != xa.dtype):
            raise RuntimeError(
                f"linear: mat1 and mat2 must have the same dtype, but got {x.dtype!r} and {w.dtype!r}"
                + (f" (bias {b.dtype!r})" if b is not None else "")
            )
        if wa.ndim != 2 or xa.ndim == 0 or xa.shape[-1] != wa.shape[1]:
            rows = int(np.prod(xa.shape[:-1])) if xa.ndim else 1
            raise RuntimeError(
                f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{xa.shape[-1] if xa.ndim else 1} and "
                f"{'x'.join(str(s) for s in wa.shape[::-1])})"
            )
        if ctx is not None:
            ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        out = np.matmul(xa, wa.T)
        if b is not None:
            out += b._data
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:  # d(x W^T + b) = dx W^T + x dW^T + db
        x, w = ctx.saved_tensors
        n_out = grad.shape[-1]
        gx = grad.matmul(w) if ctx.needs_input_grad[0] else None
        g2 = grad.reshape(-1, n_out) if ctx.needs_input_grad[1] or ctx.needs_input_grad[2] else None
        gw = g2.t().matmul(x.reshape(-1, x.shape[-1])) if ctx.needs_input_grad[1] else None
        gb = g2.sum(0) if ctx.needs_input_grad[2] else None
        return gx, gw, gb


def _geometry(shape: tuple[int, ...], kernel: tuple[int, int], dilation: tuple[int, int], padding: tuple[int, int],
              stride: tuple[int, int], op: str) -> tuple[int, int]:
    h, w = shape[-2], shape[-1]
    oh = (h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"{op}: the kernel {list(kernel)} (dilation {list(dilation)}) is larger than the padded input "
            f"{[h + 2 * padding[0], w + 2 * padding[1]]}: the output would be {oh}x{ow}"
        )
    return oh, ow


def im2col(a: np.ndarray, kernel: tuple[int, int], dilation: tuple[int, int], padding: tuple[int, int],
           stride: tuple[int, int], op: str = "unfold") -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, L) patches, read through one strided view of the padded input."""
    n, c = a.shape[0], a.shape[1]
    oh, ow = _geometry(a.shape, kernel, dilation, padding, stride, op)
    if padding != (0, 0):
        a = np.pad(a, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    s = a.strides
    win = np.lib.stride_tricks.as_strided(
        a,
        shape=(n, c, kernel[0], kernel[1], oh, ow),
        strides=(s[0], s[1], s[2] * dilation[0], s[3] * dilation[1], s[2] * stride[0], s[3] * stride[1]),
        writeable=False,
    )
    cols = win.reshape(n, c * kernel[0] * kernel[1], oh * ow)
    return cols.copy() if np.may_share_memory(cols, a) else cols


def col2im(cols: np.ndarray, out_hw: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
           padding: tuple[int, int], stride: tuple[int, int], op: str = "fold") -> np.ndarray:
    """The adjoint of im2col: sum each patch back into its place (kh*kw strided adds, no per-pixel loop)."""
    n, ckk, length = cols.shape
    kh, kw = kernel
    if ckk % (kh * kw):
        raise RuntimeError(f"{op}: expected size of input's dimension 1 to be divisible by the product of kernel_size, got {ckk}")
    c = ckk // (kh * kw)
    oh, ow = _geometry((out_hw[0], out_hw[1]), kernel, dilation, padding, stride, op)
    if oh * ow != length:
        raise RuntimeError(f"{op}: expected input's dimension 2 to match the calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got {length}")
    ph, pw = out_hw[0] + 2 * padding[0], out_hw[1] + 2 * padding[1]
    out = np.zeros((n, c, ph, pw), dtype=cols.dtype)
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    for i in range(kh):
        hi = i * dilation[0]
        for j in range(kw):
            wj = j * dilation[1]
            out[:, :, hi : hi + stride[0] * (oh - 1) + 1 : stride[0], wj : wj + stride[1] * (ow - 1) + 1 : stride[1]] += blocks[:, :, i, j]
    return out[:, :, padding[0] : padding[0] + out_hw[0], padding[1] : padding[1] + out_hw[1]]


class Unfold(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, kernel: Any, dilation: Any, padding: Any, stride: Any) -> np.ndarray:
        a = x._data
        if a.ndim not in (3, 4):
            raise RuntimeError(f"unfold: expected a 3-D or 4-D (batched) input, got shape {list(a.shape)}")
        batched = a.ndim == 4
        if not batched:
            a = a[None]
        if ctx is not None:
            ctx.geom = (kernel, dilation, padding, stride)
            ctx.hw = a.shape[-2:]
            ctx.batched = batched
        cols = im2col(a, kernel, dilation, padding, stride)
        return cols if batched else cols[0]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the adjoint of im2col is col2im
        return Fold.apply(grad, ctx.hw, *ctx.geom)  # type: ignore[no-any-return]


class Fold(Op):
    @staticmethod
    def forward(ctx: Any, cols: Tensor, out_hw: Any, kernel: Any, dilation: Any, padding: Any, stride: Any) -> np.ndarray:
        a = cols._data
        if a.ndim not in (2, 3):
            raise RuntimeError(f"fold: expected a 2-D or 3-D (batched) input, got shape {list(a.shape)}")
        batched = a.ndim == 3
        if not batched:
            a = a[None]
        if ctx is not None:
            ctx.geom = (kernel, dilation, padding, stride)
        out = col2im(a, tuple(out_hw), kernel, dilation, padding, stride)
        return np.ascontiguousarray(out if batched else out[0])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the adjoint of col2im is im2col
        return Unfold.apply(grad, *ctx.geom)  # type: ignore[no-any-return]


class Take(Op):
    """Elements of ``x`` (viewed flat) at ``idx`` (an int64 ndarray); the result has idx's shape."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, idx: np.ndarray) -> np.ndarray:
        if ctx is not None:
            ctx.idx = idx
            ctx.shape = x._data.shape
        return np.take(x._data.reshape(-1), idx)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # adjoint of a gather: scatter-add
        return PutAdd.apply(grad, ctx.idx, ctx.shape)  # type: ignore[no-any-return]


class PutAdd(Op):
    """A zero tensor of ``shape`` with ``g`` added at flat positions ``idx`` (duplicates accumulate)."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, idx: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.idx = idx
        size = int(np.prod(shape))
        ga = g._data
        if ga.dtype.kind == "f" and ga.dtype.itemsize <= 8:
            out = np.bincount(idx.reshape(-1), weights=ga.reshape(-1), minlength=size).astype(ga.dtype)
        else:  # pragma: no cover - float16/bfloat16 gradients
            out = np.zeros(size, dtype=ga.dtype)
            np.add.at(out, idx.reshape(-1), ga.reshape(-1))
        return out.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # adjoint of a scatter-add: gather
        return Take.apply(grad, ctx.idx)  # type: ignore[no-any-return]
