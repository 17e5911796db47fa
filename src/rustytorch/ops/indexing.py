"""Indexing: ``Tensor.__getitem__`` / ``__setitem__`` and ``index_put``.

Keys are applied as torch does: first the *basic* part (ints select, slices, ``None``,
``...``), which gives a view sharing the storage; then, when the key holds advanced items
(integer tensors/lists, bool masks, Python bools), the *advanced* part on that view with
NumPy's placement rules (adjacent advanced indices stay in place, separated ones go
first), which gives a copy. Ints are never advanced indices here (torch, unlike NumPy,
selects them first: ``x[0, :, [0, 1]]`` of a ``(2, 3, 4)`` tensor has shape ``(3, 2)``).

A parsed key is ``(basic, adv)``: ``basic`` a NumPy basic key ending in ``...`` and
``adv`` None or a tuple of int arrays / ``slice(None)`` for the basic view.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from .._dtype import _FROM_NP
from .._storage import data_ptr
from .._tensor import Tensor, _make
from ..autograd.grad_mode import GRAD_ENABLED
from ..autograd.node import user_location
from ._registry import Op, ViewOp, inplace, register

__all__ = ["index_put"]

_new = object.__new__
_ndarray = np.ndarray
_ALL = slice(None)
_ZERO1 = np.zeros(1, dtype=np.int64)
_EMPTY = np.zeros(0, dtype=np.int64)
Key = tuple[tuple[Any, ...], "tuple[Any, ...] | None"]


# ---------------------------------------------------------------------------- key parsing
def _seq_as_tuple(key: list[Any]) -> bool:
    """torch's (NumPy's legacy) rule: a short list holding a tensor, sequence, slice, ``...`` or None is a tuple."""
    if len(key) >= 32:
        return False
    return any(isinstance(k, Tensor | list | tuple | slice | np.ndarray) or k is None or k is Ellipsis for k in key)


def _check_step(s: slice) -> None:
    step = s.step
    if step is not None:
        step = operator.index(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")


_I64, _I32 = np.dtype(np.int64), np.dtype(np.int32)


def _index_array(k: Any) -> np.ndarray:
    """A sequence / ndarray / tensor index as an ndarray (bool mask or integer array)."""
    if isinstance(k, Tensor):
        a = k._data
        if a.dtype.kind in "iu" and a.dtype not in (_I64, _I32, np.uint8):  # as torch: int8/16, uint16+ refused
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    else:
        try:
            a = np.asarray(k)
        except ValueError:
            raise IndexError(f"could not convert the index {k!r} to a tensor") from None
        if a.dtype.kind == "f" and a.size == 0:
            a = a.astype(np.int64)
    kind = a.dtype.kind
    if kind == "u" and a.dtype.itemsize == 1:
        warnings.warn(
            "indexing with dtype rustytorch.uint8 is now deprecated, please use a dtype rustytorch.bool instead.",
            UserWarning,
            stacklevel=4,
        )
        return a.astype(np.bool_)
    if kind not in "biu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a


def parse_key(shape: tuple[int, ...], key: Any) -> Key:
    """Split ``key`` into the basic key of a view and the advanced key applied to that view (see module doc)."""
    if not isinstance(key, tuple):
        if isinstance(key, list) and _seq_as_tuple(key):
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated; use x[tuple(seq)] instead "
                "of x[seq].",
                UserWarning,
                stacklevel=3,
            )
            key = tuple(key)
        else:
            key = (key,)
    ndim = len(shape)
    items: list[tuple[str, Any]] = []
    consumed = 0
    n_ell = 0
    has_int = False
    for k in key:
        c = k.__class__
        if c is int:
            items.append(("i", k))
            consumed += 1
            has_int = True
        elif c is slice:
            _check_step(k)
            items.append(("s", k))
            consumed += 1
        elif k is None:
            items.append(("n", None))
        elif k is Ellipsis:
            n_ell += 1
            if n_ell > 1:
                raise IndexError("an index can only have a single ellipsis ('...')")
            items.append(("e", None))
        elif c is bool or c is np.bool_:
            items.append(("b", bool(k)))
        elif isinstance(k, Tensor | list | tuple | np.ndarray):
            a = _index_array(k)
            if a.dtype.kind == "b":
                if a.ndim == 0:
                    items.append(("b", bool(a)))
                else:
                    items.append(("m", a))
                    consumed += a.ndim
            elif a.ndim == 0:  # a 0-d integer tensor acts as an int, as torch
                items.append(("i", int(a)))
                consumed += 1
                has_int = True
            else:
                items.append(("a", a))
                consumed += 1
        elif isinstance(k, float | complex):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                f"(got {type(k).__name__})"
            )
        else:
            try:
                items.append(("i", operator.index(k)))
            except TypeError:
                raise TypeError(
                    f"only integers, slices, ellipsis, None, tensors and sequences of integers or bools are valid "
                    f"indices (got {type(k).__name__})"
                ) from None
            consumed += 1
            has_int = True
    if consumed > ndim:
        if ndim == 0 and has_int:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                "convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic: list[Any] = []
    adv: list[Any] = []
    any_adv = False
    dim = 0
    for kind, v in items:
        if kind == "i":
            n = shape[dim]
            if not -n <= v < n:
                raise IndexError(f"index {v} is out of bounds for dimension {dim} with size {n}")
            basic.append(v)
            dim += 1
        elif kind == "s":
            basic.append(v)
            adv.append(_ALL)
            dim += 1
        elif kind == "n":
            basic.append(None)
            adv.append(_ALL)
        elif kind == "e":
            rest = ndim - consumed
            basic.extend([_ALL] * rest)
            adv.extend([_ALL] * rest)
            dim += rest
        elif kind == "b":  # torch: unsqueeze, then index the new dim with [0] (True) or [] (False)
            basic.append(None)
            adv.append(_ZERO1 if v else _EMPTY)
            any_adv = True
        elif kind == "a":
            basic.append(_ALL)
            adv.append(v)
            dim += 1
            any_adv = True
        else:  # mask
            m = v.ndim
            if v.shape != shape[dim : dim + m]:
                raise IndexError(
                    f"The shape of the mask {list(v.shape)} at index {dim} does not match the shape of the indexed "
                    f"tensor {list(shape)} at index {dim}"
                )
            basic.extend([_ALL] * m)
            adv.extend(np.nonzero(v))
            dim += m
            any_adv = True
    basic.append(Ellipsis)
    if not any_adv:
        return tuple(basic), None
    while adv[-1] is _ALL:
        adv.pop()
    _check_adv(adv, shape)
    return tuple(basic), tuple(adv)


def _check_adv(adv: list[Any], shape: tuple[int, ...]) -> None:
    arrays = [a for a in adv if a is not _ALL]
    if len(arrays) > 1:
        try:
            np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            shapes = ", ".join(str(list(a.shape)) for a in arrays)
            raise IndexError(
                f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}"
            ) from None


def _get(a: np.ndarray, key: Key) -> np.ndarray:
    basic, adv = key
    v = a[basic]
    if adv is None:
        return v
    try:
        return v[adv]  # type: ignore[no-any-return]
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


# ---------------------------------------------------------------------------- ops
class BasicIndex(ViewOp):
    """``x[basic key]``: a view."""

    _name = "SliceBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, basic: tuple[Any, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.key = (basic, None)
        return x._data[basic]  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d x[k] = scatter of grad into zeros at k
        z = _make(np.zeros(ctx._in_meta[0][0], dtype=grad._data.dtype))
        return IndexPut.apply(z, grad, key=ctx.key, accumulate=False)  # type: ignore[no-any-return]


class Index(Op):
    """``x[key]`` with advanced items: a copy."""

    _name = "IndexBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, key: Key) -> np.ndarray:
        if ctx is not None:
            ctx.key = key
        return _get(x._data, key)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d x[idx] = grad accumulated into zeros at idx (duplicates add)
        z = _make(np.zeros(ctx._in_meta[0][0], dtype=grad._data.dtype))
        return IndexPut.apply(z, grad, key=ctx.key, accumulate=True)  # type: ignore[no-any-return]


def index_with_key(t: Tensor, key: Key) -> Tensor:
    """``t[key]`` for a parsed key (a view for basic keys)."""
    if key[1] is None:
        return BasicIndex.apply(t, key[0])  # type: ignore[no-any-return]
    return Index.apply(t, key)  # type: ignore[no-any-return]


class IndexPut(Op):
    """A copy of ``x`` with ``values`` written (or added, ``accumulate``) at ``key``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, values: Any, key: Key, accumulate: bool) -> np.ndarray:
        out = x._data.copy()
        v = values._data if isinstance(values, Tensor) else values
        if v.__class__ is _ndarray and v.dtype != out.dtype:
            v = v.astype(out.dtype)
        basic, adv = key
        tgt = out[basic]
        try:
            if adv is None:
                if accumulate:
                    tgt += v
                else:
                    tgt[...] = v
            elif accumulate:
                np.add.at(tgt, adv, v)
            else:
                tgt[adv] = v
        except ValueError:
            raise _value_shape_error(v, _get(x._data, key).shape) from None
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        if ctx is not None:
            ctx.key = key
            ctx.accumulate = accumulate
            ctx.vndim = np.ndim(v)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # d put(x, k, v) = grad with zeros at k (or grad itself when accumulating) for x; grad[k] for v
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = grad if ctx.accumulate else IndexPut.apply(grad, 0.0, key=ctx.key, accumulate=False)
        if ctx.needs_input_grad[1]:
            gv = index_with_key(grad, ctx.key)
            extra = ctx.vndim - gv.ndim
            if extra > 0:  # values with leading size-1 dims beyond the indexed shape (torch strips them)
                gv = gv.reshape((1,) * extra + tuple(gv.shape))
        return gx, gv


