"""In-place ops in the autograd graph: history rebasing, views (torch's CopySlices) and saved-tensor snapshots.

``ops._registry.inplace`` calls ``record_inplace`` when an in-place op must be recorded. The op
is computed out of place (``compute(target, ...)``, recording its own node), the result is
written into the target's memory, and then:

* a target that is not a view takes the result's history: its ``grad_fn`` becomes the op's
  node, whose input edge is the target's old history;
* a write into a VIEW of a tensor rebases the base's history, as torch's ``CopySlices``::

      base_new = region_copy(base_old, region, value)     # grad_fn CopySlices
      view_new = region_get(base_new, region)             # grad_fn AsStridedBackward0

  where ``region`` is the view's geometry (offset and strides) inside the base. Other live
  views of the same storage that are in the graph get a new ``grad_fn`` (a view of the
  base's new history), as torch regenerates them;
* tensors that the op saved for its backward and that share the target's memory are
  replaced by snapshots of their old values, so the write does not invalidate them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._storage import data_ptr
from .._tensor import Tensor, _make
from ..autograd.node import Node, _RetainGradHook, live_views, next_seq, register_view
from ._registry import Op, _write_into

__all__: list[str] = []

_new = object.__new__
_as_strided = np.lib.stride_tricks.as_strided


class Region:
    """Where a view's elements are inside its base: an (offset, strides) window into the base's
    row-major elements, or, for bases that are not row-major, an index array."""

    __slots__ = ("base_shape", "index", "offset", "shape", "strides")

    def __init__(
        self,
        base_shape: tuple[int, ...],
        shape: tuple[int, ...],
        offset: int,
        strides: tuple[int, ...] | None,
        index: np.ndarray | None,
    ) -> None:
        self.base_shape = base_shape
        self.shape = shape
        self.offset = offset
        self.strides = strides
        self.index = index

    def window(self, flat: np.ndarray) -> np.ndarray:
        """The region as a (writable) view of ``flat``, a row-major array of the base's elements."""
        if self.index is not None:
            raise AssertionError("index regions have no window")
        if 0 in self.shape:
            return flat[:0].reshape(self.shape)
        item = flat.itemsize
        assert self.strides is not None
        return _as_strided(flat[self.offset :], self.shape, tuple(s * item for s in self.strides))

    def get(self, a: np.ndarray) -> np.ndarray:
        """A fresh array of the region's elements of ``a`` (an array of the base's shape)."""
        flat = np.ascontiguousarray(a).reshape(-1)
        if self.index is not None:
            return flat[self.index]
        return self.window(flat).copy()

    def put(self, out: np.ndarray, value: Any) -> None:
        """Write ``value`` into the region of ``out`` (a fresh C-contiguous array of the base's shape)."""
        flat = out.reshape(-1)
        if self.index is not None:
            flat[self.index] = value
        else:
            self.window(flat)[...] = value


def region_of(view: Tensor, base: Tensor) -> Region:
    """The geometry of ``view`` inside ``base`` (both look at one storage)."""
    vd, bd = view._data, base._data
    if vd.dtype != bd.dtype:
        raise RuntimeError(
            f"in-place operation on a view of dtype {view.dtype!r} whose base has dtype {base.dtype!r} (a "
            f"view(dtype) view) is not differentiable"
        )
    item = vd.itemsize
    off_b = data_ptr(vd) - data_ptr(bd)
    bad = off_b % item or any(s % item for s in vd.strides)
    if not bad and bd.flags.c_contiguous:
        off = off_b // item
        strides = tuple(s // item for s in vd.strides)
        lo = off + sum((n - 1) * s for n, s in zip(vd.shape, strides, strict=True) if s < 0 and n)
        hi = off + sum((n - 1) * s for n, s in zip(vd.shape, strides, strict=True) if s > 0 and n)
        if vd.size == 0 or (lo >= 0 and hi < bd.size):
            return Region(bd.shape, vd.shape, off, strides, None)
        bad = True
    if not bad:  # a base that is not row-major: map memory offsets to the base's row-major indices
        bo = _byte_offsets(bd.shape, bd.strides)
        vo = _byte_offsets(vd.shape, vd.strides) + off_b
        order = np.argsort(bo, kind="stable")
        pos = np.searchsorted(bo[order], vo)
        pos = np.minimum(pos, max(bo.size - 1, 0))
        if bo.size and np.array_equal(bo[order][pos], vo):
            return Region(bd.shape, vd.shape, 0, None, order[pos].reshape(vd.shape))
    raise RuntimeError(
        f"in-place operation on a view of shape {list(vd.shape)} whose elements are not all elements of its base "
        f"(shape {list(bd.shape)}): cannot rebase the base's history"
    )


def _byte_offsets(shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    off = np.zeros(shape, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides, strict=True)):
        idx = [1] * len(shape)
        idx[d] = n
        off = off + (np.arange(n, dtype=np.int64) * s).reshape(idx)
    return off.reshape(-1)


# ------------------------------------------------------------------- region ops
class RegionCopy(Op):
    """``base`` with its region replaced by ``value`` (torch's CopySlices)."""

    _name = "CopySlices"

    @staticmethod
    def forward(ctx: Any, base: Tensor, value: Any, region: Region) -> np.ndarray:
        if ctx is not None:
            ctx.region = region
        out = np.array(base._data, order="C", copy=True)
        region.put(out, value._data if isinstance(value, Tensor) else value)
        return out

    @staticmethod
    def backward(
        ctx: Any, grad: Tensor
    ) -> tuple[Any, Any]:  # d base -> grad outside the region; d value -> grad[region]
        r = ctx.region
        gb = RegionZero.apply(grad, r) if ctx.needs_input_grad[0] else None
        gv = RegionGet.apply(grad, r) if ctx.needs_input_grad[1] else None
        return gb, gv


class RegionGet(Op):
    """The region of ``base`` as a tensor of the view's shape."""

    _name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx: Any, base: Tensor, region: Region) -> np.ndarray:
        if ctx is not None:
            ctx.region = region
        return region.get(base._data)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the gradient placed in the region of zeros
        return RegionEmbed.apply(grad, ctx.region)  # type: ignore[no-any-return]


