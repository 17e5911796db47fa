"""Floor division, remainder, fmod, pow and square: forward (NumPy) and backward (tensor ops) side by side,
plus the ``//``, ``%`` and ``**`` operators."""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._pointwise import attach_in_place, bcall, check_tensor, not_implemented, to_out, zeros_like_grad
from ._registry import Op, binary_op, broadcast_error, fp, operands, register
from .elementwise import _int_zero_check, div, floor_div
from .ternary import where

__all__ = ["floor_divide", "remainder", "fmod", "pow", "square"]


class FloorDivide(Op):
    """No derivative, as torch ("derivative for floor_divide is not implemented")."""

    _name = "FloorDivideBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        x, y, rd = operands("floor_divide", a, b)
        try:
            return floor_div("floor_divide", x, y, rd)
        except ValueError:
            raise broadcast_error("floor_divide", a, b) from None


class Remainder(Op):
    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        x, y, rd = operands("remainder", a, b)
        if rd.kind == "b":
            raise not_implemented("remainder", rd)
        if rd.kind in "iu":
            _int_zero_check("remainder", y)
        if ctx is not None:
            ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
            ctx.consts = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        try:
            return bcall(np.remainder, x, y)  # Python's sign convention, as torch
        except ValueError:
            raise broadcast_error("remainder", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # a % b = a - b floor(a/b): da - floor(a/b) db
        a, b = ctx.saved_tensors
        ca = ctx.consts[0]
        gb = None
        if ctx.needs_input_grad[1]:
            gb = -grad * div(a if a is not None else ca, b, rounding_mode="floor")
        return (grad if ctx.needs_input_grad[0] else None), gb


class Fmod(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Any) -> Any:
        x, y, rd = operands("fmod", a, b)
        if rd.kind == "b":
            raise not_implemented("fmod", rd)
        if rd.kind in "iu":
            _int_zero_check("fmod", y)
        if ctx is not None:
            ctx.save_for_backward(a, b if isinstance(b, Tensor) else None)
        try:
            return bcall(np.fmod, x, y)  # C's sign convention (the dividend's), as torch
        except ValueError:
            raise broadcast_error("fmod", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:  # fmod(a, b) = a - b trunc(a/b): da - trunc(a/b) db
        a, b = ctx.saved_tensors
        gb = -grad * div(a, b, rounding_mode="trunc") if ctx.needs_input_grad[1] else None
        return (grad if ctx.needs_input_grad[0] else None), gb


def _int_pow(x: Any, y: Any) -> Any:
    """Integer power with torch's results for negative exponents: 1 ** -n = 1, (-1) ** -n = ±1, else 0."""
    ya = np.asarray(y)
    if not np.any(ya < 0):
        return np.power(x, y)
    r = np.power(x, np.maximum(ya, 0))
    xa = np.asarray(x)
    neg = np.where(xa == 1, 1, np.where(xa == -1, np.where(ya % 2 == 0, 1, -1), 0)).astype(r.dtype)
    return np.where(ya < 0, neg, r)


class Pow(Op):
    save_result = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        x, y, rd = operands("pow", a, b)
        if ctx is not None:
            ctx.save_for_backward(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)
            ctx.consts = (None if isinstance(a, Tensor) else a, None if isinstance(b, Tensor) else b)
        try:
            if rd.kind == "b" and (isinstance(b, Tensor | np.ndarray) or not isinstance(a, Tensor | np.ndarray)):
                raise not_implemented("pow", rd)  # as torch: bool ** bool works only for a scalar exponent
            if rd.kind in "biu":
                if not isinstance(b, Tensor | np.ndarray) and b < 0:
                    raise RuntimeError("pow: Integers to negative integer powers are not allowed.")
                r = fp(_int_pow, x.astype(np.int64) if rd.kind == "b" else x, y)
                return r.astype(rd) if rd.kind == "b" else r
            return bcall(np.power, x, y)
        except ValueError:
            raise broadcast_error("pow", a, b) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # d a^b = b a^(b-1) da + a^b log(a) db; torch's conventions at b == 0 and at a == 0 (b >= 0) give 0
        a, b = ctx.saved_tensors
        ca, cb = ctx.consts
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if b is None:
                ga = zeros_like_grad(grad) if cb == 0 else grad * (cb * a.pow(cb - 1))
            else:
                ga = where(b == 0, 0.0, grad * (b * a.pow(b - 1)))
        if ctx.needs_input_grad[1]:
            r = ctx.result
            if a is None:
                if ca == 0:
                    gb = where(b >= 0, 0.0, grad * (r * -_math.inf))  # log(0) = -inf
                else:
                    gb = grad * (r * _math.log(ca))
            else:
                gb = where((a == 0).logical_and(b >= 0), 0.0, grad * (r * a.log()))
        return ga, gb


class Square(Op):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Any:
        a = x._data
        if ctx is not None:
            ctx.save_for_backward(x)
        if a.dtype.kind == "b":
            a = a.astype(np.int64)  # torch: square(bool) = pow(bool, 2) is int64
        return bcall(np.multiply, a, a)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # d x^2 = 2 x dx
        (x,) = ctx.saved_tensors
        return grad * (2 * x)


@register
def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input // other``: division rounded toward -inf (Python's ``//``), as ``torch.floor_divide``.

    Integer division by zero raises ``RuntimeError`` (ZeroDivisionError), as torch; it has no
    derivative, as torch.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.floor_divide(rt.tensor([7, -7]), 2), rt.tensor([7.5, -7.5]) // 2
    (tensor([ 3, -4]), tensor([ 3., -4.]))
    """
    if out is None:
        return _floordiv2(input, other)
    return to_out(out, FloorDivide.apply(input, other), "floor_divide")


@register
def remainder(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input % other`` with the sign of the divisor (Python's ``%``), as ``torch.remainder``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.remainder(rt.tensor([7, -7]), 3), rt.tensor([7, -7]) % -3
    (tensor([1, 2]), tensor([-2, -1]))
    """
    if out is None:
        return _mod2(input, other)
    return to_out(out, Remainder.apply(input, other), "remainder")


@register
def fmod(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Remainder with the sign of the dividend (C's ``fmod``), as ``torch.fmod``.

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.fmod(rt.tensor([7, -7]), 3), rt.fmod(rt.tensor([-7.5]), 2.0)
    (tensor([ 1, -1]), tensor([-1.5000]))
    """
    check_tensor("fmod", input)
    if out is None:
        return _fmod2(input, other)
    return to_out(out, Fmod.apply(input, other), "fmod")


@register
def pow(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:
    """``input ** exponent``; either may be a scalar (``rt.pow(2, t)``), as ``torch.pow``.

    Integer tensors to a negative scalar power raise, as torch. The gradient follows torch's
    conventions: 0 where the exponent is 0, and 0 for the exponent where the base is 0
    (exponent >= 0).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.pow(rt.tensor([1.0, 2.0, 3.0]), 2), rt.pow(2, rt.tensor([0, 1, 10]))
    (tensor([1., 4., 9.]), tensor([   1,    2, 1024]))
    """
    if out is None:
        return _pow2(input, exponent)
    return to_out(out, Pow.apply(input, exponent), "pow")


@register
def square(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``input * input``, as ``torch.square`` (bool inputs give int64, as torch).

    Examples
    --------
    >>> import rustytorch as rt
    >>> rt.square(rt.tensor([-2, 3])), rt.tensor([0.5]).square()
    (tensor([4, 9]), tensor([0.2500]))
    """
    check_tensor("square", input)
    r = Square.apply(input)
    return r if out is None else to_out(out, r, "square")


attach_in_place(("floor_divide_", floor_divide), ("remainder_", remainder), ("fmod_", fmod), ("pow_", pow),
                ("square_", square))  # fmt: skip


_OPS = {
    "floordiv": (FloorDivide, np.floor_divide, "floor_divide"),
    "mod": (Remainder, np.remainder, "remainder"),
    "pow": (Pow, np.power, "pow"),
}
_floordiv2, _mod2, _pow2 = (binary_op(c, u, n, "f") for c, u, n in _OPS.values())
_fmod2 = binary_op(Fmod, np.fmod, "fmod", "f")
for _d, (_c, _u, _n) in _OPS.items():
    setattr(Tensor, f"__{_d}__", binary_op(_c, _u, _n, "f", dunder=True))
    setattr(Tensor, f"__r{_d}__", binary_op(_c, _u, _n, "f", dunder=True, reflected=True))
Tensor.__ifloordiv__ = Tensor.floor_divide_  # type: ignore[attr-defined]
Tensor.__imod__ = Tensor.remainder_  # type: ignore[attr-defined]
Tensor.__ipow__ = Tensor.pow_  # type: ignore[attr-defined]