def _value_shape_error(v: Any, shape: tuple[int, ...]) -> RuntimeError:
    return RuntimeError(
        f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to indexing result of shape "
        f"{list(shape)}"
    )


# ---------------------------------------------------------------------------- __getitem__
def _getitem(self: Tensor, key: Any) -> Tensor:
    """``self[key]``: a view for ints, slices (step > 0), ``None`` and ``...``; a copy with advanced items."""
    if not self._requires_grad:  # fast paths: an int, a slice, or a tuple of them, outside the graph
        c = key.__class__
        a = self._data
        r = None
        if c is int:
            if a.ndim and -a.shape[0] <= key < a.shape[0]:
                r = a[key, ...]
        elif c is slice:
            st = key.step
            if a.ndim and (st is None or (st.__class__ is int and st > 0)):
                r = a[key]
        elif c is Tensor:  # an integer tensor: NumPy's advanced indexing, a copy
            ix = key._data
            if ix.ndim and a.ndim and (ix.dtype is _I64 or ix.dtype is _I32):
                try:
                    return _make(a[ix])
                except IndexError as e:
                    raise IndexError(str(e).replace("axis", "dimension")) from None
        elif c is tuple and len(key) <= a.ndim:
            shape = a.shape
            for i, k in enumerate(key):
                kc = k.__class__
                if kc is int:
                    if not -shape[i] <= k < shape[i]:
                        break
                elif kc is slice:
                    st = k.step
                    if st is not None and (st.__class__ is not int or st <= 0):
                        break
                else:
                    break
            else:
                full = (*key, Ellipsis)
                r = a[full]
        if r is not None:
            t = _new(Tensor)
            t._data = r
            s = self._storage
            t._storage = s if s is not None else self._get_storage()
            b = self._base
            t._base = self if b is None else b
            t._requires_grad = False
            t._grad_fn = None
            t._output_nr = 0
            return t
    else:
        c = key.__class__
        n = self._data.shape[0] if self._data.ndim else 0
        if (c is int and -n <= key < n) or (
            c is slice and n and (key.step is None or (key.step.__class__ is int and key.step > 0))
        ):
            return BasicIndex.apply(self, (key, Ellipsis))  # type: ignore[no-any-return]
    return index_with_key(self, parse_key(self._data.shape, key))


