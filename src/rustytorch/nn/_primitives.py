"""Primitives the layers are built on, each with its backward beside it:

- ``Linear``: ``x @ W.T + b`` in one node (the hottest op of an MLP);
- ``Unfold`` / ``Fold``: im2col through a strided view, and its adjoint col2im (each is the
  other's backward, so convolutions get every order of derivative);
- ``Take`` / ``PutAdd``: gather elements by flat index, and its adjoint scatter-add;
- ``TakeRows`` / ``PutRows``: the same for whole rows (embeddings);
- ``Gelu`` / ``Silu``: fused activations (one node, no erf recomputed in backward).

Backward formulas run as one NumPy expression when no graph of the gradient is recorded
(``create_graph=False``, the training case) and as differentiable tensor ops otherwise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._blas import matmul as _blas_matmul
from .._tensor import Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED
from ..ops._pointwise import BF16, not_implemented
from ..ops._registry import Op, fp
from ..ops.linalg import matmul_arrays

__all__ = [
    "Linear", "Unfold", "Fold", "Take", "PutAdd", "TakeRows", "PutRows", "Gelu", "Silu", "Softplus",
    "pair", "mm", "row_sum", "col_sum", "windows", "im2col", "col2im", "col2im_blocks",
]  # fmt: skip

_FAST = (np.dtype(np.float32), np.dtype(np.float64))
_matmul = _blas_matmul


def mm(a: np.ndarray, b: np.ndarray, op: str = "linear") -> np.ndarray:
    """``a @ b`` (same dtypes); half precisions accumulate in float32, as torch."""
    if a.dtype in _FAST:
        return _matmul(a, b)  # type: ignore[no-any-return]
    return matmul_arrays(op, a, b)


_ONES: dict[tuple[int, Any], np.ndarray] = {}


def row_sum(a: np.ndarray) -> np.ndarray:
    """Sums over the last axis (keepdims) as one matrix-vector product: NumPy's reduction over a short
    last axis is several times slower."""
    n = a.shape[-1]
    dt = a.dtype
    if dt not in _FAST or n == 0 or a.ndim == 0:
        return np.add.reduce(a, -1, keepdims=True)  # type: ignore[no-any-return]
    ones = _ONES.get((n, dt))
    if ones is None:
        ones = _ONES[(n, dt)] = np.ones(n, dtype=dt)
    return _matmul(a, ones)[..., None]  # type: ignore[no-any-return]


def col_sum(a: np.ndarray) -> np.ndarray:
    """Sums over the first axis of a 2-D array (a bias gradient) as one vector-matrix product."""
    n = a.shape[0]
    dt = a.dtype
    if dt not in _FAST or n == 0 or a.ndim != 2:
        return np.add.reduce(a, 0)  # type: ignore[no-any-return]
    ones = _ONES.get((n, dt))
    if ones is None:
        ones = _ONES[(n, dt)] = np.ones(n, dtype=dt)
    return _matmul(ones, a)  # type: ignore[no-any-return]


def pair(v: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints, as the (height, width) of a 2-D window parameter."""
    if isinstance(v, int | np.integer):
        return int(v), int(v)
    t = tuple(int(x) for x in v)
    if len(t) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    return t  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------ linear
