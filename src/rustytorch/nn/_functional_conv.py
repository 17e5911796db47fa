"""Convolution and pooling on strided views (im2col) and matmul, as ``torch.nn.functional``.

``Conv2d`` is one node: the patches of the padded input are copied once out of a strided view
into a (C·kh·kw, N·L) matrix and multiplied by the weight in a single GEMM (groups: one batched
GEMM); backward reuses the patches for the weight gradient and sums the patch gradients back
with kh·kw strided adds (col2im).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED
from ..ops._registry import Op, register
from ..ops.join import pad as _pad
from ._primitives import Fold, Take, Unfold, _geometry, _pad2, _scatter_add, col2im_blocks, mm, pair, windows

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
    k, d, p, s = (pair(v, n, op) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                             (padding, "padding"), (stride, "stride")))  # fmt: skip
    return Unfold.apply(input, k, d, p, s)  # type: ignore[no-any-return]


@register(name="nn.functional.fold", method=False)
def fold(
    input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
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
    args = (output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding")
    o, k, d, p = (pair(v, n, op) for v, n in args)
    s = pair(stride, "stride", op)
    return Fold.apply(input, o, k, d, p, s)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------ conv2d
@functools.lru_cache(maxsize=64)
def _gather_index(shape: tuple[int, ...], geom: tuple[Any, ...]) -> np.ndarray:
    """Flat positions in the padded (N, C, H+2p, W+2p) input of the (C·kh·kw, N·oh·ow) patch matrix."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = geom
    n, c, h, w = shape
    hp, wp = h + 2 * ph, w + 2 * pw
    oh, ow = _geometry(shape, geom[0], geom[1], geom[2], geom[3], "conv2d")
    ci, ii, jj, ni, yi, xi = np.ogrid[:c, :kh, :kw, :n, :oh, :ow]
    idx = ((ni * c + ci) * hp + yi * sh + ii * dh) * wp + xi * sw + jj * dw
    return idx.reshape(c * kh * kw, n * oh * ow)


def _small_windows(shape: tuple[int, ...], geom: tuple[Any, ...]) -> bool:
    """Gather with an index (not a strided copy) when output rows are short and the index is small."""
    oh, ow = _geometry(shape, geom[0], geom[1], geom[2], geom[3], "conv2d")
    return ow < 6 and shape[0] * shape[1] * geom[0][0] * geom[0][1] * oh * ow <= 1 << 20


def _patches(a: np.ndarray, geom: tuple[Any, ...]) -> np.ndarray:
    """(N, C, H, W) -> (C·kh·kw, N·oh·ow): every window as a column.

    A copy out of a strided view of the padded input (its inner loop runs along output rows); for
    short output rows a gather through a cached index is faster.
    """
    kernel, dil, pad, stride = geom
    if _small_windows(a.shape, geom):
        return _pad2(a, pad).reshape(-1).take(_gather_index(a.shape, geom))  # type: ignore[no-any-return]
    win = windows(a, kernel, dil, pad, stride, "conv2d")  # (N, C, kh, kw, oh, ow)
    n, c, kh, kw, oh, ow = win.shape
    return np.ascontiguousarray(win.transpose(1, 2, 3, 0, 4, 5)).reshape(c * kh * kw, n * oh * ow)


