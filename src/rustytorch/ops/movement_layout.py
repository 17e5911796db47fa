"""Layout helpers of the view ops: shape parsing, torch's view/expand stride rules, strided arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor


def parse_shape(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)`` all mean shape (2, 3)."""
    if len(args) == 1 and not isinstance(args[0], int | np.integer):
        a = args[0]
        if isinstance(a, Tensor):
            return tuple(int(v) for v in a.tolist()) if a.ndim else (int(a.item()),)
        args = tuple(a)
    try:
        return tuple(int(s.__index__()) for s in args)
    except (AttributeError, TypeError):
        raise TypeError(f"shape must be a sequence of ints, got {args!r}") from None


def infer_shape(op: str, shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape; RuntimeError as torch when the sizes disagree."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = (*shape[: neg[0]], numel // known, *shape[neg[0] + 1 :])
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def torch_view_strides(
    shape: tuple[int, ...], strides: tuple[int, ...], new: tuple[int, ...]
) -> tuple[int, ...] | None:
    """torch's ``computeStride``: the element strides of ``new`` viewing a tensor of ``shape``/``strides``, or None
    when no view is possible."""
    if not shape:
        return (1,) * len(new)
    numel = 1
    for n in shape:
        numel *= n
    if numel == 0:
        if shape == new:
            return strides
        out = [1] * len(new)
        for d in range(len(new) - 2, -1, -1):
            out[d] = max(new[d + 1], 1) * out[d + 1]
        return tuple(out)
    res = [0] * len(new)
    view_d = len(new) - 1
    base = strides[-1]
    t_numel = v_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        t_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != t_numel * base):
            while view_d >= 0 and (v_numel < t_numel or new[view_d] == 1):
                res[view_d] = v_numel * base
                v_numel *= new[view_d]
                view_d -= 1
            if v_numel != t_numel:
                return None
            if d > 0:
                base = strides[d - 1]
                t_numel = v_numel = 1
    if view_d != -1:
        return None
    return tuple(res)


def view_array(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``a`` viewed with ``shape`` (sizes already checked) with torch's strides, or None when it needs a copy."""
    try:
        v = a.reshape(shape, copy=False)
    except ValueError:
        return None
    if 1 in shape or 0 in shape:  # NumPy and torch may pick different strides for size-1 dims
        item = a.itemsize
        st = torch_view_strides(a.shape, tuple(s // item for s in a.strides), shape)
        if st is None:
            return None
        v = restride(v, shape, st)
    return v


def strided_array(
    a: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...], writeable: bool = True
) -> np.ndarray:
    """A view of ``a``'s memory from its first element with ``shape`` and byte ``strides`` (all in bounds)."""
    if a.flags.c_contiguous:
        try:
            r = np.ndarray(shape, a.dtype, a, 0, strides)
        except (TypeError, ValueError, BufferError):
            pass
        else:
            if not (writeable and a.flags.writeable):
                r.flags.writeable = False
            return r
    return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable and a.flags.writeable)


def expand_strides(a: np.ndarray, shape: tuple[int, ...]) -> tuple[int, ...]:
    """torch's ``inferExpandGeometry`` strides (bytes): expanded dims get 0, new size-1 dims a contiguous stride."""
    lead = len(shape) - a.ndim
    st = [0] * len(shape)
    for i in range(len(shape) - 1, -1, -1):
        d = i - lead
        if d >= 0:
            st[i] = a.strides[d] if a.shape[d] == shape[i] else 0
        elif shape[i] == 1:
            st[i] = shape[i + 1] * st[i + 1] if i + 1 < len(shape) else a.itemsize
    return tuple(st)


_new = object.__new__


def _view_of(base: Tensor, data: np.ndarray) -> Tensor:
    """Inline ``_make_view`` for the hot no-grad path of transpose/t/reshape."""
    t = _new(Tensor)
    t._data = data
    s = base._storage
    t._storage = s if s is not None else base._get_storage()
    b = base._base
    t._base = b if b is not None else base
    t._requires_grad = False
    t._grad_fn = None
    t._output_nr = 0
    return t


def wrap_dim(dim: Any, ndim: int, op: str) -> int:
    """Normalise a possibly negative dim (0-d tensors take dims 0 and -1, as torch); IndexError naming the range."""
    if dim.__class__ is not int:
        if isinstance(dim, bool) or not hasattr(dim, "__index__"):
            raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
        dim = dim.__index__()
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def restride(a: np.ndarray, shape: tuple[int, ...], strides_el: tuple[int, ...]) -> np.ndarray:
    """A view of ``a``'s memory (from its first element) with ``shape`` and element ``strides``."""
    item = a.itemsize
    st = tuple(s * item for s in strides_el)
    if a.shape == shape and a.strides == st:
        return a
    return strided_array(a, shape, st)


class _Interface:
    __slots__ = ("__array_interface__", "base")
    __array_interface__: dict[str, Any]
    base: Any


def at_offset(a: np.ndarray, byte_offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """A view of ``a``'s memory starting ``byte_offset`` bytes after its first element (byte ``strides``).

    Unlike slicing, this keeps torch's storage offset for empty views (NumPy does not move the
    data pointer of an empty slice); the caller guarantees the elements are in bounds.
    """
    o = _Interface()
    o.__array_interface__ = {
        "data": (a.__array_interface__["data"][0] + byte_offset, not a.flags.writeable),
        "shape": shape,
        "strides": strides,
        "typestr": a.dtype.str,
        "version": 3,
    }
    o.base = a
    r = np.asarray(o)
    return r if r.dtype == a.dtype else r.view(a.dtype)


def _dim_list(op: str, dims: Any, ndim: int) -> tuple[int, ...]:
    """Wrap a sequence of dims; RuntimeError when one appears twice, as torch."""
    out = tuple(wrap_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        dup = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"{op}(): dim {dup} appears multiple times in the list of dims")
    return out
