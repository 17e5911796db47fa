"""Joining ops: cat (concat, concatenate), stack, hstack, vstack, dstack, column_stack, and ``nn.functional.pad``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._dtype import _FROM_NP, _PROMOTE
from .._tensor import Tensor, _make
from ._registry import Op, register
from .movement import reshape, wrap_dim

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack"]


def _tensor_list(op: str, tensors: Any) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not {type(tensors).__name__}")
    ts = list(tensors)
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 'tensors', but got {type(t).__name__}")
    return ts


def _promoted(ts: Sequence[Tensor]) -> np.dtype[Any]:
    """torch.result_type over dimensioned tensors: the pairwise promotion of their dtypes."""
    dt = ts[0]._data.dtype
    for t in ts[1:]:
        d = t._data.dtype
        if d is not dt and d != dt:
            dt = _PROMOTE[_FROM_NP[dt], _FROM_NP[d]].np
    return dt


class Cat(Op):
    _name = "CatBackward0"

    @staticmethod
    def forward(ctx: Any, *ts: Tensor, dim: int, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
        one_d = len(shape) == 1
        arrs = [t._data for t in ts if one_d or t._data.shape != (0,)]
        if ctx is not None:
            ctx.dim = dim
            # the size of each input along dim; -1 for a skipped legacy 1-D empty input
            ctx.sizes = tuple(t._data.shape[dim] if one_d or t._data.shape != (0,) else -1 for t in ts)
        out = np.empty(shape, dtype=dtype)
        if len(arrs) == 1:
            np.copyto(out, arrs[0], casting="unsafe")
        elif arrs:
            np.concatenate(arrs, axis=dim, out=out, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:  # each input gets its slice of the gradient
        from .movement_dims import narrow

        out: list[Any] = []
        off = 0
        for n, need in zip(ctx.sizes, ctx.needs_input_grad, strict=True):
            if n < 0:
                out.append(_make(np.zeros((0,), dtype=grad._data.dtype)) if need else None)
                continue
            out.append(narrow(grad, ctx.dim, off, n) if need else None)
            off += n
        return tuple(out)


@register(method=False)
def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Concatenate tensors along an existing dimension, as ``torch.cat``.

    Dtypes promote as ``torch.result_type``; 1-D empty tensors are skipped (torch's legacy rule).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.cat([rt.tensor([[1, 2]]), rt.tensor([[3, 4]])])
    tensor([[1, 2],
            [3, 4]])
    >>> rt.cat([rt.tensor([1, 2]), rt.tensor([0.5])]).dtype
    rustytorch.float32
    """
    if out is not None:
        raise TypeError("cat(): the out= argument is not supported")
    ts = _tensor_list("cat", tensors)
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [t for t in ts if t._data.shape != (0,)]
    ref = kept[0]._data.shape if kept else (0,)
    nd = len(ref)
    d = wrap_dim(dim, nd, "cat")
    if nd == 1:
        kept = ts
    total = 0
    for i, t in enumerate(ts):
        s = t._data.shape
        if nd != 1 and s == (0,):
            continue
        if len(s) != nd:
            raise RuntimeError(f"cat(): Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for k in range(nd):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(
                    f"cat(): Sizes of tensors must match except in dimension {d}. Expected size {ref[k]} but got "
                    f"size {s[k]} for tensor number {i} in the list (shapes {[list(x.shape) for x in ts]})."
                )
        total += s[d]
    shape = (*ref[:d], total, *ref[d + 1 :])
    return Cat.apply(*ts, dim=d, shape=shape, dtype=_promoted(ts))  # type: ignore[no-any-return]


