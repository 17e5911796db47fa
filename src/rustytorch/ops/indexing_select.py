"""Index along one dim and masks: ``index_select``, ``index_add``, ``index_copy``, ``index_fill`` (+ ``_``),
``masked_fill`` (+ ``_``), ``masked_select``, ``masked_scatter`` (+ ``_``), ``nonzero``, ``argwhere``.

0-d tensors act as 1-element 1-D tensors along ``dim``, as torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make, _wrap_dim
from ._registry import Op, inplace, register
from .indexing import IndexPut, scalar_value
from .indexing_scatter import index_array

__all__ = [
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "nonzero",
    "argwhere",
]


def _key(d: int, idx: np.ndarray) -> tuple[Any, ...]:
    return (slice(None),) * d + (idx,)


def _nd1(a: np.ndarray) -> np.ndarray:
    return a if a.ndim else a.reshape(1)


def _vector(op: str, index: Any, long_only: bool = False) -> np.ndarray:
    idx = index_array(op, index, long_only)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {list(idx.shape)}")
    return idx.reshape(-1)


def _dim_size(op: str, input: Tensor, dim: int) -> tuple[int, int]:
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape), op)
    return d, (shape[d] if shape else 1)


def _out_of_range(op: str, idx: np.ndarray, n: int, d: int, negative_ok: bool) -> None:
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < (-n if negative_ok else 0):
            bad = hi if hi >= n else lo
            raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {n}")


# ------------------------------------------------------------------------------ index_select
class IndexSelect(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int, index: np.ndarray) -> np.ndarray:
        a = x._data
        if ctx is not None:
            ctx.dim = dim
            ctx.index = index
        if a.ndim == 0:
            return a.reshape(1)[index].reshape(())  # type: ignore[no-any-return]
        return np.take(a, index, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d index_select(x, idx) = index_add of grad into zeros at idx
        z = _make(np.zeros(ctx._in_meta[0][0], dtype=grad._data.dtype))
        return IndexAdd.apply(z, grad, dim=ctx.dim, index=ctx.index)  # type: ignore[no-any-return]


@register
def index_select(input: Tensor, dim: int, index: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The entries of ``input`` at the positions ``index`` (a vector) along ``dim``, as ``torch.index_select``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.index_select(rt.tensor([[1, 2], [3, 4], [5, 6]]), 0, rt.tensor([2, 0, 2]))
    tensor([[5, 6],
            [1, 2],
            [5, 6]])
    """
    idx = _vector("index_select", index)
    d, n = _dim_size("index_select", input, dim)
    if input._data.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError(f"index_select(): index out of range in self (index {idx.tolist()}, size {n})")
    r = IndexSelect.apply(input, dim=d, index=idx)
    if out is None:
        return r  # type: ignore[no-any-return]
    from ._pointwise import to_out

    return to_out(out, r, "index_select")


# ------------------------------------------------------------------------------ index_add / index_copy
def _source_checks(op: str, input: Tensor, d: int, idx: np.ndarray, source: Any) -> None:
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): self ({input.dtype!r}) and source ({source.dtype!r}) must have the same scalar type"
        )
    shape = input._data.shape
    sshape = source._data.shape
    if not shape:
        if idx.size != 1 or source._data.size != 1:
            raise RuntimeError(f"{op}(): a 0-d self needs one index and one source element, got {idx.size} indices")
        return
    ns = sshape[d] if len(sshape) > d else (1 if not sshape else -1)
    if idx.size != ns:
        raise RuntimeError(
            f"{op}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({ns}), for dim: {d}"
        )
    if len(sshape) != len(shape) or any(a != b for k, (a, b) in enumerate(zip(shape, sshape, strict=True)) if k != d):
        raise RuntimeError(
            f"{op}(): source tensor shape must match self tensor shape, excluding the specified dimension. Got "
            f"self.shape = {list(shape)} source.shape = {list(sshape)}"
        )


class IndexAdd(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, source: Tensor, dim: int, index: np.ndarray, alpha: Any = 1) -> np.ndarray:
        out = x._data.copy()
        s = source._data
        if alpha != 1:
            s = s * (alpha if out.dtype.kind in "fV" else int(alpha))
            s = s.astype(out.dtype, copy=False)
        o = _nd1(out)
        np.add.at(o, _key(dim, index), s if out.ndim else s.reshape(1))
        if ctx is not None:
            ctx.dim = dim
            ctx.index = index
            ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d index_add(x, idx, s) = (grad, alpha grad[idx])
        gs = None
        if ctx.needs_input_grad[1]:
            gs = IndexSelect.apply(grad, dim=ctx.dim, index=ctx.index)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return grad, gs


@register
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim`` (duplicates add), as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.index_add(rt.zeros(3, 2), 0, rt.tensor([0, 2, 0]), rt.ones(3, 2), alpha=2)
    tensor([[4., 4.],
            [0., 0.],
            [2., 2.]])
    """
    idx = _vector("index_add", index)
    d, n = _dim_size("index_add", input, dim)
    _source_checks("index_add", input, d, idx, source)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n:
            raise RuntimeError(f"index_add(): index {hi} is out of bounds for dimension {d} with size {n}")
        if lo < 0:
            raise IndexError(f"index_add(): index out of range in self (index {lo}, size {n})")
    return IndexAdd.apply(input, source, dim=d, index=idx, alpha=alpha)  # type: ignore[no-any-return]


class IndexCopy(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, source: Tensor, dim: int, index: np.ndarray) -> np.ndarray:
        out = x._data.copy()
        s = source._data
        _nd1(out)[_key(dim, index)] = s if out.ndim else s.reshape(1)
        if ctx is not None:
            ctx.dim = dim
            ctx.index = index
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # d index_copy = (grad zeroed at idx, grad[idx])
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = IndexFill.apply(grad, 0.0, dim=ctx.dim, index=ctx.index)
        if ctx.needs_input_grad[1]:
            gs = IndexSelect.apply(grad, dim=ctx.dim, index=ctx.index)
        return gx, gs


@register
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at ``index`` along ``dim``, as ``torch.index_copy``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.index_copy(rt.zeros(3, 2), 0, rt.tensor([2, 0]), rt.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[3., 4.],
            [0., 0.],
            [1., 2.]])
    """
    idx = _vector("index_copy", index, long_only=True)
    d, n = _dim_size("index_copy", input, dim)
    _source_checks("index_copy", input, d, idx, source)
    _out_of_range("index_copy", idx, n, d, negative_ok=False)
    return IndexCopy.apply(input, source, dim=d, index=idx)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ index_fill
class IndexFill(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, value: Any, dim: int, index: np.ndarray) -> np.ndarray:
        out = x._data.copy()
        _nd1(out)[_key(dim, index)] = value._data if isinstance(value, Tensor) else value
        if ctx is not None:
            ctx.dim = dim
            ctx.index = index
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # d index_fill(x, idx, v) = grad zeroed at idx for x; the sum of grad over the filled entries for v
        gx = IndexFill.apply(grad, 0.0, dim=ctx.dim, index=ctx.index)
        gv = (grad - gx).sum() if ctx.needs_input_grad[1] else None
        return gx, gv


def _fill_value(op: str, input: Tensor, value: Any) -> Any:
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s)."
            )
        return value
    return scalar_value(value, input._data.dtype)


@register
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the entries at ``index`` along ``dim`` set to ``value``, as ``torch.index_fill``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.index_fill(rt.zeros(2, 3), 1, rt.tensor([0, 2]), -1.0)
    tensor([[-1.,  0., -1.],
            [-1.,  0., -1.]])
    """
    if not isinstance(index, Tensor) or index._data.dtype != np.int64:
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise IndexError(f"index_fill_(): Expected dtype int64 for index, got {got!r}.")
    if index._data.ndim > 1:
        raise RuntimeError(f"index_fill(): Index has to be a vector/scalar, got shape {list(index.shape)}")
    idx = index._data.reshape(-1)
    d, n = _dim_size("index_fill", input, dim)
    _out_of_range("index_fill", idx, n, d, negative_ok=True)
    v = _fill_value("index_fill_", input, value)
    return IndexFill.apply(input, v, dim=d, index=idx)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ masks
def _mask(op: str, mask: Any) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    m = mask._data
    if m.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {mask.dtype!r}")
    return m


def _broadcast(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        pa = (1,) * (n - len(a)) + a
        pb = (1,) * (n - len(b)) + b
        k = next(i for i in range(n) if pa[i] != pb[i] and 1 not in (pa[i], pb[i]))
        raise RuntimeError(
            f"{op}: The size of tensor a ({pa[k]}) must match the size of tensor b ({pb[k]}) at non-singleton "
            f"dimension {k} (shapes {list(a)} and {list(b)})"
        ) from None


class MaskedFill(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, value: Any, mask: np.ndarray) -> np.ndarray:
        a = x._data
        v = value._data if isinstance(value, Tensor) else value
        if ctx is not None:
            ctx.mask = mask
        return np.where(mask, np.asarray(v).astype(a.dtype), a)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # d masked_fill(x, m, v) = grad zeroed where m for x; the sum of grad where m for v
        gx = MaskedFill.apply(grad, 0.0, mask=ctx.mask) if ctx.needs_input_grad[0] else None
        gv = MaskedFill.apply(grad, 0.0, mask=~ctx.mask).sum() if ctx.needs_input_grad[1] else None
        return gx, gv


@register
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` where the bool ``mask`` (broadcast) is True, as ``torch.masked_fill``.

    ``value`` is a number or a 0-d tensor (differentiable); it is cast to ``input.dtype``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([1.0, -2.0, 3.0])
    >>> rt.masked_fill(x, x < 0, 0.0)
    tensor([1., 0., 3.])
    """
    m = _mask("masked_fill_", mask)
    _broadcast("masked_fill", input._data.shape, m.shape)
    v = _fill_value("masked_fill_", input, value)
    return MaskedFill.apply(input, v, mask=m)  # type: ignore[no-any-return]


class MaskedSelect(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, mask: np.ndarray) -> np.ndarray:
        a = x._data
        shape = np.broadcast_shapes(a.shape, mask.shape)
        m = np.broadcast_to(mask, shape)
        if ctx is not None:
            ctx.mask = m
        return np.broadcast_to(a, shape)[m]  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d masked_select(x, m) = grad scattered into zeros where m
        m = ctx.mask
        z = _make(np.zeros(m.shape, dtype=grad._data.dtype))
        return MaskedScatter.apply(z, grad, mask=m)  # type: ignore[no-any-return]


@register
def masked_select(input: Tensor, mask: Tensor, *, out: Tensor | None = None) -> Tensor:
    """A 1-D tensor of the entries of ``input`` where ``mask`` is True (both broadcast), as ``torch.masked_select``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[1, 2], [3, 4]])
    >>> rt.masked_select(x, rt.tensor([True, False]))
    tensor([1, 3])
    """
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError(
            f"masked_select: expected BoolTensor for mask, got {mask.dtype if isinstance(mask, Tensor) else mask!r}"
        )
    _broadcast("masked_select", input._data.shape, mask._data.shape)
    r = MaskedSelect.apply(input, mask=mask._data)
    if out is None:
        return r  # type: ignore[no-any-return]
    from ._pointwise import to_out

    return to_out(out, r, "masked_select")


class MaskedScatter(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, source: Tensor, mask: np.ndarray) -> np.ndarray:
        a = x._data
        shape = np.broadcast_shapes(a.shape, mask.shape)
        m = np.broadcast_to(mask, shape)
        out = np.array(np.broadcast_to(a, shape))
        k = int(np.count_nonzero(m))
        out[m] = source._data.reshape(-1)[:k]
        if ctx is not None:
            ctx.mask = m
            ctx.k = k
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # d masked_scatter(x, m, s) = grad zeroed where m for x; grad[m] in the first entries of s
        m = ctx.mask
        gx = MaskedFill.apply(grad, 0.0, mask=m) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            shape = ctx._in_meta[1][0]
            n = int(np.prod(shape))
            sel = MaskedSelect.apply(grad, mask=m)
            z = _make(np.zeros((n,), dtype=grad._data.dtype))
            gs = IndexPut.apply(z, sel, key=((slice(0, ctx.k), Ellipsis), None), accumulate=False).reshape(shape)
        return gx, gs


@register
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the first elements of ``source`` written (in order) where ``mask`` is True, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.masked_scatter(rt.zeros(4), rt.tensor([True, False, True, False]), rt.tensor([1.0, 2.0, 3.0]))
    tensor([1., 0., 2., 0.])
    """
    m = _mask("masked_scatter_", mask)
    _broadcast("masked_scatter", input._data.shape, m.shape)
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got {input.dtype!r} and {source.dtype!r}"
        )
    k = int(np.count_nonzero(np.broadcast_to(m, np.broadcast_shapes(input._data.shape, m.shape))))
    if source._data.size < k:
        raise RuntimeError(
            f"masked_scatter: Number of elements of source ({source._data.size}) < number of ones in mask ({k})"
        )
    return MaskedScatter.apply(input, source, mask=m)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ nonzero
@register
def nonzero(input: Tensor, *, out: Tensor | None = None, as_tuple: bool = False) -> Any:
    """Indices of the non-zero entries, as ``torch.nonzero``: an int64 ``(n, ndim)`` tensor, or with
    ``as_tuple=True`` one int64 vector per dimension (a 0-d input counts as 1-D).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.tensor([[0, 1], [2, 0]])
    >>> rt.nonzero(x)
    tensor([[0, 1],
            [1, 0]])
    >>> rt.nonzero(x, as_tuple=True)
    (tensor([0, 1]), tensor([1, 0]))
    """
    a = input._data
    if as_tuple:
        return tuple(_make(i.astype(np.int64, copy=False)) for i in np.nonzero(_nd1(a)))
    r = _make(np.argwhere(a).astype(np.int64, copy=False))
    if out is None:
        return r
    from ._pointwise import to_out

    return to_out(out, r, "nonzero")


@register
def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the ``(n, ndim)`` int64 indices of the non-zero entries, as ``torch.argwhere``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.argwhere(rt.tensor([0.0, 3.0, 5.0]))
    tensor([[1],
            [2]])
    """
    return nonzero(input)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ in-place forms
def _method(name: str, fn: Any, n_tensor_args: int) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        lead = args[:-n_tensor_args] if n_tensor_args else args
        rest = args[len(lead) :]
        return inplace(self, name, lambda t, *r: fn(t, *lead, *r, **kwargs), *rest)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place form of :func:`{fn.__name__}`: writes the result into ``self`` and returns it."
    return method


for _name, _fn in (("index_add_", index_add), ("index_copy_", index_copy), ("index_fill_", index_fill)):
    setattr(Tensor, _name, _method(_name, _fn, 1))
for _name, _fn in (("masked_fill_", masked_fill), ("masked_scatter_", masked_scatter)):
    setattr(Tensor, _name, _method(_name, _fn, 1))
