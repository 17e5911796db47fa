"""Scaled dot-product attention, as ``torch.nn.functional.scaled_dot_product_attention``.

``Attention`` is the fused op (``softmax(q kᵀ·scale + mask) v`` in one node, the probabilities
kept for backward); a differentiable mask or dropout goes through the composed tensor ops instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED
from ..ops._registry import Op, fp, register
from ..ops.activation import _softmax_np
from ..ops.activation import softmax as _softmax
from ..ops.join import stack
from ._primitives import mm, row_sum

__all__ = ["scaled_dot_product_attention", "Attention", "PackedSelfAttention", "additive_mask"]


#: a row sum below this after the shift by the global maximum may have lost precision: redo with row maxima
_SAFE_SUM = {np.dtype(np.float32): 1e-20, np.dtype(np.float64): 1e-200}
_FAST = (np.dtype(np.float32), np.dtype(np.float64))


def softmax_last(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (a fresh array).

    Shifting by the global maximum instead of each row's (one fast full reduction instead of a slow
    one per row) gives the same result unless a row's values all sit far below it: those cases
    (and infinities, NaN, fully masked rows) take the row-maximum path of ``ops.activation``.
    """
    safe = _SAFE_SUM.get(s.dtype)
    if safe is not None and s.size:
        m = np.maximum.reduce(s, axis=None)
        if np.isfinite(m):
            e = np.subtract(s, m)
            np.exp(e, out=e)
            tot = row_sum(e)
            if np.minimum.reduce(tot, axis=None) >= safe:
                e /= tot
                return e
    p = _softmax_np(s, -1, False)
    dead = np.maximum.reduce(s, -1, keepdims=True) == -np.inf  # fully masked rows: 0, as torch's safe softmax
    if dead.any():
        p = np.where(dead, p.dtype.type(0), p)
    return p


def _safe_softmax(s: Tensor) -> Tensor:
    """Softmax of the scores ``s`` over the last dim with fully masked rows set to 0 (and no NaN in their
    gradient), as torch's SDPA."""
    dead = np.maximum.reduce(s._data, -1, keepdims=True) == -np.inf
    if not dead.any():
        return _softmax(s, -1)  # type: ignore[no-any-return]
    d = _make(dead)
    return _softmax(s.masked_fill(d, 0.0), -1).masked_fill(d, 0.0)  # type: ignore[no-any-return]


def _attention_np(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Any, scale: float, out: np.ndarray | None = None
) -> tuple[Any, Any]:
    """(softmax(q kᵀ·scale + mask) v, the probabilities); the product goes to ``out`` when given."""
    # kᵀ as a contiguous array: BLAS multiplies small matrices several times faster that way than
    # through a transposed strided view; the scale goes on q (L·E products to scale, not L·S)
    kt = np.ascontiguousarray(np.swapaxes(k, -1, -2))
    s = mm(q * q.dtype.type(scale), kt, "scaled_dot_product_attention")
    if mask is not None:
        s = s + mask if s.shape != np.broadcast_shapes(s.shape, mask.shape) else np.add(s, mask, out=s)
    p = softmax_last(s)
    if out is None:
        return mm(p, v, "scaled_dot_product_attention"), p
    if q.dtype in _FAST:
        np.matmul(p, v, out=out)
    else:
        out[...] = mm(p, v, "scaled_dot_product_attention")
    return out, p


class Attention(Op):
    """``softmax(q kᵀ·scale + mask) v``; ``mask`` is an additive ndarray (or None), not differentiated."""

    _name = "ScaledDotProductAttentionBackward0"

    @staticmethod
    def forward(ctx: Any, q: Tensor, k: Tensor, v: Tensor, mask: Any, scale: float) -> np.ndarray:
        qa, ka, va = q._data, k._data, v._data
        if not qa.dtype == ka.dtype == va.dtype:
            raise RuntimeError(
                f"scaled_dot_product_attention: Expected query, key, and value to have the same dtype, but got "
                f"query.dtype: {q.dtype!r}, key.dtype: {k.dtype!r}, and value.dtype: {v.dtype!r} instead."
            )
        try:
            out, p = fp(_attention_np, qa, ka, va, mask, scale)
        except ValueError:
            raise RuntimeError(
                f"scaled_dot_product_attention: the shapes of query {list(qa.shape)}, key {list(ka.shape)}, value "
                f"{list(va.shape)} and attn_mask {None if mask is None else list(mask.shape)} do not match"
            ) from None
        if ctx is not None:
            ctx.save_for_backward(q, k, v)
            ctx.p = p
            ctx.mask = mask
            ctx.scale = scale
        return out  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        # P = softmax(S), S = q kᵀ c + M, O = P v:  dv = Pᵀ dO,  dP = dO vᵀ,  dS = P (dP - rowsum(dP P)),
        # dq = dS k c,  dk = dSᵀ q c
        q, k, v = ctx.saved_tensors
        need = ctx.needs_input_grad
        c = ctx.scale
        if not GRAD_ENABLED.get():
            return fp(_attention_backward_np, grad._data, q._data, k._data, v._data, ctx.p, c, need)
        return _attention_backward_tensors(grad, q, k, v, ctx.mask, c, need)