@register(method=False)
def concat(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Alias of :func:`cat`, as ``torch.concat``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.concat([rt.zeros(1, 2), rt.ones(1, 2)], dim=1).shape
    rustytorch.Size([1, 4])
    """
    return cat(tensors, dim, out=out)


@register(method=False)
def concatenate(tensors: Sequence[Tensor], axis: int = 0, *, out: Any = None) -> Tensor:
    """Alias of :func:`cat`, as ``torch.concatenate``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.concatenate([rt.zeros(2), rt.ones(1)], axis=0)
    tensor([0., 0., 1.])
    """
    return cat(tensors, axis, out=out)


class Stack(Op):
    _name = "StackBackward0"

    @staticmethod
    def forward(ctx: Any, *ts: Tensor, dim: int, dtype: np.dtype[Any]) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
        s = ts[0]._data.shape
        out = np.empty((*s[:dim], len(ts), *s[dim:]), dtype=dtype)
        np.stack([t._data for t in ts], axis=dim, out=out, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, ...]:  # each input gets its slice of the gradient
        from .movement_dims import unbind

        return unbind(grad, ctx.dim)


@register(method=False)
def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Join same-shape tensors along a new dimension ``dim``, as ``torch.stack``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.stack([rt.tensor([1, 2]), rt.tensor([3, 4])], dim=1)
    tensor([[1, 3],
            [2, 4]])
    """
    if out is not None:
        raise TypeError("stack(): the out= argument is not supported")
    ts = _tensor_list("stack", tensors)
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = ts[0]._data.shape
    d = wrap_dim(dim, len(s0) + 1, "stack")
    for i, t in enumerate(ts):
        if t._data.shape != s0:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    return Stack.apply(*ts, dim=d, dtype=_promoted(ts))  # type: ignore[no-any-return]


def _at_least(t: Tensor, n: int) -> Tensor:
    s = t._data.shape
    if len(s) >= n:
        return t
    if n == 1:
        return reshape(t, (1,))
    if n == 2:
        return reshape(t, (1, *s) if s else (1, 1))
    return reshape(t, (1, 1, 1) if not s else (1, s[0], 1) if len(s) == 1 else (*s, 1))


@register(method=False)
def hstack(tensors: Sequence[Tensor], *, out: Any = None) -> Tensor:
    """Concatenate column-wise (along dim 0 for 1-D inputs, else dim 1), as ``torch.hstack``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.hstack([rt.tensor([1, 2]), rt.tensor([3])])
    tensor([1, 2, 3])
    """
    ts = [_at_least(t, 1) for t in _tensor_list("hstack", tensors)]
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1, out=out)


@register(method=False)
def vstack(tensors: Sequence[Tensor], *, out: Any = None) -> Tensor:
    """Concatenate row-wise after making inputs at least 2-D, as ``torch.vstack``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.vstack([rt.tensor([1, 2]), rt.tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])
    """
    return cat([_at_least(t, 2) for t in _tensor_list("vstack", tensors)], 0, out=out)


@register(method=False)
def dstack(tensors: Sequence[Tensor], *, out: Any = None) -> Tensor:
    """Concatenate depth-wise (dim 2) after making inputs at least 3-D, as ``torch.dstack``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.dstack([rt.tensor([1, 2]), rt.tensor([3, 4])]).shape
    rustytorch.Size([1, 2, 2])
    """
    return cat([_at_least(t, 3) for t in _tensor_list("dstack", tensors)], 2, out=out)


@register(method=False)
def column_stack(tensors: Sequence[Tensor], *, out: Any = None) -> Tensor:
    """Stack 0-d/1-D tensors as columns (others as they are) along dim 1, as ``torch.column_stack``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.column_stack([rt.tensor([1, 2]), rt.tensor([3, 4])])
    tensor([[1, 3],
            [2, 4]])
    """
    ts = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in _tensor_list("column_stack", tensors)]
    return cat(ts, 1, out=out)


# ------------------------------------------------------------------------ pad
class ConstantPadNd(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, pads: tuple[tuple[int, int], ...], value: Any) -> np.ndarray:
        if ctx is not None:
            ctx.pads = pads
        a = x._data
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pads, strict=True))
        out = np.full(shape, value, dtype=a.dtype) if value else np.zeros(shape, dtype=a.dtype)
        src = tuple(slice(max(0, -lo), n - max(0, -hi)) for n, (lo, hi) in zip(a.shape, pads, strict=True))
        dst = tuple(
            slice(max(0, lo), max(0, lo) + max(0, s.stop - s.start)) for s, (lo, _) in zip(src, pads, strict=True)
        )
        out[dst] = a[src]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # crop what was padded (and zero-fill what was cropped)
        return ConstantPadNd.apply(grad, tuple((-lo, -hi) for lo, hi in ctx.pads), 0)  # type: ignore[no-any-return]


class GatherPad(Op):
    """Reflect/replicate/circular padding: a gather of ``x`` along each padded dim by an index array."""

    _name = "PadBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, idxs: tuple[tuple[int, np.ndarray], ...]) -> np.ndarray:
        if ctx is not None:
            ctx.idxs = idxs
        a = x._data
        for d, idx in idxs:
            a = np.take(a, idx, axis=d)
        return a

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # scatter-add the gradient back to the gathered positions
        return ScatterPad.apply(grad, ctx._in_meta[0][0], ctx.idxs)  # type: ignore[no-any-return]