Tensor.__getitem__ = _getitem  # type: ignore[method-assign,assignment]


# ---------------------------------------------------------------------------- __setitem__
_INT_INFO: dict[Any, tuple[int, int]] = {}


def scalar_value(value: Any, dt: np.dtype[Any]) -> Any:
    """A Python/NumPy scalar checked as torch does (ints must fit an integer destination)."""
    if value.__class__ is float or value.__class__ is int:
        if dt.kind in "iu":
            lo_hi = _INT_INFO.get(dt)
            if lo_hi is None:
                info = np.iinfo(dt)
                lo_hi = _INT_INFO[dt] = (int(info.min), int(info.max))
            if (value.__class__ is float and not np.isfinite(value)) or not lo_hi[0] <= value <= lo_hi[1]:
                raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
            return int(value)
        return value
    if isinstance(value, bool | np.bool_ | np.number):
        return value
    raise TypeError(f"can't assign a {type(value).__name__} to a rustytorch.{_FROM_NP[dt].name} tensor")


def _writable(t: Tensor) -> np.ndarray:
    """``t._data`` made writable: an expanded (read-only NumPy) view rebuilt over the storage's buffer."""
    a = t._data
    if a.flags.writeable:
        return a
    buf = t._get_storage()._buf
    if not buf.flags.writeable:
        raise RuntimeError("__setitem__: the tensor's memory is read-only")
    off = t.storage_offset()
    base = buf[off:] if a.size else buf[:0]
    return np.lib.stride_tricks.as_strided(base, shape=a.shape, strides=a.strides)


