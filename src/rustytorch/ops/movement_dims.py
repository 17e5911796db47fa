"""Views along dims: movedim, the T/mT/H properties, narrow, select, unbind, split, chunk, tensor_split, unflatten.

Multi-output views (unbind, split, chunk) are ``MultiViewOp``s: every output is a view
sharing the input's storage, and one node takes the gradients of all of them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np

from .._tensor import Tensor, _make_view
from ..autograd.grad_mode import GRAD_ENABLED
from ._registry import Op, ViewOp, _record, register
from .movement import Permute, _dim_list, at_offset, reshape, transpose, wrap_dim

__all__ = [
    "movedim",
    "moveaxis",
    "adjoint",
    "narrow",
    "select",
    "unbind",
    "split",
    "chunk",
    "tensor_split",
    "unflatten",
]


class MultiViewOp(Op):
    """An op returning a tuple of views of its first input (all sharing its storage).

    torch refuses in-place writes to such outputs when they are in the graph; ``multi_view``
    marks the node for the in-place machinery.
    """

    __slots__ = ()
    is_view = True
    multi_view: ClassVar[bool] = True

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        x = inputs[0]
        if x._requires_grad and GRAD_ENABLED.get():
            outs = _record(cls, inputs, params)
            st = x._get_storage()
            b = x._base if x._base is not None else x
            for o in outs:
                o._storage = st
                o._base = b
            return outs
        return tuple(_make_view(x, o) for o in cls.forward(None, *inputs, **params))


class BasicIndex(ViewOp):
    """``x[index]`` for a basic (slices / ints / Ellipsis) index: a view."""

    _name = "SliceBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, index: tuple[Any, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.index = index
        return slice_view(x._data, index)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the gradient lands on the selected elements, zeros elsewhere
        return EmbedIndex.apply(grad, ctx._in_meta[0][0], ctx.index)  # type: ignore[no-any-return]


class Select(BasicIndex):
    _name = "SelectBackward0"


class EmbedIndex(Op):
    """zeros(shape) with ``out[index] = g``: the adjoint of a basic index."""

    _name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx: Any, g: Tensor, shape: tuple[int, ...], index: tuple[Any, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.index = index
        out = np.zeros(shape, dtype=g._data.dtype)
        out[index] = g._data
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # adjoint of embedding is selecting
        return BasicIndex.apply(grad, ctx.index)  # type: ignore[no-any-return]


def slice_view(a: np.ndarray, index: tuple[Any, ...]) -> np.ndarray:
    """``a[index]`` for slices with explicit starts / ints (then Ellipsis), with torch's offset when empty."""
    r = a[index]
    if r.size == 0:
        off = 0
        for d, ix in enumerate(index):
            if ix is Ellipsis:
                break
            st = ix.start if ix.__class__ is slice else ix
            if st:
                off += st * a.strides[d]
        if off:
            r = at_offset(a, off, r.shape, r.strides)
    return r  # type: ignore[no-any-return]


def _dim_index(dim: int, idx: Any) -> tuple[Any, ...]:
    return (*(slice(None),) * dim, idx, Ellipsis)


@register
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """A view with dims ``source`` moved to positions ``destination`` (ints or sequences), as ``torch.movedim``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3, 4).movedim(0, -1).shape
    rustytorch.Size([3, 4, 2])
    >>> rt.zeros(2, 3, 4).movedim((0, 1), (2, 0)).shape
    rustytorch.Size([3, 4, 2])
    """
    n = input._data.ndim
    src = (source,) if isinstance(source, int | np.integer) else tuple(source)
    dst = (destination,) if isinstance(destination, int | np.integer) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the same number "
            f"of dims as destination ({list(dst)} dims)"
        )
    s = _dim_list("movedim", src, n)
    d = _dim_list("movedim", dst, n)
    if not n:
        return Permute.apply(input, ())  # type: ignore[no-any-return]
    order = [-1] * n
    for a, b in zip(s, d, strict=True):
        order[b] = a
    rest = iter(i for i in range(n) if i not in s)
    perm = tuple(o if o >= 0 else next(rest) for o in order)
    return Permute.apply(input, perm)  # type: ignore[no-any-return]


