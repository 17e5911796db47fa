"""Views and movement ops: metadata-only views of the same storage, with their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import Op, ViewOp, register

__all__ = [
    "reshape",
    "view",
    "expand",
    "broadcast_to",
    "expand_as",
    "view_as",
    "reshape_as",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "permute",
    "unsqueeze",
    "squeeze",
    "flatten",
]


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


class View(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        try:
            return np.reshape(x._data, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (input shape {list(x.shape)}, "
                f"strides {list(x.stride())}, requested shape {list(shape)}): at least one dimension spans across "
                f"two contiguous subspaces. Use .reshape(...) instead."
            ) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # a view's gradient is the gradient reshaped back
        return grad.reshape(ctx._in_meta[0][0])


class UnsafeView(Op):
    """reshape that had to copy."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        return np.reshape(x._data, shape, copy=True)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx._in_meta[0][0])


@register
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same elements in another shape: a view when the strides allow, else a copy, as ``torch.reshape``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(6).reshape(2, -1)
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    if not shape or shape[0].__class__ is not int:
        shape = parse_shape(shape)
    a = input._data
    try:
        v = a.reshape(shape, copy=False)
    except (ValueError, TypeError):
        s = infer_shape("reshape", parse_shape(shape), a.size)
        try:
            v = a.reshape(s, copy=False)
        except ValueError:
            return UnsafeView.apply(input, s)  # type: ignore[no-any-return]
        shape = s
    if input._requires_grad:
        return View.apply(input, v.shape)  # type: ignore[no-any-return]
    return _view_of(input, v)


@register
def view(input: Tensor, *shape: Any) -> Tensor:
    """A view with another shape (never a copy), as ``torch.Tensor.view``; RuntimeError when strides forbid it.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 3); v = x.view(6); v[0] = 1; x[0, 0].item()
    1.0
    """
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list) and not isinstance(shape[0], Tensor):
        from .conversion import view_dtype

        return view_dtype(input, shape[0])
    return View.apply(input, infer_shape("view", parse_shape(shape), input._data.size))  # type: ignore[no-any-return]


class Expand(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d expand(x) = sum of grad over the expanded dims
        shape = ctx._in_meta[0][0]
        lead = grad.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1)
        if dims:
            grad = grad.sum(dim=dims, keepdim=True)
        return grad.reshape(shape) if lead else grad


@register
def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A view with size-1 dimensions repeated (stride 0) to ``sizes``; -1 keeps a size, as ``torch.Tensor.expand``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1], [2]]).expand(2, 3)
    tensor([[1, 1, 1],
            [2, 2, 2]])
    """
    target = parse_shape(sizes)
    a = input._data
    if len(target) < a.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({a.ndim})"
        )
    lead = len(target) - a.ndim
    shape = list(target)
    for i, n in enumerate(a.shape):
        t = target[lead + i]
        if t == -1:
            shape[lead + i] = n
        elif n != 1 and n != t:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({t}) must match the existing size ({n}) at non-singleton "
                f"dimension {lead + i}.  Target sizes: {list(target)}.  Tensor sizes: {list(a.shape)}"
            )
    if any(s < 0 for s in shape[:lead]):
        raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension (sizes {list(target)})")
    s = tuple(shape)
    if s == a.shape:
        return View.apply(input, s)  # type: ignore[no-any-return]
    return Expand.apply(input, s)  # type: ignore[no-any-return]


@register
def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """``input.expand(size)``, as ``torch.broadcast_to``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.broadcast_to(rt.tensor([1, 2]), (2, 2))
    tensor([[1, 2],
            [1, 2]])
    """
    return expand(input, size)


@register
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1]).expand_as(rt.zeros(3)).tolist()
    [1, 1, 1]
    """
    return expand(input, other._data.shape)


@register
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(4).view_as(rt.zeros(2, 2)).shape
    rustytorch.Size([2, 2])
    """
    return view(input, other._data.shape)


@register
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.arange(4).reshape_as(rt.zeros(2, 2)).shape
    rustytorch.Size([2, 2])
    """
    return reshape(input, other._data.shape)


# ------------------------------------------------------------ transposes and squeezes
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
    t._grad = None
    t._grad_owned = False
    t._acc_ref = None
    t._hooks = None
    t._post_acc_hooks = None
    t._retains_grad = False
    t._name = None
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
    return np.lib.stride_tricks.as_strided(a, shape, st, writeable=a.flags.writeable)


class _Transpose(ViewOp):
    _name = "TransposeBackward0"

    @staticmethod
    def forward(ctx: Any, x: Tensor, d0: int, d1: int) -> np.ndarray:
        if ctx is not None:
            ctx.dims = (d0, d1)
        return x._data.swapaxes(d0, d1) if x._data.ndim else x._data.view()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # transposing is its own inverse
        return transpose(grad, *ctx.dims)