def _unpatch(gcols: np.ndarray, shape: tuple[int, ...], geom: tuple[Any, ...]) -> np.ndarray:
    """The adjoint of ``_patches``: (C·kh·kw, N·oh·ow) gradients summed back into an (N, C, H, W) array."""
    kernel, pad = geom[0], geom[2]
    n, c, h, w = shape
    if _small_windows(shape, geom):
        hp, wp = h + 2 * pad[0], w + 2 * pad[1]
        out = _scatter_add(gcols, _gather_index(shape, geom), n * c * hp * wp).reshape(n, c, hp, wp)
        return out[:, :, pad[0] : pad[0] + h, pad[1] : pad[1] + w] if pad != (0, 0) else out
    oh, ow = _geometry(shape, geom[0], geom[1], geom[2], geom[3], "conv2d")
    blocks = gcols.reshape(c, kernel[0], kernel[1], n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    return col2im_blocks(blocks, (h, w), *geom)


class Conv2d(Op):
    _name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor | None, geom: tuple[Any, ...], groups: int) -> np.ndarray:
        xa, wa = x._data, w._data
        if xa.dtype != wa.dtype or (b is not None and b._data.dtype != xa.dtype):
            raise RuntimeError(
                f"conv2d: Input type ({x.dtype!r}) and weight type ({w.dtype!r}) should be the same"
                + (f" (bias {b.dtype!r})" if b is not None else "")
            )
        n = xa.shape[0]
        o = wa.shape[0]
        oh, ow = _geometry(xa.shape, geom[0], geom[1], geom[2], geom[3], "conv2d")
        cols = _patches(xa, geom)  # (K, N L)
        if groups == 1:
            out2 = mm(wa.reshape(o, -1), cols, "conv2d")  # (O, N L)
        else:
            out2 = mm(wa.reshape(groups, o // groups, -1), cols.reshape(groups, -1, cols.shape[1]), "conv2d")
        out = np.ascontiguousarray(out2.reshape(o, n, oh, ow).transpose(1, 0, 2, 3))
        if b is not None:
            out += b._data.reshape(o, 1, 1)
        if ctx is not None:
            ctx.save_for_backward(x, w)
            ctx.cols = cols
            ctx.geom = geom
            ctx.groups = groups
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        # out = W ⋆ x + b with x's patches P (columns) = im2col(x):  dW = dO Pᵀ,  dP = Wᵀ dO,  dx = col2im(dP),
        # db = sum of dO over batch and positions
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        geom, groups = ctx.geom, ctx.groups
        if not GRAD_ENABLED.get():
            return _conv_backward_np(grad._data, x._data.shape, w._data, ctx.cols, geom, groups, need)
        n, _, h, wd = x.shape
        o = w.shape[0]
        k = ctx.cols.shape[0]
        g3 = grad.reshape(n, o, -1)  # (N, O, L)
        gx = gw = gb = None
        if groups == 1:
            if need[1]:
                gw = g3.matmul(Unfold.apply(x, *geom).transpose(1, 2)).sum(0).reshape(w.shape)
            if need[0]:
                gx = Fold.apply(w.reshape(o, k).t().matmul(g3), (h, wd), *geom)
        else:
            kg, og = k // groups, o // groups
            g4 = g3.reshape(n, groups, og, -1)
            if need[1]:
                c4 = Unfold.apply(x, *geom).reshape(n, groups, kg, -1)
                gw = g4.matmul(c4.transpose(-1, -2)).sum(0).reshape(w.shape)
            if need[0]:
                gcols = w.reshape(groups, og, kg).transpose(1, 2).matmul(g4).reshape(n, k, -1)
                gx = Fold.apply(gcols, (h, wd), *geom)
        if need[2]:
            gb = grad.sum((0, 2, 3))
        return gx, gw, gb


def _conv_backward_np(
    g: np.ndarray, xshape: tuple[int, ...], wa: np.ndarray, cols: np.ndarray, geom: Any, groups: int, need: Any
) -> tuple[Any, ...]:
    o = wa.shape[0]
    g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(o, -1)  # (O, N L)
    gx = gw = gb = None
    if groups == 1:
        if need[1]:
            gw = _make(mm(g2, cols.T, "conv2d").reshape(wa.shape))
        if need[0]:
            gcols = mm(wa.reshape(o, -1).T, g2, "conv2d")  # (K, N L)
    else:
        g3 = g2.reshape(groups, o // groups, -1)  # (G, Og, N L)
        c3 = cols.reshape(groups, -1, cols.shape[1])  # (G, Kg, N L)
        if need[1]:
            gw = _make(mm(g3, c3.transpose(0, 2, 1), "conv2d").reshape(wa.shape))
        if need[0]:
            gcols = mm(wa.reshape(groups, o // groups, -1).transpose(0, 2, 1), g3, "conv2d").reshape(-1, g2.shape[1])
    if need[0]:
        gx = _make(np.ascontiguousarray(_unpatch(gcols, xshape, geom)))
    if need[2]:
        gb = _make(g.sum((0, 2, 3)))
    return gx, gw, gb


def _conv_padding(padding: Any, kernel: tuple[int, int], dil: tuple[int, int], st: tuple[int, int], op: str) -> Any:
    """(symmetric padding, extra right/bottom padding or None) for an int, a pair, 'valid' or 'same'."""
    if not isinstance(padding, str):
        return pair(padding, "padding", op), None
    if padding == "valid":
        return (0, 0), None
    if padding != "same":
        raise ValueError(f"{op}: Invalid padding string '{padding}', should be one of 'valid', 'same'")
    if st != (1, 1):
        raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dil, strict=True)]
    left = (total[0] // 2, total[1] // 2)
    extra = (total[0] - 2 * left[0], total[1] - 2 * left[1])  # torch pads the odd one on the right/bottom
    return left, (extra if extra != (0, 0) else None)


@register(name="nn.functional.conv2d", method=False)
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) with stride, padding, dilation and groups, as ``torch.nn.functional.conv2d``.

    ``padding`` is an int, a pair, ``'valid'`` or ``'same'`` (stride 1).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.conv2d(rt.ones(1, 1, 3, 3), rt.ones(1, 1, 2, 2))
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    op = "conv2d"
    nd = input.dim()
    if nd not in (3, 4):
        raise RuntimeError(f"{op}: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                           f"{list(input.shape)}")  # fmt: skip
    if weight.dim() != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got "
                           f"{list(weight.shape)}")  # fmt: skip
    x = input if nd == 4 else input.unsqueeze(0)
    c = x.shape[1]
    o, cg, kh, kw = weight.shape
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got {groups}")
    if c != cg * groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{cg * groups} channels, but got {c} channels instead"
        )
    if o % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")  # fmt: skip
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"{op}: Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{o} elements, but got bias of size {list(bias.shape)} instead")  # fmt: skip
    kernel = (kh, kw)
    dil = pair(dilation, "dilation", op)
    st = pair(stride, "stride", op)
    pad, extra = _conv_padding(padding, kernel, dil, st, op)
    if extra is not None:
        x = _pad(x, (0, extra[1], 0, extra[0]))
    h, w = x.shape[-2], x.shape[-1]
    if h + 2 * pad[0] < dil[0] * (kh - 1) + 1 or w + 2 * pad[1] < dil[1] * (kw - 1) + 1:
        raise RuntimeError(
            f"{op}: Calculated padded input size per channel: ({h + 2 * pad[0]} x {w + 2 * pad[1]}). Kernel size: "
            f"({dil[0] * (kh - 1) + 1} x {dil[1] * (kw - 1) + 1}). Kernel size can't be greater than actual input size"
        )
    out = Conv2d.apply(x, weight, bias, (kernel, dil, pad, st), groups)
    return out if nd == 4 else out.squeeze(0)


@register(name="nn.functional.conv1d", method=False)
def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution, as ``torch.nn.functional.conv1d`` (a 2-D convolution over a height of 1).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.conv1d(rt.ones(1, 1, 4), rt.ones(1, 1, 2))
    tensor([[[2., 2., 2.]]])
    """
    if input.dim() not in (2, 3):
        raise RuntimeError(f"conv1d: Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(input.shape)}")  # fmt: skip
    if weight.dim() != 3:
        raise RuntimeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, kW), got "
                           f"{list(weight.shape)}")  # fmt: skip

    def one(v: Any, name: str) -> int:
        t = (v,) if isinstance(v, int | np.integer) else tuple(v)
        if len(t) != 1:
            raise ValueError(f"conv1d: {name} must be an int or a 1-tuple, got {v!r}")
        return int(t[0])

    pad = padding if isinstance(padding, str) else (0, one(padding, "padding"))
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, one(stride, "stride")), pad,
                 (1, one(dilation, "dilation")), groups)  # fmt: skip
    return out.squeeze(-2)


# ------------------------------------------------------------------------------------------ pooling
def _pool_params(kernel_size: Any, stride: Any, padding: Any, dilation: Any, op: str) -> tuple[Any, ...]:
    k = pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, list | tuple) and len(stride) == 0) else pair(stride, "stride", op)
    p = pair(padding, "padding", op)
    d = pair(dilation, "dilation", op)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p[0]}, "
                           f"kernel_size={k[0]} and dilation={d[0]}")  # fmt: skip
    return k, s, p, d


def _pool_input(input: Tensor, op: str) -> tuple[Tensor, bool]:
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{op}: Expected 3D or 4D (batch mode) tensor for input, got shape {list(input.shape)}")
    if input.dim() == 4:
        return input, True
    return input.unsqueeze(0), False


def _fold_max(m: np.ndarray, arg: np.ndarray, v: np.ndarray, t: Any) -> None:
    """Fold the candidates ``v`` (window position ``t``) into the running maxima ``m`` and first-maximum
    positions ``arg``, in place and without branches (masked writes are 20x slower on random masks)."""
    upd = v > m
    step = np.subtract(t, arg, dtype=arg.dtype)
    step *= upd
    arg += step
    np.maximum(m, v, out=m)


def _stacked_argmax(win: np.ndarray) -> np.ndarray:
    n, c, kh, kw, oh, ow = win.shape
    stacked = np.ascontiguousarray(win.transpose(2, 3, 0, 1, 4, 5)).reshape(kh * kw, -1)
    return stacked.argmax(0).reshape(n, c, oh, ow)  # type: ignore[no-any-return]


def _window_argmax(win: np.ndarray) -> np.ndarray:
    """Index (in kh*kw) of each window's first maximum (NaN counts as the maximum, as torch).

    Each window position (i, j) is a strided (N, C, oh, ow) view of the input, folded into running
    maxima in scan order (NumPy's argmax over a stacked copy is several times slower).
    """
    kh, kw = win.shape[2:4]
    m = win[:, :, 0, 0].copy()
    arg = np.zeros(m.shape, dtype=np.intp)
    for t in range(1, kh * kw):
        _fold_max(m, arg, win[:, :, t // kw, t % kw], t)
    if m.dtype.kind == "f" and np.isnan(np.add.reduce(m, axis=None)):  # NaN in some window: argmax finds it
        return _stacked_argmax(win)
    return arg


def _tiled_argmax(a: np.ndarray, k: tuple[int, int]) -> np.ndarray | None:
    """``_window_argmax`` for windows that tile the input (stride = kernel, no padding or dilation), in two
    rounds: along each row over the flat input (stride-kw 1-D views), then over the rows of a window.
    None when a window holds NaN."""
    kh, kw = k
    n, c, h, w = a.shape
    oh, ow = h // kh, w // kw
    flat = np.ascontiguousarray(a[:, :, : oh * kh, : ow * kw]).reshape(-1)
    it = np.int8 if kh * kw < 128 else np.intp
    best = flat[0::kw].copy()
    col = np.zeros(best.shape, dtype=it)  # first maximum's column within each window row
    for j in range(1, kw):
        _fold_max(best, col, flat[j::kw], it(j))
    rows_best = best.reshape(n * c * oh, kh, ow)
    rows_col = col.reshape(n * c * oh, kh, ow)
    m = rows_best[:, 0].copy()
    arg = rows_col[:, 0].copy()
    for i in range(1, kh):
        _fold_max(m, arg, rows_best[:, i], rows_col[:, i] + it(i * kw))
    if m.dtype.kind == "f" and np.isnan(np.add.reduce(m, axis=None)):
        return None
    return arg.reshape(n, c, oh, ow)


_POOL_BASE: dict[tuple[Any, ...], np.ndarray] = {}


def _pool_flat_index(arg: np.ndarray, shape: tuple[int, ...], k: Any, s: Any, d: Any) -> np.ndarray:
    """Flat input positions of the windows' maxima (``arg``: index in the window), without padding: a
    cached (N, C, oh, ow) table of the windows' first elements plus the offset of ``arg`` in a window."""
    n, c, h, w = shape
    oh, ow = arg.shape[-2:]
    key = (shape, oh, ow, s)
    base = _POOL_BASE.get(key)
    if base is None:
        if len(_POOL_BASE) > 64:
            _POOL_BASE.clear()
        plane = np.arange(n * c, dtype=np.intp).reshape(n, c, 1, 1) * (h * w)
        base = _POOL_BASE[key] = plane + (np.arange(oh).reshape(oh, 1) * (s[0] * w) + np.arange(ow) * s[1])
    off = (np.arange(k[0]).reshape(-1, 1) * (d[0] * w) + np.arange(k[1]) * d[1]).reshape(-1)
    return base + np.take(off, arg)  # type: ignore[no-any-return]


@register(name="nn.functional.max_pool2d", method=False)
def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """2-D max pooling (the gradient goes to each window's first maximum), as ``torch.nn.functional.max_pool2d``.

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
    x, batched = _pool_input(input, op)
    a = x._data
    n, c, h, w = a.shape
    if a.dtype.kind == "b":
        raise NotImplementedError(f"{op}: \"max_pool2d\" not implemented for 'Bool'")
    fill = -np.inf if a.dtype.kind == "f" or a.dtype.name == "bfloat16" else np.iinfo(a.dtype).min
    arg = None
    if s == k and p == (0, 0) and d == (1, 1) and a.dtype.kind in "fiu":
        _geometry(a.shape, k, d, p, s, op)  # the geometry's checks
        arg = _tiled_argmax(a, k)
    if arg is None:
        arg = _window_argmax(windows(a, k, d, p, s, op, fill))  # windows: (N, C, kh, kw, oh, ow)
    oh, ow = arg.shape[-2:]
    if p == (0, 0):
        flat = _pool_flat_index(arg, a.shape, k, s, d)
        out = Take.apply(x, flat)
        if not batched:
            out = out.squeeze(0)
        if return_indices:
            local = flat - np.arange(n * c, dtype=np.intp).reshape(n, c, 1, 1) * (h * w)
            return out, _make(local if batched else local[0])
        return out
    i, j = np.divmod(arg, k[1])
    rows = np.arange(oh).reshape(oh, 1) * s[0] + i * d[0] - p[0]
    cols = np.arange(ow) * s[1] + j * d[1] - p[1]
    if p != (0, 0):  # a window of -inf only: torch points at its first in-bounds element
        np.clip(rows, 0, h - 1, out=rows)
        np.clip(cols, 0, w - 1, out=cols)
    local = rows * w + cols  # (N, C, oh, ow): position in the H*W plane, as torch's indices
    flat = local + np.arange(n * c, dtype=np.int64).reshape(n, c, 1, 1) * (h * w)
    out = Take.apply(x, flat)
    if not batched:
        out = out.squeeze(0)
    if return_indices:
        return out, _make(local if batched else local[0])
    return out


@register(name="nn.functional.avg_pool2d", method=False)
def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
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
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    k, s, p, _ = _pool_params(kernel_size, stride, padding, 1, op)
    x, batched = _pool_input(input, op)
    n, c, h, w = x.shape
    oh, ow = _geometry((h, w), k, (1, 1), p, s, op)
    cols = Unfold.apply(x, k, (1, 1), p, s).reshape(n, c, k[0] * k[1], oh, ow)
    total = cols.sum(2)
    if divisor_override is not None:
        out = total / divisor_override
    elif count_include_pad or p == (0, 0):
        out = total / (k[0] * k[1])
    else:
        ones = np.ones((1, 1, h, w), dtype=x._data.dtype)
        counts = windows(ones, k, (1, 1), p, s, op).sum(axis=(2, 3))
        out = total / _make(counts)
    return out if batched else out.squeeze(0)


def _adaptive_matrix(n_in: int, n_out: int, dtype: Any) -> np.ndarray:
    """(n_out, n_in) averaging matrix of torch's adaptive windows [floor(i n/o), ceil((i+1) n/o))."""
    m = np.zeros((n_out, n_in), dtype=dtype)
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


@register(name="nn.functional.adaptive_avg_pool2d", method=False)
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (torch's window rule), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.nn.functional.adaptive_avg_pool2d(rt.arange(16.0).reshape(1, 1, 4, 4), 1)
    tensor([[[[7.5000]]]])
    """
    op = "adaptive_avg_pool2d"
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{op}: Expected 3D or 4D tensor, but got {list(input.shape)}")
    h, w = input.shape[-2], input.shape[-1]
    osz = tuple(output_size) if isinstance(output_size, list | tuple) else (output_size, output_size)
    if len(osz) != 2:
        raise RuntimeError(f"{op}: output_size must be 2, got {list(osz)}")
    oh = h if osz[0] is None else int(osz[0])
    ow = w if osz[1] is None else int(osz[1])
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"{op}: output_size must be positive, got {[oh, ow]}")
    if h % oh == 0 and w % ow == 0:  # equal windows: a reshape and a mean
        shape = (*input.shape[:-2], oh, h // oh, ow, w // ow)
        return input.reshape(shape).mean((-3, -1))  # type: ignore[no-any-return]
    if not input.is_floating_point():
        raise NotImplementedError(f'{op}: "adaptive_avg_pool2d" not implemented for {input.dtype!r}')
    dt = input._data.dtype
    rows = _make(_adaptive_matrix(h, oh, dt))
    cols = _make(_adaptive_matrix(w, ow, dt).T.copy())
    return rows.matmul(input).matmul(cols)  # type: ignore[no-any-return]