class RegionEmbed(Op):
    """Zeros of the base's shape with ``value`` in the region."""

    _name = "AsStridedScatterBackward0"

    @staticmethod
    def forward(ctx: Any, value: Tensor, region: Region) -> np.ndarray:
        if ctx is not None:
            ctx.region = region
        out = np.zeros(region.base_shape, dtype=value._data.dtype)
        region.put(out, value._data)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # read the region back
        return RegionGet.apply(grad, ctx.region)  # type: ignore[no-any-return]


class RegionZero(Op):
    """``base`` with its region set to zero."""

    _name = "CopySlicesBackward0"

    @staticmethod
    def forward(ctx: Any, base: Tensor, region: Region) -> np.ndarray:
        if ctx is not None:
            ctx.region = region
        out = np.array(base._data, order="C", copy=True)
        region.put(out, 0)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # linear: the same masking
        return RegionZero.apply(grad, ctx.region)  # type: ignore[no-any-return]


class _Alias(Op):
    """Identity node, for an in-place result that is a leaf (e.g. ``x.copy_(leaf)``)."""

    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> np.ndarray:
        return x._data

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # identity
        return grad


class _Overwritten(Node):
    """The history of a tensor overwritten by a value that needs no gradient (``zero_``, ``fill_``): the old
    value gets a zero gradient, as torch's ZeroBackward0 / FillBackward0 give."""

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the result does not depend on the old value
        return grad.new_zeros(ctx._in_meta[0][0])  # type: ignore[no-any-return]


def _edge(t: Tensor) -> tuple[Any, int]:
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (t._grad_accumulator(), 0)
    return (None, 0)


def _node(cls: type[Node], edges: tuple[Any, ...], tensors: tuple[Tensor | None, ...]) -> Any:
    node = _new(cls)
    meta = tuple(
        None if e[0] is None or t is None else (t._data.shape, t._data.dtype)
        for e, t in zip(edges, tensors, strict=True)
    )
    node._init_node(edges, meta, tuple(m is not None for m in meta))
    return node


def _op_node_name(op_name: str) -> str:
    return "".join(p.capitalize() for p in op_name.strip("_").split("_")) + "Backward0"


