"""Helpers shared by the elementwise ops (arithmetic, math, comparisons, bitwise, activations).

Not public: the ops modules import these. The hot paths themselves (``binary`` / ``unary``)
live in ``ops._registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype
from .._tensor import Tensor, _make
from ._registry import PARALLEL_MIN, _par_binary, _par_unary, _wrap, broadcast_error, fp, inplace, operands

__all__: list[str] = []

BF16 = _dtype.bfloat16._np
_ndarray = np.ndarray

# torch's names of the dtypes in "not implemented for 'Float'" messages
TORCH_NAMES = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
}  # fmt: skip

#: operand types that arithmetic dunders accept (others give NotImplemented, so Python can try the other side)
NUMBER_TYPES = (bool, int, float, np.number, np.bool_)
_OPERAND_TYPES = (Tensor, np.ndarray, *NUMBER_TYPES)


def is_float(a: np.ndarray) -> bool:
    """Whether an array holds a floating dtype (float16/32/64 or bfloat16)."""
    return a.dtype.kind == "f" or a.dtype is BF16


def is_operand(x: Any) -> bool:
    """A Tensor, a NumPy array or a Python/NumPy number: what binary ops accept."""
    return isinstance(x, _OPERAND_TYPES)


def check_tensor(op: str, x: Any, what: str = "input") -> None:
    """TypeError as torch when an argument that must be a Tensor is not."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{what}' must be Tensor, not {type(x).__name__}")


def not_implemented(op: str, dt: Any) -> NotImplementedError:
    """torch's error for a dtype an op has no kernel for (a RuntimeError subclass, as in torch)."""
    d = _dtype._FROM_NP[dt] if not isinstance(dt, _dtype.dtype) else dt
    return NotImplementedError(f"{op}: not implemented for '{TORCH_NAMES[d.name]}' (rustytorch.{d.name})")


def float_arg(x: Tensor) -> np.ndarray:
    """The input of a float function: integer and bool inputs compute in the default dtype, as torch."""
    a = x._data
    return a if a.dtype.kind == "f" or a.dtype is BF16 else a.astype(get_default_dtype().np)


def ucall(ufunc: Any, a: np.ndarray) -> Any:
    """``ufunc(a)`` with floating-point warnings off, threaded when ``a`` is large (NumPy ufuncs only)."""
    if a.size >= PARALLEL_MIN and isinstance(ufunc, np.ufunc):
        return fp(_par_unary, ufunc, a)
    return fp(ufunc, a)


def bcall(ufunc: Any, x: Any, y: Any) -> Any:
    """``ufunc(x, y)`` with floating-point warnings off, threaded when an operand is large (NumPy ufuncs only)."""
    if (
        (x.__class__ is _ndarray and x.size >= PARALLEL_MIN) or (y.__class__ is _ndarray and y.size >= PARALLEL_MIN)
    ) and isinstance(ufunc, np.ufunc):
        return fp(_par_binary, ufunc, x, y)
    return fp(ufunc, x, y)


def binary_forward(op: str, ufunc: Any, a: Any, b: Any) -> Any:
    """Promote ``a`` and ``b`` as torch does and apply ``ufunc`` (RuntimeError naming both shapes if they
    don't broadcast)."""
    x, y, _ = operands(op, a, b)
    try:
        return bcall(ufunc, x, y)
    except ValueError:
        raise broadcast_error(op, a, b) from None


def const(a: Any) -> Tensor:
    """Wrap a fresh ndarray (or NumPy scalar) as a tensor outside the graph."""
    return _wrap(a)


def to_out(out: Any, r: Tensor, op: str) -> Tensor:
    """Write a result into an ``out=`` tensor (resized when its shape differs and it is empty, as torch)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._requires_grad and r._requires_grad:
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation")
    if out._data.shape != r._data.shape and out._data.size == 0:
        out._data = np.empty(r._data.shape, dtype=out._data.dtype)
        out._storage = None  # type: ignore[assignment]
    return inplace(out, op, _identity, r.detach())


def _identity(_target: Tensor, value: Tensor) -> Tensor:
    return value


def in_place(name: str, fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The in-place method ``name`` (``x.add_(y)``) of the out-of-place op ``fn``, through ``inplace``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace(self, name, fn, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place form of :func:`{fn.__name__}`: writes the result into ``self`` and returns it."
    return method


def attach_in_place(*pairs: tuple[str, Callable[..., Tensor]]) -> None:
    """``setattr(Tensor, name, in_place(name, fn))`` for each ``(name, fn)``."""
    for name, fn in pairs:
        setattr(Tensor, name, in_place(name, fn))


def dunder(fn: Callable[[Any, Any], Tensor], reflected: bool = False) -> Callable[[Tensor, Any], Any]:
    """A binary operator method calling ``fn``; NotImplemented for operands of unknown types (so Python
    can try the other operand's reflected method, and raises its usual TypeError otherwise)."""
    if reflected:

        def rop(self: Tensor, other: Any) -> Any:
            if not is_operand(other):
                return NotImplemented
            return fn(other, self)

        return rop

    def op(self: Tensor, other: Any) -> Any:
        try:
            return fn(self, other)
        except TypeError:
            if is_operand(other):
                raise
            return NotImplemented

    return op


def zeros_like_grad(g: Tensor) -> Tensor:
    """A zero gradient of ``g``'s shape and dtype (the derivative of piecewise-constant ops, as torch)."""
    return _make(np.zeros(g._data.shape, dtype=g._data.dtype))