class ScatterPad(Op):
    """The adjoint of ``GatherPad``: sums the gradient of every copy of an element."""

    _name = "PadBackwardBackward0"

    @staticmethod
    def forward(ctx: Any, g: Tensor, shape: tuple[int, ...], idxs: tuple[tuple[int, np.ndarray], ...]) -> np.ndarray:
        if ctx is not None:
            ctx.idxs = idxs
        a = g._data
        for d, idx in reversed(idxs):
            out = np.zeros((*a.shape[:d], shape[d], *a.shape[d + 1 :]), dtype=a.dtype)
            np.add.at(out, (*(slice(None),) * d, idx), a)
            a = out
        return a

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the adjoint of the scatter is the gather
        return GatherPad.apply(grad, ctx.idxs)  # type: ignore[no-any-return]


def _gather_index(mode: str, n: int, lo: int, hi: int, dim: int, shape: tuple[int, ...]) -> np.ndarray:
    """Input positions of the padded dim's outputs. As torch: reflect/replicate index the original input
    (negative pads crop the result), circular wraps around the cropped input."""
    if n == 0:
        raise RuntimeError(f"pad: {mode} padding of an empty dimension {dim} of input {list(shape)}")
    if mode == "reflect" and (lo >= n or hi >= n):
        raise RuntimeError(
            f"pad: Padding size should be less than the corresponding input dimension, but got: padding ({lo}, {hi}) "
            f"at dimension {dim} of input {list(shape)}"
        )
    if mode == "circular":
        if lo > n or hi > n:
            raise RuntimeError("pad: Padding value causes wrapping around more than once.")
        start = max(0, -lo)
        m = n - start - max(0, -hi)
        if m <= 0:
            raise RuntimeError(
                f"pad: circular padding ({lo}, {hi}) crops all of dimension {dim} of input {list(shape)}"
            )
        return np.arange(-max(lo, 0), m + max(hi, 0)) % m + start  # type: ignore[no-any-return]
    p = np.arange(-lo, n + hi)
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p >= n, 2 * (n - 1) - p, p)  # type: ignore[no-any-return]
    return np.clip(p, 0, n - 1)


@register(name="nn.functional.pad", method=False)
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative sizes, crop) the last ``len(pad) // 2`` dims, as ``torch.nn.functional.pad``.

    ``pad`` lists ``(left, right)`` pairs starting from the last dim. ``mode`` is ``"constant"``
    (filled with ``value``, default 0), ``"reflect"``, ``"replicate"`` or ``"circular"``; the last
    three pad the last 1-3 dims of a 2-5 dim input, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> from rustytorch.ops.join import pad
    >>> pad(rt.tensor([[1, 2]]), (1, 2))
    tensor([[0, 1, 2, 0, 0]])
    >>> pad(rt.tensor([[1., 2., 3.]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    >>> pad(rt.tensor([1, 2, 3]), (-1, 0))
    tensor([2, 3])
    """
    if isinstance(pad, Tensor) or not isinstance(pad, Sequence):
        raise TypeError(f"pad(): argument 'pad' must be tuple of ints, not {type(pad).__name__}")
    for p in pad:
        if isinstance(p, bool) or not isinstance(p, int | np.integer):
            raise TypeError(f"pad(): argument 'pad' must be tuple of ints, but got {type(p).__name__}")
    pads = [int(p) for p in pad]
    shape = input._data.shape
    nd = len(shape)
    if len(pads) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {len(pads)}")
    k = len(pads) // 2
    if k > nd:
        raise RuntimeError(
            f"pad: Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pads)} and input of dimension {nd}"
        )
    per_dim = [(0, 0)] * nd
    for i in range(k):
        per_dim[nd - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    if mode == "constant":
        for d, ((lo, hi), n) in enumerate(zip(per_dim, shape, strict=True)):
            if n + lo + hi < 0:
                raise RuntimeError(
                    f"pad: The input size {n}, plus negative padding {lo} and {hi} resulted in a negative output "
                    f"size, which is invalid. Check dimension {d} of your input."
                )
        return ConstantPadNd.apply(input, tuple(per_dim), 0 if value is None else value)  # type: ignore[no-any-return]
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    if not (k in (1, 2, 3) and k + 1 <= nd <= k + 2):
        raise NotImplementedError(
            f"pad: Padding size {len(pads)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    if mode != "circular" and input._data.dtype == np.bool_:
        raise NotImplementedError(f"pad: {mode} padding is not implemented for 'Bool' (as torch)")
    idxs = tuple(
        (d, _gather_index(mode, shape[d], *per_dim[d], d, shape)) for d in range(nd - k, nd) if per_dim[d] != (0, 0)
    )
    return GatherPad.apply(input, idxs)  # type: ignore[no-any-return]
