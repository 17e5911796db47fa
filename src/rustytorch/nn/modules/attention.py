"""``MultiheadAttention`` with torch's parameter layout, masks and averaged attention weights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import ops
from ..._tensor import Tensor, _make
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .layers import Linear

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """The output projection of ``MultiheadAttention`` (named as in torch, so reprs and state dicts match)."""


def _float_mask(mask: Tensor | None, dtype: Any, name: str) -> Tensor | None:
    """torch's MHA convention: a bool mask is True where attention is NOT allowed; float masks are added."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        m = np.where(mask._data, -np.inf, 0.0).astype(dtype.np)
        return _make(m)
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask.to(dtype)


class MultiheadAttention(Module):
    """Multi-head attention with a packed input projection, as ``torch.nn.MultiheadAttention``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> mha = rt.nn.MultiheadAttention(8, 2, batch_first=True)
    >>> x = rt.randn(3, 5, 8)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    (rustytorch.Size([3, 5, 8]), rustytorch.Size([3, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim != embed_dim are not supported")
        self.embed_dim = embed_dim
        self.kdim = self.vdim = embed_dim
        self._qkv_same_embed_dim = True
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(ops.empty(3 * embed_dim, embed_dim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(ops.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
                "`generate_square_subsequent_mask` to create this mask."
            )
        batched = query.dim() == 3
        if self.batch_first and batched:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if not batched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        tgt_len, bsz, e = query.shape
        src_len = key.shape[0]
        if e != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {e}")
        h, hd = self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        if query is key and key is value:
            qkv = F.linear(query, w, b)
            q, k, v = qkv.chunk(3, dim=-1)
        else:
            ws = w.chunk(3)
            bs = b.chunk(3) if b is not None else (None, None, None)
            q, k, v = (F.linear(x, wi, bi) for x, wi, bi in zip((query, key, value), ws, bs, strict=True))
        mask = _float_mask(attn_mask, query.dtype, "attn_mask")
        if mask is not None and mask.dim() == 3 and mask.shape[0] != bsz * h:
            raise RuntimeError(f"The shape of the 3D attn_mask is {list(mask.shape)}, but should be {[bsz * h, tgt_len, src_len]}.")
        kpm = _float_mask(key_padding_mask, query.dtype, "key_padding_mask")
        if kpm is not None:
            kpm = kpm.reshape(bsz, 1, 1, src_len).expand(bsz, h, 1, src_len).reshape(bsz * h, 1, src_len)
            mask = kpm if mask is None else mask + kpm
        q = q.reshape(tgt_len, bsz * h, hd).transpose(0, 1)
        k = k.reshape(src_len, bsz * h, hd).transpose(0, 1)
        v = v.reshape(src_len, bsz * h, hd).transpose(0, 1)
        scores = (q * math.sqrt(1.0 / hd)).matmul(k.transpose(-2, -1))
        if mask is not None:
            scores = scores + mask
        attn = ops.softmax(scores, -1)  # type: ignore[attr-defined]
        if self.dropout > 0.0 and self.training:
            attn = F.dropout(attn, self.dropout)
        out = attn.matmul(v).transpose(0, 1).reshape(tgt_len * bsz, e)
        out = self.out_proj(out).reshape(tgt_len, bsz, e)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        weights = attn.reshape(bsz, h, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights
