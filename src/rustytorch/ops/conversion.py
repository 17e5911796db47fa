"""Dtype conversion, copies and contiguity: ``to``, ``float()``..., ``clone``, ``contiguous``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import dtype as DType
from .._dtype import to_dtype
from .._tensor import Tensor, _make_view, device
from ._registry import Op, ViewOp, register

__all__ = ["clone", "contiguous", "to", "type_as"]


class ToCopy(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dt: np.dtype[Any]) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values become inf / wrap, as torch
            return x._data.astype(dt)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # the engine casts the gradient back to the input dtype
        return grad


class Clone(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor, order: str) -> np.ndarray:
        return np.array(x._data, order=order, copy=True)  # type: ignore[call-overload]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d clone(x) = dx
        return grad


@register
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own storage (strides preserved for dense layouts, as torch's preserve_format).

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2); y = x.clone(); y[0] = 1; x.tolist()
    [0.0, 0.0]
    """
    order = "C" if memory_format == "contiguous_format" else "K"
    return Clone.apply(input, order)  # type: ignore[no-any-return]


@register
def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself when already row-major contiguous, else a contiguous copy.

    Examples
    --------
    >>> import rustytorch as rt
    >>> x = rt.zeros(2, 3)
    >>> x.contiguous() is x, x.t().contiguous().is_contiguous()
    (True, True)
    """
    if input.is_contiguous():
        return input
    return Clone.apply(input, "C")  # type: ignore[no-any-return]


def _parse_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> DType | None:
    dt = kwargs.pop("dtype", None)
    kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, Tensor):
            dt = a.dtype
        elif isinstance(a, str | device):
            device(a)  # validates: only the CPU
        elif a is not None:
            dt = to_dtype(a)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    return None if dt is None else to_dtype(dt)


@register
def to(input: Tensor, *args: Any, copy: bool = False, **kwargs: Any) -> Tensor:
    """Convert to a dtype (or ``device='cpu'``, or another tensor's dtype); ``input`` itself when nothing changes.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1.7, -1.7]).to(rt.int32)
    tensor([ 1, -1], dtype=rustytorch.int32)
    """
    dt = _parse_to(args, dict(kwargs))
    if dt is None or dt.np == input._data.dtype:
        return clone(input) if copy else input
    return ToCopy.apply(input, dt.np)  # type: ignore[no-any-return]


def _caster(name: str, dt: DType) -> Any:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dt)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"``self.to({dt!r})``."
    return method


for _n, _d in (
    ("float", _dtype.float32),
    ("double", _dtype.float64),
    ("half", _dtype.float16),
    ("bfloat16", _dtype.bfloat16),
    ("int", _dtype.int32),
    ("long", _dtype.int64),
    ("short", _dtype.int16),
    ("char", _dtype.int8),
    ("byte", _dtype.uint8),
    ("bool", _dtype.bool),
):
    setattr(Tensor, _n, _caster(_n, _d))


@register(method=True)
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.to(other.dtype)``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.tensor([1, 2]).type_as(rt.zeros(1)).dtype
    rustytorch.float32
    """
    return to(input, other.dtype)


def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """With no argument the type name (``'rustytorch.FloatTensor'``); else ``self.to(dtype)``."""
    if dtype is None:
        names = {
            "float32": "Float",
            "float64": "Double",
            "float16": "Half",
            "bfloat16": "BFloat16",
            "int64": "Long",
            "int32": "Int",
            "int16": "Short",
            "int8": "Char",
            "uint8": "Byte",
            "bool": "Bool",
        }
        return f"rustytorch.{names[self.dtype.name]}Tensor"
    return to(self, dtype)


Tensor.type = _type  # type: ignore[attr-defined]


class ViewDtype(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: Tensor, dt: np.dtype[Any]) -> np.ndarray:
        a = x._data
        if dt.itemsize != a.itemsize and (a.ndim == 0 or a.strides[-1] != a.itemsize):
            raise RuntimeError("view(dtype): the last dimension must be contiguous to change the element size")
        return a.view(dt)


def view_dtype(input: Tensor, dt: Any) -> Tensor:
    """``tensor.view(dtype)``: reinterpret the bytes (not differentiable)."""
    d = to_dtype(dt)
    if input._requires_grad and d.is_floating_point:
        raise RuntimeError("view(dtype) is not differentiable")
    out = ViewDtype.forward(None, input, d.np)
    return _make_view(input, out)