# ---------------------------------------------------------------- the recipe
def record_inplace(
    target: Tensor, op_name: str, compute: Callable[..., Tensor], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Tensor:
    """Run ``compute(target, *args, **kwargs)`` with the graph recorded, write the result into ``target`` and
    give ``target`` (and, for a view, its base and the base's other views) the new history."""
    base = target._base
    fn = target._grad_fn
    if fn is not None and getattr(fn, "multi_view", False):
        raise RuntimeError(
            f"{op_name}: Output {target._output_nr} of {fn.name()} is a view and is being modified inplace. This "
            f"view is the output of a function that returns multiple views. Such functions do not allow the output "
            f"views to be modified inplace. You should replace the inplace operation by an out-of-place one."
        )
    is_view = base is not None and (target._requires_grad or not base._requires_grad)
    if is_view and base._requires_grad and base._grad_fn is None:
        raise RuntimeError(
            f"{op_name}: a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    region = region_of(target, base) if is_view else None
    st = target._get_storage()
    start = next_seq()
    res = compute(target, *args, **kwargs)
    if not isinstance(res, Tensor):
        raise TypeError(f"{op_name}: the in-place computation returned {type(res).__name__}, expected a Tensor")
    if res._grad_fn is not None:
        _snapshot_saved(res._grad_fn, start, st)
    _write_into(target, res, op_name)
    res = _conform(res, target)
    if region is not None:
        _rebase_view(target, base, region, res, op_name)
        return target
    old_fn = target._grad_fn
    if res._requires_grad:
        target._grad_fn = res._grad_fn
        target._output_nr = res._output_nr
        target._requires_grad = True
    elif target._requires_grad:
        node = _node(_Overwritten, (_edge(target),), (target,))
        node._name = _op_node_name(op_name)
        target._grad_fn = node
        target._output_nr = 0
    _move_retain_hook(target, old_fn)
    if base is None:
        _regenerate_views(st, target, None)
    return target


def _conform(res: Tensor, target: Tensor) -> Tensor:
    """The result as the graph sees the written value: target's shape and dtype, and a non-leaf."""
    if not res._requires_grad:
        return res
    if res._data.shape != target._data.shape:
        res = res.expand(target.shape)
    if res._data.dtype != target._data.dtype:
        res = res.to(target.dtype)
    if res._grad_fn is None:
        res = _Alias.apply(res)
    return res


def _rebase_view(target: Tensor, base: Tensor, region: Region, res: Tensor, op_name: str) -> None:
    """CopySlices: the base's new history is its old one with the region replaced by ``res``."""
    old_fn = target._grad_fn
    node = _node(RegionCopy, (_edge(base), _edge(res)), (base, res))
    node.region = region
    base._grad_fn = node
    base._output_nr = 0
    base._requires_grad = True
    was_in_graph = target._requires_grad
    _view_of_base(target, base, region)
    if not was_in_graph:
        register_view(target)
    _move_retain_hook(target, old_fn)
    _regenerate_views(base._get_storage(), target, base)


def _view_of_base(v: Tensor, base: Tensor, region: Region) -> None:
    vnode = _node(RegionGet, (_edge(base),), (base,))
    vnode.region = region
    v._grad_fn = vnode
    v._output_nr = 0
    v._requires_grad = True


def _regenerate_views(st: Any, written: Tensor, base: Tensor | None) -> None:
    """Give the other live views of storage ``st`` a grad_fn reading the base's new history."""
    for v in live_views(st):
        if v is written or not v._requires_grad:
            continue
        b = v._base
        if b is None or (base is not None and b is not base) or (base is None and b is not written):
            continue
        try:
            region = region_of(v, b)
        except RuntimeError:
            continue
        old_fn = v._grad_fn
        _view_of_base(v, b, region)
        _move_retain_hook(v, old_fn)


def _move_retain_hook(t: Tensor, old_fn: Node | None) -> None:
    """retain_grad() follows the tensor to its new grad_fn, as in torch."""
    if not t._retains_grad or old_fn is None or old_fn is t._grad_fn:
        return
    pre = old_fn._pre_hooks
    if pre:
        for fns in pre.values():
            fns[:] = [h for h in fns if not (h.__class__ is _RetainGradHook and h.ref() is t)]
    t._retains_grad = False
    if t._grad_fn is not None:
        t._retains_grad = True
        t._grad_fn._add_pre_hook(t._output_nr, _RetainGradHook(t))


def _snapshot_saved(root: Node, start: int, st: Any) -> None:
    """Tensors saved by the nodes the in-place computation recorded (creation number > ``start``) that share
    the target's memory are replaced by copies of their current (old) values."""
    stack = [root]
    seen = {id(root)}
    while stack:
        node = stack.pop()
        if node._seq <= start:
            continue
        for s in node._saved or ():
            if s is None or s.unpack_hook is not None:
                continue
            t = s.tensor
            if t is not None and t._storage is st:
                snap = _make(t._data.copy())
                snap._requires_grad = t._requires_grad
                snap._grad_fn = t._grad_fn
                snap._output_nr = t._output_nr
                s.tensor = snap
                s.version = 0
        r = node._saved_result
        if r is not None and r.unpack_hook is None and r.tensor is None and r.storage is st:
            data = r.data.copy()
            r.data = data
            r.storage = _make(data)._get_storage()
            r.base = None
            r.version = 0
        for c, _ in node.next_functions:
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