class Linear(Op):
    _name = "AddmmBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor | None) -> np.ndarray:
        xa, wa = x._data, w._data
        dt = xa.dtype
        if wa.dtype != dt or (b is not None and b._data.dtype != dt):
            raise RuntimeError(
                f"linear: expected m1 and m2 to have the same dtype, but got: {x.dtype!r} != {w.dtype!r}"
                + (f" (bias {b.dtype!r})" if b is not None else "")
            )
        if wa.ndim != 2 or xa.ndim == 0 or xa.shape[-1] != wa.shape[1]:
            rows = math.prod(xa.shape[:-1]) if xa.ndim else 1
            raise RuntimeError(
                f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{xa.shape[-1] if xa.ndim else 1} and "
                f"{'x'.join(str(s) for s in wa.shape[::-1])})"
            )
        if ctx is not None:
            need = ctx.needs_input_grad
            ctx.save_for_backward(x if need[1] else None, w if need[0] else None)
        if xa.ndim > 2:  # one 2-D product (NumPy would loop over the leading dims)
            out = mm(xa.reshape(-1, xa.shape[-1]), wa.T).reshape((*xa.shape[:-1], wa.shape[0]))
        else:
            out = mm(xa, wa.T)
        if b is not None:
            out += b._data
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:  # d(x W^T + b) = dx W^T + x dW^T + db
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        n_out = grad.shape[-1] if grad.dim() else 1
        if not GRAD_ENABLED.get():
            ga = grad._data.reshape(-1, n_out)
            gx = gw = gb = None
            if need[0]:
                gx = _make(mm(ga, w._data).reshape(ctx._in_meta[0][0]))
            if need[1]:
                xa = x._data
                gw = _make(mm(ga.T, xa.reshape(-1, xa.shape[-1])))
            if need[2]:
                gb = _make(col_sum(ga))
            return gx, gw, gb
        gx = grad.matmul(w) if need[0] else None
        g2 = grad.reshape(-1, n_out) if need[1] or need[2] else None
        gw = g2.t().matmul(x.reshape(-1, x.shape[-1])) if need[1] else None  # type: ignore[union-attr]
        gb = g2.sum(0) if need[2] else None  # type: ignore[union-attr]
        return gx, gw, gb


# ------------------------------------------------------------------------------------ im2col / col2im
def _geometry(
    shape: tuple[int, ...],
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    padding: tuple[int, int],
    stride: tuple[int, int],
    op: str,
) -> tuple[int, int]:
    h, w = shape[-2], shape[-1]
    oh = (h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"{op}: the kernel {list(kernel)} (dilation {list(dilation)}) is larger than the padded input "
            f"{[h + 2 * padding[0], w + 2 * padding[1]]}: the output would be {oh}x{ow}"
        )
    return oh, ow


def _pad2(a: np.ndarray, padding: tuple[int, int], fill: Any = 0) -> np.ndarray:
    """Zero- (or ``fill``-) pad the last two dims: one allocation and one copy (np.pad is ~10x slower)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return a
    out = np.full((*a.shape[:-2], a.shape[-2] + 2 * ph, a.shape[-1] + 2 * pw), fill, dtype=a.dtype)
    out[..., ph : ph + a.shape[-2], pw : pw + a.shape[-1]] = a
    return out


def windows(
    a: np.ndarray,
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    padding: tuple[int, int],
    stride: tuple[int, int],
    op: str,
    fill: Any = 0,
) -> np.ndarray:
    """A read-only strided view (N, C, kh, kw, oh, ow) of the windows of the padded (N, C, H, W) input."""
    oh, ow = _geometry(a.shape, kernel, dilation, padding, stride, op)
    a = _pad2(a, padding, fill)
    s = a.strides
    return np.lib.stride_tricks.as_strided(
        a,
        shape=(a.shape[0], a.shape[1], kernel[0], kernel[1], oh, ow),
        strides=(s[0], s[1], s[2] * dilation[0], s[3] * dilation[1], s[2] * stride[0], s[3] * stride[1]),
        writeable=False,
    )


def im2col(
    a: np.ndarray,
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    padding: tuple[int, int],
    stride: tuple[int, int],
    op: str = "unfold",
) -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, L) patches, copied out of one strided view of the padded input."""
    win = windows(a, kernel, dilation, padding, stride, op)
    n, c, kh, kw, oh, ow = win.shape
    return np.ascontiguousarray(win).reshape(n, c * kh * kw, oh * ow)