def _attention_backward_tensors(
    grad: Tensor, q: Tensor, k: Tensor, v: Tensor, mask: Any, c: float, need: Any
) -> tuple[Any, ...]:
    """The attention gradients as differentiable tensor ops (for ``create_graph=True``)."""
    s = q.matmul(k.transpose(-2, -1)) * c
    if mask is not None:
        s = s + _make(mask)
    p = _safe_softmax(s)
    gv = p.transpose(-2, -1).matmul(grad) if need[2] else None
    gp = grad.matmul(v.transpose(-2, -1))
    gs = p * (gp - (gp * p).sum(-1, keepdim=True))
    gq = gs.matmul(k) * c if need[0] else None
    gk = gs.transpose(-2, -1).matmul(q) * c if need[1] else None
    return gq, gk, gv


class PackedSelfAttention(Op):
    """Multi-head self-attention on a packed projection: (N, L, 3E) ``[q | k | v]`` -> (N, L, E), heads
    merged back; one node in place of the head split, the attention and the head merge."""

    _name = "ScaledDotProductAttentionBackward0"

    @staticmethod
    def forward(ctx: Any, qkv: Tensor, heads: int, mask: Any, scale: float) -> np.ndarray:
        a = qkv._data
        n, length, e3 = a.shape
        e = e3 // 3
        q, k, v = _split_heads(a, heads)
        out = np.empty((n, length, heads, e // heads), dtype=a.dtype)  # the heads' products land merged
        _, p = fp(_attention_np, q, k, v, mask, scale, out.transpose(0, 2, 1, 3))
        if ctx is not None:
            ctx.save_for_backward(qkv)
            ctx.p = p
            ctx.mask = mask
            ctx.scale = scale
            ctx.heads = heads
        return out.reshape(n, length, e)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # Attention's gradients, packed as the input
        (qkv,) = ctx.saved_tensors
        n, length, e3 = qkv.shape
        h = ctx.heads
        hd = e3 // 3 // h
        need = (True, True, True)
        if not GRAD_ENABLED.get():
            q, k, v = _split_heads(qkv._data, h)
            g4 = grad._data.reshape(n, length, h, hd).transpose(0, 2, 1, 3)
            out = np.empty((n, length, 3, h, hd), dtype=qkv._data.dtype)  # the gradients land packed
            outs = tuple(out[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
            fp(_attention_backward_np, g4, q, k, v, ctx.p, ctx.scale, need, outs)
            return _make(out.reshape(n, length, e3))
        q, k, v = qkv.reshape(n, length, 3, h, hd).permute(2, 0, 3, 1, 4).unbind(0)
        g4 = grad.reshape(n, length, h, hd).transpose(1, 2)
        gq, gk, gv = _attention_backward_tensors(g4, q, k, v, ctx.mask, ctx.scale, need)
        return stack([gq, gk, gv]).permute(1, 3, 0, 2, 4).reshape(n, length, e3)  # type: ignore[no-any-return]


def _split_heads(a: np.ndarray, heads: int) -> tuple[np.ndarray, ...]:
    """(N, L, 3E) -> q, k, v views of shape (N, heads, L, E/heads)."""
    n, length, e3 = a.shape
    v5 = a.reshape(n, length, 3, heads, e3 // 3 // heads)
    return tuple(v5[:, :, i].transpose(0, 2, 1, 3) for i in range(3))


def _attention_backward_np(
    g: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, p: np.ndarray, c: float, need: Any, outs: Any = None
) -> tuple[Any, ...]:
    """(dq, dk, dv) as tensors (None where not needed); with ``outs`` (three arrays of q's shape, float32 or
    float64 operands), the gradients are written there instead."""
    op = "scaled_dot_product_attention"
    direct = outs is not None and q.dtype in _FAST

    def prod(a: np.ndarray, b: np.ndarray, i: int) -> Any:
        if direct:
            return np.matmul(a, b, out=outs[i])
        r = mm(a, b, op)
        if outs is not None:
            outs[i][...] = r
        return _make(r)

    gv = prod(np.swapaxes(p, -1, -2), g, 2) if need[2] else None
    # vᵀ as a contiguous array: BLAS multiplies small matrices faster that way (see _attention_np)
    gs = mm(g, np.ascontiguousarray(np.swapaxes(v, -1, -2)), op)
    gs -= row_sum(gs * p)
    gs *= p
    gs *= gs.dtype.type(c)
    gq = prod(gs, k, 0) if need[0] else None
    gk = prod(np.swapaxes(gs, -1, -2), q, 1) if need[1] else None
    return gq, gk, gv


def _repeat_heads(t: Tensor, r: int) -> Tensor:
    """(..., H, S, E) -> (..., H·r, S, E), each head repeated r times in a row (repeat_interleave on dim -3)."""
    shape = tuple(t.shape)
    e = t.unsqueeze(-3).expand(*shape[:-2], r, *shape[-2:])
    return e.reshape(*shape[:-3], shape[-3] * r, *shape[-2:])  # type: ignore[no-any-return]


def additive_mask(mask: Tensor, dtype: np.dtype[Any], allowed_when: bool) -> np.ndarray:
    """A bool mask as an additive float array: 0 where ``mask == allowed_when``, -inf elsewhere."""
    return np.where(mask._data == allowed_when, dtype.type(0), dtype.type(-np.inf))


@register(name="nn.functional.scaled_dot_product_attention", method=False)
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(q kᵀ·scale + mask) v``, as ``torch.nn.functional.scaled_dot_product_attention``.

    A bool ``attn_mask`` is True where attention is allowed; a float one is added to the scores.
    ``is_causal`` masks out the upper triangle; ``scale`` defaults to ``1/sqrt(E)``; ``dropout_p``
    applies dropout to the attention probabilities (always, as torch's functional form).

    Examples
    --------
    >>> import rustytorch as rt
    >>> q = k = v = rt.ones(1, 2, 4)
    >>> rt.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    rustytorch.Size([1, 2, 4])
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t.dim() < 2 or not t.is_floating_point():
            raise RuntimeError(f"{op}: expected {name} to be a floating tensor of at least 2 dims, got {t.dtype!r} "
                               f"of shape {list(t.shape)}")  # fmt: skip
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{op}: query/key embedding sizes or key/value lengths differ: query {list(query.shape)}, "
            f"key {list(key.shape)}, value {list(value.shape)}"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: _scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")  # fmt: skip
    if enable_gqa and query.dim() >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk:
            raise RuntimeError(f"{op}: number of heads in query ({hq}) must be a multiple of those in key ({hk})")
        key, value = (_repeat_heads(t, hq // hk) for t in (key, value))
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    dt = query._data.dtype
    mask: Any = None
    lq, lk = query.shape[-2], key.shape[-2]
    if is_causal:
        mask = np.where(np.tri(lq, lk, dtype=bool), dt.type(0), dt.type(-np.inf))
    elif attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            mask = additive_mask(attn_mask, dt, True)
        elif attn_mask.requires_grad and GRAD_ENABLED.get():
            mask = attn_mask  # differentiable mask: composed ops below
        else:
            mask = attn_mask._data.astype(dt, copy=False)
    if dropout_p > 0.0 or isinstance(mask, Tensor):
        from .functional import dropout

        scores = query.matmul(key.transpose(-2, -1)) * s
        if mask is not None:
            scores = scores + (mask if isinstance(mask, Tensor) else _make(mask))
        attn = _safe_softmax(scores)
        if dropout_p > 0.0:
            attn = dropout(attn, dropout_p)
        return attn.matmul(value)  # type: ignore[no-any-return]
    return Attention.apply(query, key, value, mask, s)  # type: ignore[no-any-return]