@register
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dimensions ``dim0`` and ``dim1`` swapped, as ``torch.transpose``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.arange(6).reshape(2, 3)
    >>> x.transpose(0, 1)
    tensor([[0, 3],
            [1, 4],
            [2, 5]])
    >>> x.transpose(0, 1).stride()
    (1, 3)
    """
    a = input._data
    n = a.ndim
    if dim0.__class__ is int and dim1.__class__ is int and -n <= dim0 < n and -n <= dim1 < n:
        if input._requires_grad:
            return _Transpose.apply(input, dim0, dim1)  # type: ignore[no-any-return]
        return _view_of(input, a.swapaxes(dim0, dim1))
    d0 = wrap_dim(dim0, n, "transpose")
    d1 = wrap_dim(dim1, n, "transpose")
    return _Transpose.apply(input, d0, d1)  # type: ignore[no-any-return]


@register
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Alias of :func:`transpose`, as ``torch.swapaxes``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3, 4).swapaxes(0, 2).shape
    rustytorch.Size([4, 3, 2])
    """
    return transpose(input, axis0, axis1)


@register
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of :func:`transpose`, as ``torch.swapdims``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3, 4).swapdims(-1, 0).shape
    rustytorch.Size([4, 3, 2])
    """
    return transpose(input, dim0, dim1)


@register
def t(input: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dimensions (0-d and 1-d come back as views of themselves), as ``torch.t``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([[1, 2, 3]]).t()
    tensor([[1],
            [2],
            [3]])
    """
    a = input._data
    if a.ndim == 2:
        if input._requires_grad:
            return _Transpose.apply(input, 0, 1)  # type: ignore[no-any-return]
        return _view_of(input, a.T)
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return _Transpose.apply(input, 0, 0)  # type: ignore[no-any-return]


class Permute(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...]) -> np.ndarray:
        if ctx is not None:
            ctx.dims = dims
        return x._data.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # permute back with the inverse permutation
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return permute(grad, inv)


def _dim_list(op: str, dims: Any, ndim: int) -> tuple[int, ...]:
    """Wrap a sequence of dims; RuntimeError when one appears twice, as torch."""
    out = tuple(wrap_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        dup = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"{op}(): dim {dup} appears multiple times in the list of dims")
    return out


@register
def permute(input: Tensor, *dims: Any) -> Tensor:
    """A view with the dimensions reordered (``dims`` as varargs or one sequence), as ``torch.permute``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 3, 4)
    >>> x.permute(2, 0, 1).shape, x.permute((2, 0, 1)).stride()
    (rustytorch.Size([4, 2, 3]), (1, 12, 4))
    """
    if len(dims) == 1 and not isinstance(dims[0], int | np.integer):
        dims = tuple(dims[0])
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}"
        )
    d = _dim_list("permute", dims, n)
    if not n:
        d = ()
    return Permute.apply(input, d)  # type: ignore[no-any-return]


class Unsqueeze(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
        a = x._data
        r = np.expand_dims(a, dim)
        if dim == a.ndim and a.ndim and r.strides[-1] != a.itemsize:
            # torch gives a new trailing dim stride 1 (NumPy repeats the last stride)
            r = restride(r, r.shape, (*(s // a.itemsize for s in a.strides), 1))
        return r

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # drop the inserted size-1 dim
        return squeeze(grad, ctx.dim)


@register
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A view with a size-1 dimension inserted at ``dim`` (in ``[-ndim-1, ndim]``), as ``torch.unsqueeze``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1, 2]).unsqueeze(1)
    tensor([[1],
            [2]])
    >>> rt.zeros(2, 3).unsqueeze(-1).shape
    rustytorch.Size([2, 3, 1])
    """
    return Unsqueeze.apply(input, wrap_dim(dim, input._data.ndim + 1, "unsqueeze"))  # type: ignore[no-any-return]


class Squeeze(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dims: tuple[int, ...]) -> np.ndarray:
        return x._data.squeeze(dims) if dims else x._data.view()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # put the size-1 dims back
        return grad.reshape(ctx._in_meta[0][0])


@register
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """A view without size-1 dims: all, or those of ``dim`` (int or tuple) that have size 1, as ``torch.squeeze``.

    Squeezing a dim whose size is not 1 is a no-op, as in torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 1, 3, 1)
    >>> x.squeeze().shape, x.squeeze(1).shape, x.squeeze(0).shape, x.squeeze((1, -1)).shape
    (rustytorch.Size([2, 3]), rustytorch.Size([2, 3, 1]), rustytorch.Size([2, 1, 3, 1]), rustytorch.Size([2, 3]))
    """
    shape = input._data.shape
    n = len(shape)
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    elif isinstance(dim, int | np.integer):
        d = wrap_dim(dim, n, "squeeze")
        dims = (d,) if n and shape[d] == 1 else ()
    else:
        dims = tuple(d for d in _dim_list("squeeze", dim, n) if n and shape[d] == 1)
    return Squeeze.apply(input, dims)  # type: ignore[no-any-return]


@register
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim..end_dim`` merged into one (a view when possible, else a copy), as ``torch.flatten``.

    A 0-d tensor becomes 1-d; ``start_dim == end_dim`` returns ``input`` itself, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.zeros(2, 3, 4).flatten(1).shape
    rustytorch.Size([2, 12])
    >>> rt.tensor(5).flatten()
    tensor([5])
    """
    shape = input._data.shape
    n = len(shape)
    s = wrap_dim(start_dim, n, "flatten")
    e = wrap_dim(end_dim, n, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if n == 0:
        return reshape(input, 1)
    if s == e:
        return input
    m = 1
    for v in shape[s : e + 1]:
        m *= v
    return reshape(input, (*shape[:s], m, *shape[e + 1 :]))
