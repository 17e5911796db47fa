"""Recording in-place ops in the graph (the grad-mode path of ``_registry.inplace``).

An in-place op ``x.op_(...)`` is computed out of place on a snapshot of ``x`` (so tensors
that earlier ops saved stay valid), written into ``x``'s storage, and ``x`` takes the new
history. When ``x`` is a view, its base's history is rebased as PyTorch's CopySlices does:
``base_new = base_old`` with the view's region replaced by the new value, an op
differentiable with respect to both; the view then reads its region of ``base_new``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._registry import Op, _write_into

__all__ = ["record_inplace", "refresh_view"]


def _alias(t: Tensor, copy: bool) -> Tensor:
    """A tensor with ``t``'s history (grad_fn, output_nr) and its current value (copied when ``copy``)."""
    a = _make(t._data.copy() if copy else t._data)
    a._requires_grad = t._requires_grad
    a._grad_fn = t._grad_fn
    a._output_nr = t._output_nr
    if t._grad_fn is None and t._requires_grad:  # a leaf: share its gradient accumulator
        a._acc_ref = None
        a._grad_fn = None
        a._requires_grad = False
    return a


def region_index(base: Tensor, view: Tensor) -> np.ndarray:
    """For each element of ``view``, its flat (row-major) position in ``base``; both look at one storage."""
    buf = base._get_storage()._buf
    item = base._data.itemsize
    pos = np.full(buf.size * buf.itemsize // item + 1, -1, dtype=np.int64)
    s8 = pos.itemsize

    def strided(t: Tensor) -> np.ndarray:
        off = t.storage_offset()
        st = tuple(s // item * s8 for s in t._data.strides)
        return np.lib.stride_tricks.as_strided(pos[off:], shape=t._data.shape, strides=st)

    strided(base)[...] = np.arange(base._data.size, dtype=np.int64).reshape(base._data.shape)
    idx = strided(view).copy()
    if idx.size and idx.min() < 0:
        raise RuntimeError("in-place write into a view: the view reaches outside its base tensor")
    return idx


class CopySlices(Op):
    """``base`` with the elements at flat positions ``idx`` replaced by ``src`` (the data is already written)."""

    _name = "CopySlices"

    @staticmethod
    def forward(ctx: Any, base: Tensor, src: Tensor, idx: np.ndarray) -> np.ndarray:
        if ctx is not None:
            ctx.idx = idx
            mask = np.ones(base._data.size, dtype=base._data.dtype)
            mask[idx.reshape(-1)] = 0
            ctx.mask = mask.reshape(base._data.shape)
        return np.empty((0,), dtype=base._data.dtype)  # placeholder: the values live in base's storage

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d base_old = grad off the region; d src = grad on it
        g_base = grad * _make(ctx.mask) if ctx.needs_input_grad[0] else None
        g_src = grad.reshape(-1)[_make(ctx.idx)] if ctx.needs_input_grad[1] else None
        return g_base, g_src


class RegionView(Op):
    """The view at flat positions ``idx`` of ``base`` (its gradient is scattered back into base's shape)."""

    _name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx: Any, base: Tensor, idx: np.ndarray) -> np.ndarray:
        if ctx is not None:
            ctx.idx = idx
            ctx.base_shape = base._data.shape
        return np.empty((0,), dtype=base._data.dtype)  # placeholder: the view keeps its own data

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d view = scatter-add of grad into zeros of base's shape
        from .creation import zeros

        z = zeros(int(np.prod(ctx.base_shape)), dtype=grad.dtype)
        return z.index_put((_make(ctx.idx.reshape(-1)),), grad.reshape(-1), accumulate=True).reshape(ctx.base_shape)  # type: ignore[no-any-return]


def _fit(res: Tensor, target: Tensor, op_name: str) -> Tensor:
    """The result with target's shape and dtype (recorded, so the gradient flows back through the cast/expand)."""
    if res._data.shape != target._data.shape:
        shape = np.broadcast_shapes(res._data.shape, target._data.shape)
        if shape != target._data.shape:
            _write_into(target, res, op_name)  # raises the shape error
        res = res.expand(target._data.shape)
    if res._data.dtype != target._data.dtype:
        res = res.to(target.dtype)
    return res


def record_inplace(target: Tensor, op_name: str, compute: Callable[..., Tensor], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Tensor:
    """``target.op_(*args)`` with autograd: see the module docstring."""
    base = target._base
    if base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            f"{op_name}: a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    snap = _alias(target, copy=True)
    res = compute(snap, *args, **kwargs)
    _write_into(target, res, op_name)  # checks shape and dtype, writes, bumps the version
    if not res._requires_grad:
        if base is None:
            return target
        res = res.detach()
    res = _fit(res, target, op_name)
    if base is None:
        target._grad_fn = res._grad_fn
        target._output_nr = res._output_nr
        target._requires_grad = res._requires_grad
        return target
    idx = region_index(base, target)
    new_base = CopySlices.apply(_alias(base, copy=False), res, idx)
    base._grad_fn = new_base._grad_fn
    base._output_nr = 0
    base._requires_grad = True
    _read_region(target, base, idx)
    return target


def _read_region(view: Tensor, base: Tensor, idx: np.ndarray) -> None:
    """Give ``view`` the history "region ``idx`` of base's current history"."""
    node = RegionView.apply(base, idx)._grad_fn
    node._view_base_fn = base._grad_fn
    view._grad_fn = node
    view._output_nr = 0
    view._requires_grad = True


def refresh_view(view: Tensor) -> Any:
    """Regenerate the history of a view whose base was modified in place after the view was made."""
    base = view._base
    assert base is not None
    _read_region(view, base, region_index(base, view))
    return view._grad_fn