def col2im(
    cols: np.ndarray,
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    padding: tuple[int, int],
    stride: tuple[int, int],
    op: str = "fold",
) -> np.ndarray:
    """The adjoint of im2col: (N, C*kh*kw, L) patches summed back into (N, C, H, W).

    kh*kw strided adds of whole (N, C, oh, ow) slabs, no per-pixel loop.
    """
    n, ckk = cols.shape[0], cols.shape[1]
    kh, kw = kernel
    if ckk % (kh * kw):
        raise RuntimeError(
            f"{op}: expected size of input's dimension 1 to be divisible by the product of kernel_size, got {ckk}"
        )
    c = ckk // (kh * kw)
    oh, ow = _geometry((out_hw[0], out_hw[1]), kernel, dilation, padding, stride, op)
    length = math.prod(cols.shape[2:])
    if oh * ow != length:
        raise RuntimeError(
            f"{op}: expected input's dimension 2 to match the calculated number of sliding blocks {oh} * {ow} = "
            f"{oh * ow}, but got {length}"
        )
    return col2im_blocks(cols.reshape(n, c, kh, kw, oh, ow), out_hw, kernel, dilation, padding, stride)


def col2im_blocks(
    blocks: np.ndarray,
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    padding: tuple[int, int],
    stride: tuple[int, int],
) -> np.ndarray:
    """Sum (N, C, kh, kw, oh, ow) window values (any strides) back into an (N, C, H, W) image."""
    n, c, kh, kw, oh, ow = blocks.shape
    ph, pw = out_hw[0] + 2 * padding[0], out_hw[1] + 2 * padding[1]
    out = np.zeros((n, c, ph, pw), dtype=blocks.dtype)
    sh, sw = stride
    for i in range(kh):
        hi = i * dilation[0]
        for j in range(kw):
            wj = j * dilation[1]
            out[:, :, hi : hi + sh * (oh - 1) + 1 : sh, wj : wj + sw * (ow - 1) + 1 : sw] += blocks[:, :, i, j]
    if padding == (0, 0):
        return out
    return out[:, :, padding[0] : padding[0] + out_hw[0], padding[1] : padding[1] + out_hw[1]]


class Unfold(Op):
    _name = "Im2ColBackward0"

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
        cols = im2col(a, kernel, dilation, padding, stride)
        return cols if batched else cols[0]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the adjoint of im2col is col2im
        return Fold.apply(grad, ctx.hw, *ctx.geom)  # type: ignore[no-any-return]


class Fold(Op):
    _name = "Col2ImBackward0"

    @staticmethod
    def forward(
        ctx: Any, cols: Tensor, out_hw: Any, kernel: Any, dilation: Any, padding: Any, stride: Any
    ) -> np.ndarray:
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


# ------------------------------------------------------------------------------------------ gathers
def _scatter_add(g: np.ndarray, flat_idx: np.ndarray, size: int) -> np.ndarray:
    """A zero vector of ``size`` with ``g`` added at ``flat_idx`` (duplicates accumulate)."""
    if g.dtype in _FAST:  # bincount sums in float64: fast, and at least as accurate as float32 sums
        return np.bincount(flat_idx.reshape(-1), weights=g.reshape(-1), minlength=size).astype(g.dtype, copy=False)
    out = np.zeros(size, dtype=g.dtype)
    np.add.at(out, flat_idx.reshape(-1), g.reshape(-1))
    return out


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
        return _scatter_add(g._data, idx, math.prod(shape)).reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # adjoint of a scatter-add: gather
        return Take.apply(grad, ctx.idx)  # type: ignore[no-any-return]