def _check_overlap(dst: np.ndarray, src: np.ndarray) -> None:
    """torch's partial-overlap check (contiguous operands): writing a tensor into memory it partly shares."""
    if (
        np.may_share_memory(dst, src)
        and dst.flags.c_contiguous
        and src.flags.c_contiguous
        and not (dst.shape == src.shape and data_ptr(dst) == data_ptr(src))
    ):
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    """``self[key] = value``: value broadcast and cast to ``self.dtype``, written through views."""
    vt = isinstance(value, Tensor)
    dst = self._data
    if (self._requires_grad or (vt and value._requires_grad)) and GRAD_ENABLED.get():
        pk = parse_key(dst.shape, key)
        v = value if vt else scalar_value(value, dst.dtype)
        inplace(self, "__setitem__", lambda t, val: IndexPut.apply(t, val, key=pk, accumulate=False), v)
        return
    v = value._data if vt else scalar_value(value, dst.dtype)
    c = key.__class__
    if c is int and dst.ndim and -dst.shape[0] <= key < dst.shape[0]:
        k: Key = ((key, Ellipsis), None)
    elif c is slice and dst.ndim and (key.step is None or (key.step.__class__ is int and key.step > 0)):
        k = ((key, Ellipsis), None)
    else:
        k = parse_key(dst.shape, key)
    basic, adv = k
    view = dst[basic] if dst.flags.writeable else _writable(self)[basic]
    try:
        if adv is None:
            if 0 in view.strides and view.size:
                _check_internal_overlap(view)
            if vt:
                _check_overlap(view, v)
            view[...] = v
        else:
            if vt:
                _check_overlap(dst, v)
            view[adv] = v
    except ValueError:
        raise _value_shape_error(v, _get(dst, k).shape) from None
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None
    s = self._storage
    if s is None:
        s = self._get_storage()
    s.version += 1
    s.last_write = ("__setitem__", user_location())


def _check_internal_overlap(view: np.ndarray) -> None:
    for n, s in zip(view.shape, view.strides, strict=True):
        if s == 0 and n > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to a single "
                "memory location. Please clone() the tensor before performing the operation."
            )


Tensor.__setitem__ = _setitem  # type: ignore[method-assign,assignment]


# ---------------------------------------------------------------------------- index_put
def _put_key(op: str, input: Tensor, indices: Any) -> Key:
    if not isinstance(indices, tuple | list):
        raise TypeError(f"{op}(): argument 'indices' must be a tuple of Tensors, not {type(indices).__name__}")
    for i in indices:
        if i is not None and not isinstance(i, Tensor):
            raise TypeError(f"{op}(): argument 'indices' must be a tuple of Tensors, not {type(i).__name__} items")
    if len(indices) > input._data.ndim:
        raise IndexError(f"{op}(): too many indices for tensor of dimension {input._data.ndim} (got {len(indices)})")
    return parse_key(input._data.shape, tuple(_ALL if i is None else i for i in indices))


def _check_values(op: str, input: Tensor, values: Any) -> None:
    if not isinstance(values, Tensor):
        raise TypeError(f"{op}(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): Index put requires the source and destination dtypes match, got {input.dtype!r} for the "
            f"destination and {values.dtype!r} for the source."
        )


@register
def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` put at ``input[indices]``, as ``torch.index_put``.

    ``indices`` is a tuple of index tensors (integer or bool); ``values`` broadcasts to
    the indexed shape and must have ``input``'s dtype. With ``accumulate=True``, values
    are added and duplicate indices accumulate.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(4)
    >>> rt.index_put(x, (rt.tensor([0, 2, 0]),), rt.tensor([1.0, 2.0, 3.0]), accumulate=True)
    tensor([4., 0., 2., 0.])
    """
    k = _put_key("index_put", input, indices)
    _check_values("index_put", input, values)
    return IndexPut.apply(input, values, key=k, accumulate=bool(accumulate))  # type: ignore[no-any-return]


def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place :func:`index_put`, as ``torch.Tensor.index_put_``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(3); _ = x.index_put_((rt.tensor([1]),), rt.tensor(5.0)); x
    tensor([0., 5., 0.])
    """
    k = _put_key("index_put_", self, indices)
    _check_values("index_put_", self, values)
    acc = bool(accumulate)
    return inplace(self, "index_put_", lambda t, v: IndexPut.apply(t, v, key=k, accumulate=acc), values)


Tensor.index_put_ = index_put_  # type: ignore[attr-defined]
