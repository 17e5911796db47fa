"""``MultiheadAttention`` with torch's parameter layout, masks and averaged attention weights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import ops
from ..._dtype import _FROM_NP
from ..._tensor import Tensor, _make
from ...autograd.grad_mode import GRAD_ENABLED
from .. import functional as F
from .. import init
from .._functional_attention import Attention, PackedSelfAttention, additive_mask
from ..module import Module
from ..parameter import Parameter
from .layers import Linear

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """The output projection of ``MultiheadAttention`` (named as in torch, so reprs and state dicts match)."""


def _additive(mask: Tensor | None, dtype: np.dtype[Any], name: str) -> Any:
    """torch's MHA convention as an additive array: a bool mask is True where attention is NOT allowed
    (-inf there); a float mask is added as it is (a Tensor when it requires grad, so it gets one)."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        return additive_mask(mask, dtype, False)
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if mask.requires_grad and GRAD_ENABLED.get():
        return mask.to(_FROM_NP[dtype])
    return mask._data.astype(dtype, copy=False)


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

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim != embed_dim are not supported"
            )
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

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
                "`generate_square_subsequent_mask` to create this mask."
            )
        batched = query.dim() == 3
        if query.dim() not in (2, 3):
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D")
        self_attn = query is key and key is value
        # work batch-major: (N, L, E)
        if not batched:
            query, key, value = (t.unsqueeze(0) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, tgt_len, e = query.shape
        src_len = key.shape[1]
        if e != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {e}")
        h, hd = self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        if self_attn:
            qkv = F.linear(query, w, b)  # (N, L, 3E)
        else:
            ws = w.chunk(3)
            bs = b.chunk(3) if b is not None else (None, None, None)
            q, k, v = (
                F.linear(x, wi, bi).reshape(n, x.shape[1], h, hd).transpose(1, 2)
                for x, wi, bi in zip((query, key, value), ws, bs, strict=True)
            )
        dt = query._data.dtype
        mask = _additive(attn_mask, dt, "attn_mask")
        if mask is not None:
            if mask.ndim == 3:
                if tuple(mask.shape) != (n * h, tgt_len, src_len):
                    raise RuntimeError(f"The shape of the 3D attn_mask is {list(mask.shape)}, but should be "
                                       f"{[n * h, tgt_len, src_len]}.")  # fmt: skip
                mask = mask.reshape(n, h, tgt_len, src_len)
            elif tuple(mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {list(mask.shape)}, but should be "
                                   f"{[tgt_len, src_len]}.")  # fmt: skip
        kpm = _additive(key_padding_mask, dt, "key_padding_mask")
        if kpm is not None:
            kpm = kpm.reshape(n, 1, 1, src_len)
            mask = kpm if mask is None else mask + kpm
        scale = 1.0 / math.sqrt(hd)
        dropout = self.dropout if self.training else 0.0
        fused = not need_weights and dropout == 0.0 and not isinstance(mask, Tensor)
        if fused and self_attn:
            out = PackedSelfAttention.apply(qkv, h, mask, scale)  # (N, L, E)
        elif fused:
            out = Attention.apply(q, k, v, mask, scale).transpose(1, 2).reshape(n, tgt_len, e)
        else:
            if self_attn:
                q, k, v = qkv.reshape(n, tgt_len, 3, h, hd).permute(2, 0, 3, 1, 4).unbind(0)  # (N, h, L, hd)
            scores = (q * math.sqrt(1.0 / hd)).matmul(k.transpose(-2, -1))
            if mask is not None:
                scores = scores + (mask if isinstance(mask, Tensor) else _make(mask))
            weights = F.softmax(scores, -1)
            if dropout > 0.0:
                weights = F.dropout(weights, dropout)
            out = weights.matmul(v).transpose(1, 2).reshape(n, tgt_len, e)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, (weights if batched else weights.squeeze(0))