class TakeRows(Op):
    """Rows ``w[idx]`` of a 2-D ``w``; the gradient skips rows ``idx == skip`` (embedding's padding_idx).

    ``zero_skipped`` also zeroes those rows in the output (the exact adjoint of ``PutRows``).
    """

    _name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx: Any, w: Tensor, idx: np.ndarray, skip: int | None, zero_skipped: bool = False) -> np.ndarray:
        if ctx is not None:
            ctx.idx = idx
            ctx.skip = skip
            ctx.rows = w._data.shape[0]
        out = np.take(w._data, idx, axis=0)
        if zero_skipped and skip is not None:
            out[idx == skip] = 0
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # adjoint of a row gather: row scatter-add
        return PutRows.apply(grad, ctx.idx, ctx.rows, ctx.skip)  # type: ignore[no-any-return]


class PutRows(Op):
    """A (rows, d) zero tensor with the rows of ``g`` (shape idx.shape + (d,)) added at ``idx``, except at
    ``skip``."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, idx: np.ndarray, rows: int, skip: int | None) -> np.ndarray:
        if ctx is not None:
            ctx.idx = idx
            ctx.skip = skip
        ga = g._data
        d = ga.shape[-1]
        flat = idx.reshape(-1, 1) * d + np.arange(d)
        out = _scatter_add(ga, flat, rows * d).reshape(rows, d)
        if skip is not None:
            out[skip] = 0
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # adjoint of a row scatter-add: row gather
        return TakeRows.apply(grad, ctx.idx, ctx.skip, True)  # type: ignore[no-any-return]


# -------------------------------------------------------------------------------------- activations
_SQRT1_2 = 1 / math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_PI = math.sqrt(2 / math.pi)
# Φ(x) = 0.5 erfc(-x/√2) in float32 from erfc(z) ≈ t (a1 + a2 t + ... + a5 t⁴) exp(-z²), t = 1 / (1 + p z)
# (Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7 on erf; no float64 pass): the coefficients are pre-scaled
# by 1/2 (for Φ) and p by 1/√2 (for z = |x|/√2)
_PHI_A = [np.float32(0.5 * c) for c in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)]
_PHI_P = np.float32(0.3275911 / math.sqrt(2.0))
_F32 = np.dtype(np.float32)


def _phi_np(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(Φ(x), exp(-x²/2), a scratch array of x's shape or None): the standard normal CDF and the unscaled
    density, for float32 or float64 (a caller may write its result into the scratch array, still in cache)."""
    e = x * x
    e *= x.dtype.type(-0.5)
    np.exp(e, out=e)
    if x.dtype != _F32:
        from ..ops.math import _erf as erf64

        cdf = erf64(x * _SQRT1_2)
        cdf += 1
        cdf *= 0.5
        return cdf, e, None
    one = np.float32(1)
    t = np.abs(x)
    t *= _PHI_P
    t += one
    np.reciprocal(t, out=t)
    h = t * _PHI_A[4]
    for c in _PHI_A[3::-1]:
        h += c
        h *= t
    h *= e  # h = Φ(-|x|), the lower tail
    half = np.float32(0.5)
    np.subtract(half, h, out=h)
    np.copysign(h, x, out=h)
    h += half  # Φ(x) = 1/2 ± (1/2 - Φ(-|x|))
    return h, e, t


def _act_input(x: Tensor, kernel: str) -> np.ndarray:
    """The array an activation computes on: float32/64 as is, half precisions in float32 (as torch's opmath)."""
    a = x._data
    if a.dtype not in _FAST:
        if a.dtype == np.float16 or a.dtype is BF16:
            return a.astype(np.float32)
        raise not_implemented(kernel, a.dtype)
    return a


def _gelu_np(a: np.ndarray, tanh: bool) -> tuple[np.ndarray, Any]:
    """(gelu(a), what backward reuses: tanh form, the tanh; erf form, (Φ(a), exp(-a²/2)))."""
    if a.ndim == 0:
        y, f = _gelu_np(a.reshape(1), tanh)
        return y.reshape(()), (f.reshape(()) if tanh else tuple(v.reshape(()) for v in f))
    if tanh:
        t = np.tanh((a + 0.044715 * a * a * a) * _SQRT_2_PI)
        cdf = 0.5 * (1 + t)
        return a * cdf, t
    cdf, e, scratch = _phi_np(a)
    return np.multiply(a, cdf, out=scratch), (cdf, e)


