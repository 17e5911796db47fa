"""Views and movement ops: metadata-only views of the same storage, with their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._registry import Op, ViewOp, register
from .movement_layout import (  # noqa: F401 - parse_shape, infer_shape, wrap_dim, _dim_list are used by other modules
    _dim_list,
    _view_of,
    at_offset,
    expand_strides,
    infer_shape,
    parse_shape,
    restride,
    strided_array,
    view_array,
    wrap_dim,
)

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


class View(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        v = view_array(x._data, shape)
        if v is None:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (input shape {list(x.shape)}, "
                f"strides {list(x.stride())}, requested shape {list(shape)}): at least one dimension spans across "
                f"two contiguous subspaces. Use .reshape(...) instead."
            )
        return v

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
    if shape and shape[0].__class__ is not int:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else parse_shape(shape)
    a = input._data
    if not input._requires_grad:  # hot path: a plain NumPy reshape that NumPy did as a view
        try:
            v = a.reshape(shape)
        except (ValueError, TypeError):
            pass
        else:
            b = v.base
            if b is not None and (b is a or b is a.base):
                s = v.shape
                if 1 not in s and 0 not in s:
                    return _view_of(input, v)
    v, is_view = _reshape_array("reshape", a, shape)
    if not is_view:
        if input._requires_grad:
            return UnsafeView.apply(input, v.shape)  # type: ignore[no-any-return]
        return _make(v)
    if input._requires_grad:
        return View.apply(input, v.shape)  # type: ignore[no-any-return]
    return _view_of(input, v)


def _reshape_array(op: str, a: np.ndarray, shape: Any) -> tuple[np.ndarray, bool]:
    """``a`` reshaped (sizes checked as torch, one -1 inferred) and whether it is a view with torch's strides."""
    try:
        v = a.reshape(shape)
    except (ValueError, TypeError):
        v = a.reshape(infer_shape(op, parse_shape(shape), a.size))
    b = v.base
    if b is None or (b is not a and b is not a.base):
        return v, False  # NumPy had to copy
    s = v.shape
    if 1 in s or 0 in s:  # NumPy and torch may disagree on size-1 strides (or on viewability)
        w = view_array(a, s)
        if w is None:
            return v.copy(), False
        return w, True
    return v, True


@register
def view(input: Tensor, *shape: Any) -> Tensor:
    """A view with another shape (never a copy), as ``torch.Tensor.view``; RuntimeError when strides forbid it.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 3); v = x.view(6); v[0] = 1; x[0, 0].item()
    1.0
    """
    if shape and shape[0].__class__ is not int:
        s0 = shape[0]
        if len(shape) == 1 and not isinstance(s0, int | np.integer | tuple | list | Tensor):
            from .conversion import view_dtype

            return view_dtype(input, s0)
        shape = s0 if len(shape) == 1 and isinstance(s0, tuple) else parse_shape(shape)
    v, is_view = _reshape_array("view", input._data, shape)
    if not is_view:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (input shape {list(input.shape)}, "
            f"strides {list(input.stride())}, requested shape {list(v.shape)}): at least one dimension spans across "
            f"two contiguous subspaces. Use .reshape(...) instead."
        )
    if input._requires_grad:
        return View.apply(input, v.shape)  # type: ignore[no-any-return]
    return _view_of(input, v)


class Expand(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, shape: tuple[int, ...]) -> np.ndarray:
        a = x._data
        return strided_array(a, shape, expand_strides(a, shape), writeable=False)

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
    target = sizes if sizes and sizes[0].__class__ is int else parse_shape(sizes)
    a = input._data
    shape = a.shape
    nd = len(shape)
    if len(target) < nd:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({nd})"
        )
    lead = len(target) - nd
    if target[lead:] != shape:
        out = list(target)
        for i, n in enumerate(shape):
            t = target[lead + i]
            if t == -1:
                out[lead + i] = n
            elif n != t and (n != 1 or t < 0):
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({t}) must match the existing size ({n}) at "
                    f"non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  Tensor sizes: {list(shape)}"
                )
        target = tuple(out)
    if lead:
        for t in target[:lead]:
            if t < 0:
                raise RuntimeError(
                    f"expand: -1 is not allowed in a leading, non-existing dimension (sizes {list(target)})"
                )
    elif target == shape:
        return View.apply(input, shape)  # type: ignore[no-any-return]
    if input._requires_grad:
        return Expand.apply(input, target)  # type: ignore[no-any-return]
    return _view_of(input, strided_array(a, target, expand_strides(a, target), writeable=False))


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
    if not input._requires_grad:
        try:
            return _view_of(input, input._data.transpose(dims))
        except (ValueError, TypeError):
            pass  # the error message below
    d = _dim_list("permute", dims, n)
    if not n:
        d = ()
    return Permute.apply(input, d)  # type: ignore[no-any-return]


class Unsqueeze(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int) -> np.ndarray:
        if ctx is not None:
            ctx.dim = dim
        return _unsqueeze_array(x._data, dim)

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
    a = input._data
    n = a.ndim
    if dim.__class__ is int and -n - 1 <= dim <= n:
        d = dim + n + 1 if dim < 0 else dim
    else:
        d = wrap_dim(dim, n + 1, "unsqueeze")
    if input._requires_grad:
        return Unsqueeze.apply(input, d)  # type: ignore[no-any-return]
    return _view_of(input, _unsqueeze_array(a, d))


def _unsqueeze_array(a: np.ndarray, d: int) -> np.ndarray:
    """``a`` with a size-1 dim at ``d``, whose stride is torch's (``size[d] * stride[d]``, or 1 at the end)."""
    shape = a.shape
    new = (*shape[:d], 1, *shape[d:])
    r = a.reshape(new)
    want = shape[d] * a.strides[d] if d < len(shape) else a.itemsize
    if r.strides[d] != want:
        r = strided_array(a, new, (*a.strides[:d], want, *a.strides[d:]))
    return r


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
    if input._requires_grad:
        return Squeeze.apply(input, dims)  # type: ignore[no-any-return]
    return _view_of(input, input._data.squeeze(dims) if dims else input._data.view())


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
    if start_dim == 0 and end_dim == -1 and n > 1:
        return reshape(input, -1)
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