@register
def moveaxis(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Alias of :func:`movedim`, as ``torch.moveaxis``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3, 4).moveaxis(-1, 0).shape
    rustytorch.Size([4, 2, 3])
    """
    return movedim(input, source, destination)


@register
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (real dtypes: ``transpose(-2, -1)``), as ``torch.adjoint``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(5, 2, 3).adjoint().shape
    rustytorch.Size([5, 3, 2])
    """
    n = input._data.ndim
    if n < 2:
        raise RuntimeError(f"adjoint() is only supported on matrices or batches of matrices. Got {n}-D tensor.")
    return transpose(input, -2, -1)


def _T(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n != 2:
        if n == 0:
            msg = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
        else:
            msg = (
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
                "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor."
            )
        warnings.warn(msg, UserWarning, stacklevel=2)
        return Permute.apply(self, tuple(range(n - 1, -1, -1)))  # type: ignore[no-any-return]
    return transpose(self, 0, 1)


def _mT(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {n}-D tensor.")
    return transpose(self, -2, -1)


def _mH(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {n}-D tensor.")
    return transpose(self, -2, -1)  # real dtypes only: the conjugate is the tensor itself


def _H(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor.")
    return transpose(self, 0, -1) if n else Permute.apply(self, ())  # type: ignore[no-any-return]


setattr(Tensor, "T", property(_T, doc="All dims reversed (a transpose for 2-D tensors), as ``torch.Tensor.T``."))  # noqa: B010
setattr(Tensor, "mT", property(_mT, doc="The last two dims swapped, as ``torch.Tensor.mT``."))  # noqa: B010
setattr(Tensor, "mH", property(_mH, doc="Conjugate transpose of the last two dims (real dtypes: ``mT``)."))  # noqa: B010
setattr(Tensor, "H", property(_H, doc="Conjugate transpose of a matrix (real dtypes: ``T``)."))  # noqa: B010


def _int_arg(op: str, name: str, v: Any) -> int:
    if isinstance(v, Tensor):
        if v._data.ndim or v._data.dtype.kind not in "iu":
            raise TypeError(f"{op}(): argument '{name}' must be an int or a 0-dim integer tensor")
        return int(v._data)
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(v).__name__}")
    return int(v.__index__())


@register
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view of ``length`` elements of ``dim`` from ``start`` (negative counts from the end), as ``torch.narrow``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.arange(12).reshape(3, 4)
    >>> x.narrow(1, 1, 2)
    tensor([[ 1,  2],
            [ 5,  6],
            [ 9, 10]])
    >>> x.narrow(0, -1, 1).storage_offset()
    8
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape), "narrow")
    st = _int_arg("narrow", "start", start)
    ln = _int_arg("narrow", "length", length)
    n = shape[d]
    if not -n <= st <= n:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-n}, {n}], but got {st})")
    if st < 0:
        st += n
    if ln < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if st + ln > n:
        raise RuntimeError(f"narrow(): start ({st}) + length ({ln}) exceeds dimension size ({n}).")
    return BasicIndex.apply(input, _dim_index(d, slice(st, st + ln)))  # type: ignore[no-any-return]