def _gelu_grad_np(a: np.ndarray, saved: Any, tanh: bool) -> np.ndarray:
    """d gelu / dx at ``a``: Φ(x) + x φ(x) (tanh form: 0.5 (1 + t) + 0.5 x (1 - t²) √(2/π) (1 + 3·0.044715 x²))."""
    if tanh:
        t = saved
        inner = (1 + 3 * 0.044715 * a * a) * _SQRT_2_PI
        return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner  # type: ignore[no-any-return]
    cdf, e = saved
    pdf = a * e
    pdf *= a.dtype.type(_INV_SQRT_2PI)
    pdf += cdf
    return pdf


class Gelu(Op):
    _name = "GeluBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, tanh: bool) -> np.ndarray:
        a = _act_input(x, "GeluKernelImpl")
        y, saved = fp(_gelu_np, a, tanh)
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.tanh = tanh
            ctx.factor = saved
        return y if y.dtype == x._data.dtype else y.astype(x._data.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # see _gelu_grad_np
        (x,) = ctx.saved_tensors
        if not GRAD_ENABLED.get():
            tanh = ctx.tanh
            g = grad._data
            a = _act_input(x, "GeluKernelImpl")
            if g.dtype != a.dtype:
                g = g.astype(a.dtype)
            d = np.asarray(fp(np.multiply, fp(_gelu_grad_np, a, ctx.factor, tanh), g))
            return _make(d.astype(grad._data.dtype, copy=False))
        if ctx.tanh:
            t = ((x + 0.044715 * x * x * x) * _SQRT_2_PI).tanh()
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * ((1 + 3 * 0.044715 * x * x) * _SQRT_2_PI)
        else:
            d = 0.5 * (1 + (x * _SQRT1_2).erf()) + x * (-0.5 * x * x).exp() * _INV_SQRT_2PI
        return grad * d


def _silu_np(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.ndim == 0:
        y, s = _silu_np(a.reshape(1))
        return y.reshape(()), s.reshape(())
    s = np.negative(a)
    np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)
    return a * s, s


def _silu_grad_np(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    return s * (1 + a * (1 - s))  # type: ignore[no-any-return]


class Softplus(Op):
    """``log(1 + exp(beta x)) / beta``, ``x`` where ``beta x > threshold`` (torch's form)."""

    _name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, beta: float, threshold: float) -> np.ndarray:
        a = _act_input(x, "softplus_cpu")
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.beta = beta
            ctx.threshold = threshold
        bx = a * a.dtype.type(beta)
        y = np.asarray(fp(np.logaddexp, a.dtype.type(0), bx))
        y /= a.dtype.type(beta)
        np.copyto(y, a, where=bx > threshold)
        return y if y.dtype == x._data.dtype else y.astype(x._data.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d softplus = sigmoid(beta x) dx (1 above the threshold)
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return (grad * bx.sigmoid()).where(bx <= ctx.threshold, grad)  # type: ignore[no-any-return]


class Silu(Op):
    _name = "SiluBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        a = _act_input(x, "silu_cpu")
        y, s = fp(_silu_np, a)
        if ctx is not None:
            ctx.save_for_backward(x)
            ctx.sig = s
        return y if y.dtype == x._data.dtype else y.astype(x._data.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d x s(x) = s (1 + x (1 - s)) dx
        (x,) = ctx.saved_tensors
        if not GRAD_ENABLED.get():
            d = fp(_silu_grad_np, _act_input(x, "silu_cpu"), ctx.sig)
            return _make(np.asarray(fp(np.multiply, grad._data, d.astype(grad._data.dtype, copy=False))))
        s = x.sigmoid()
        return grad * (s * (1 + x * (1 - s)))