@register
def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The view at ``index`` of dimension ``dim``, which is removed, as ``torch.select``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.arange(6).reshape(2, 3)
    >>> x.select(1, -1)
    tensor([2, 5])
    >>> x.select(0, 1).storage_offset()
    3
    """
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape), "select")
    i = _int_arg("select", "index", index)
    n = shape[d]
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(shape)} at dimension {d}")
    return Select.apply(input, _dim_index(d, i + n if i < 0 else i))  # type: ignore[no-any-return]


class Unbind(MultiViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int) -> tuple[np.ndarray, ...]:
        if ctx is not None:
            ctx.dim = dim
        a = x._data
        pre = (slice(None),) * dim
        return tuple(slice_view(a, (*pre, i, Ellipsis)) for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:  # the pieces' gradients stacked back along dim
        from .join import stack

        if not grads:
            return None  # type: ignore[return-value]
        return stack(grads, ctx.dim)


@register
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The views ``input.select(dim, i)`` for every ``i``, as ``torch.unbind``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1, 2], [3, 4]]).unbind(1)
    (tensor([1, 3]), tensor([2, 4]))
    """
    n = input._data.ndim
    if not n:
        raise IndexError("unbind(): Dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, wrap_dim(dim, n, "unbind"))  # type: ignore[no-any-return]


class Split(MultiViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, bounds: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        if ctx is not None:
            ctx.dim = dim
        a = x._data
        pre = (slice(None),) * dim
        return tuple(slice_view(a, (*pre, slice(bounds[i], bounds[i + 1]), Ellipsis)) for i in range(len(bounds) - 1))

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:  # the pieces' gradients concatenated back along dim
        from .join import cat

        return cat(grads, ctx.dim)


class SplitWithSizes(Split):
    pass


def _bounds(sizes: list[int]) -> tuple[int, ...]:
    out = [0]
    for s in sizes:
        out.append(out[-1] + s)
    return tuple(out)


@register
def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes.

    As ``torch.split``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(5).split(2)
    (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    >>> rt.arange(5).split([1, 4])
    (tensor([0]), tensor([1, 2, 3, 4]))
    """
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, len(shape), "split")
    n = shape[d]
    s = split_size_or_sections
    if isinstance(s, int | np.integer) or (isinstance(s, Tensor) and s.ndim == 0):
        size = _int_arg("split", "split_size", s)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        pieces = max(1, math.ceil(n / size)) if size else 1
        sizes = [min(size, n - i * size) for i in range(pieces)] if size else [0]
        return Split.apply(tensor, d, _bounds(sizes))  # type: ignore[no-any-return]
    sizes = [_int_arg("split", "split_sizes", v) for v in s]
    if any(v < 0 for v in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes}"
        )
    if sum(sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but "
            f"got split_sizes={sizes}"
        )
    return SplitWithSizes.apply(tensor, d, _bounds(sizes))  # type: ignore[no-any-return]


@register
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of ``ceil(size / chunks)`` elements along ``dim``, as ``torch.chunk``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(5).chunk(3)
    (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    >>> len(rt.arange(6).chunk(4))
    3
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    c = _int_arg("chunk", "chunks", chunks)
    if c <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {c}")
    d = wrap_dim(dim, len(shape), "chunk")
    n = shape[d]
    if n == 0:
        return Split.apply(input, d, (0,) * (c + 1))  # type: ignore[no-any-return]
    return split(input, math.ceil(n / c), d)


@register
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views split into ``n`` nearly equal sections, or at the given indices, along ``dim``, as ``torch.tensor_split``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(7).tensor_split(3)
    (tensor([0, 1, 2]), tensor([3, 4]), tensor([5, 6]))
    >>> rt.arange(7).tensor_split([1, 5])
    (tensor([0]), tensor([1, 2, 3, 4]), tensor([5, 6]))
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("tensor_split expects at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, len(shape), "tensor_split")
    n = shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype.kind not in "iu" or ios._data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional "
                f"tensor of integer dtype, but got a tensor with {ios._data.ndim} dims and dtype {ios.dtype!r}"
            )
        ios = int(ios._data) if ios._data.ndim == 0 else [int(v) for v in ios._data]
    if isinstance(ios, int | np.integer):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        starts = [i * q + min(i, r) for i in range(k)] + [n]
    else:
        idx = [_int_arg("tensor_split", "indices", v) for v in ios]
        starts = [0, *idx, n]
    out = []
    for i in range(len(starts) - 1):
        lo = min(max(starts[i] + n if starts[i] < 0 else starts[i], 0), n)
        hi = min(max(starts[i + 1] + n if starts[i + 1] < 0 else starts[i + 1], 0), n)
        out.append(BasicIndex.apply(input, _dim_index(d, slice(lo, max(lo, hi)))))
    return tuple(out)


@register
def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Dimension ``dim`` expanded into ``sizes`` (one may be -1), a view when possible, as ``torch.unflatten``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 6).unflatten(1, (3, -1)).shape
    rustytorch.Size([2, 3, 2])
    """
    shape = input._data.shape
    if not shape:
        raise IndexError("unflatten(): Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, len(shape), "unflatten")
    sz = [_int_arg("unflatten", "sizes", v) for v in sizes]
    if not sz:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d]
    if sz.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    known = 1
    for v in sz:
        if v != -1:
            known *= v
    if -1 in sz:
        if known == 0 or n % known:
            raise RuntimeError(
                f"unflatten: Provided sizes {sz} don't multiply up to the size of dim {d} ({n}) in the input tensor"
            )
        sz[sz.index(-1)] = n // known
    elif known != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {sz} don't multiply up to the size of dim {d} ({n}) in the input tensor"
        )
    return reshape(input, (*shape[:d], *sz, *shape[d + 1 :]))
